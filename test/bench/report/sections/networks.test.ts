/** Network rows: naming, order, the Networks section, the network checks, and single-network runs. */
import { describe, expect, it } from 'vitest';
import { buildReport, renderHtml, renderMarkdown } from '../../../../bench/report/index.ts';
import { seriesKey } from '../../../../bench/report/rows.ts';
import { networkCheck, networksRun, only, row, run } from '../../../helpers/report-runs.ts';

describe('network rows', () => {
  const s = only([networksRun()]);

  it('are grouped by technique in increasing round-trip time, peers after pushlab', () => {
    expect(s.rows.map((r) => r.key)).toEqual([
      'short-poll@250ms,loopback',
      'short-poll@250ms,mobile-3g',
      'long-poll@loopback',
      'long-poll@broadband',
      'long-poll@mobile-3g',
      'sse@loopback',
      'sse@broadband',
      'sse@mobile-3g',
      'peer:sockjs-eventsource@mobile-3g',
    ]);
  });

  it('name their profile, and share a series key across profiles', () => {
    expect(s.rows.map((r) => r.name)).toContain('SSE over broadband');
    expect(s.rows.map((r) => r.name)).toContain('short polling at 250 ms over mobile-3g');
    expect(s.rows.map((r) => r.name)).toContain('SockJS (eventsource) over mobile-3g');
    expect(s.rows.map((r) => r.series)).toContain('short-poll@250ms');
    expect(seriesKey('peer:sockjs-eventsource@mobile-3g', row('sse', { network: 'mobile-3g' }))).toBe('peer:sockjs-eventsource');
    expect(seriesKey('sse', row('sse', { network: 'broadband' }))).toBe('sse'); // a single-profile run keeps plain keys
  });

  it('leave the general findings to the fastest network', () => {
    expect(s.findings[0]).toBe('**Lowest median latency**: SSE over loopback, 0.9 ms; **lowest p99**: SSE over loopback, 1.8 ms.');
    expect(s.findings.join('\n')).not.toMatch(/\*\*(Lowest|Fewest|Least)[^\n]*over (broadband|mobile-3g)/);
  });
});

describe('the Networks section', () => {
  const s = only([networksRun()]);
  const networks = s.sections.find((part) => part.title === 'Networks');

  it('pivots latency, bytes and requests by profile, in RTT order', () => {
    const p50 = networks?.tables.find((t) => t.id === 'mobile-networks-p50');
    expect(p50?.columns.map((c) => c.header)).toEqual(['row', 'loopback', 'broadband', 'mobile-3g']);
    expect(p50?.rows).toEqual([
      ['short polling at 250 ms', '130', '–', '600'],
      ['long polling', '1.2', '47', '470'],
      ['SSE', '0.9', '16', '160'],
      ['SockJS (eventsource)', '–', '–', '175'],
    ]);
    expect(networks?.tables.map((t) => t.id)).toEqual([
      'mobile-networks-p50',
      'mobile-networks-p99',
      'mobile-networks-bytes',
      'mobile-networks-requests',
      'mobile-network-checks',
    ]);
    expect(networks?.tables.find((t) => t.id === 'mobile-networks-requests')?.rows[1]).toEqual(['long polling', '1', '1', '1']);
  });

  it('explains the gap in round trips of the measured RTT, and says how the network was made', () => {
    const text = networks?.text.join('\n') ?? '';
    expect(text).toContain(
      'Over mobile-3g, the median latency of long polling was **470 ms** against 160 ms for SSE: 310 ms more, about 1 round trip of the 310 ms RTT.',
    );
    expect(text).toContain('user-space delay proxy between the load clients and the server, running on the load generator’s core');
    expect(text).toContain('measured round trips were 1.01× to 1.03× the promised ones.');
    expect(text).toContain('The proxy used at most 31 % of a core (short polling at 250 ms over mobile-3g)');
    expect(text).toContain(
      'From loopback to mobile-3g, median latency went: short polling at 250 ms 130 → 600 ms; long polling 1.2 → 470 ms; SSE 0.9 → 160 ms.',
    );
    expect(s.findings).toContain(
      'Over mobile-3g, the median latency of long polling was **470 ms** against 160 ms for SSE: 310 ms more, about 1 round trip of the 310 ms RTT.',
    );
  });

  it('tabulates the network checks, slowest last, in the section and not again below', () => {
    const checks = networks?.tables.find((t) => t.id === 'mobile-network-checks');
    expect(checks?.rows.map((r) => r[0])).toEqual(['broadband', 'mobile-3g']);
    expect(checks?.rows[1]).toEqual([
      'mobile-3g',
      'user-space proxy',
      '301',
      '310',
      '326',
      '1.03×',
      '11.4',
      '0.95×',
      '3.9',
      '0.975×',
      '12',
    ]);
    expect(s.tables.map((t) => t.id)).not.toContain('mobile-network-checks');
  });

  it('calls out a check whose round trip is off', () => {
    const off = networksRun();
    off.networks = { broadband: networkCheck('broadband', 30.2, 45) };
    const text = only([off])
      .sections.find((part) => part.title === 'Networks')
      ?.text.join('\n');
    expect(text).toContain('**off by more than 20 %**: broadband (45 ms against 30.2 ms)');
  });

  it('draws the medians, one colour per profile, and is rendered in both formats', () => {
    expect(networks?.charts.map((c) => c.id)).toEqual(['mobile-networks-p50']);
    expect(networks?.charts[0]?.svg).toContain('median latency (ms, log scale)');
    const model = buildReport([networksRun()]);
    const markdown = renderMarkdown(model);
    expect(markdown).toContain('### Networks');
    expect(markdown).toContain('| long polling | 1.2 | 47 | 470 |');
    expect(markdown).toContain('![Median latency per technique on each network](charts/mobile-networks-p50.svg)');
    const html = renderHtml(model);
    expect(html).toContain('<section id="mobile-networks" aria-labelledby="mobile-networks-heading">');
    expect(html).toContain('<th scope="row">long polling</th><td class="num">1.2</td>');
  });

  it('puts peers beside pushlab only over the networks the peers ran on', () => {
    const peers = s.sections.find((part) => part.title === 'Peers');
    expect(peers?.tables[0]?.rows.map((r) => r[0])).toEqual([
      '**short polling at 250 ms over mobile-3g**',
      '**long polling over mobile-3g**',
      '**SSE over mobile-3g**',
      'SockJS (eventsource) over mobile-3g',
    ]);
    expect(peers?.tables[1]?.rows.map((r) => r[0])).toEqual(['SSE over mobile-3g ÷ SockJS (eventsource) over mobile-3g']);
  });
});

describe('a run over one emulated network', () => {
  const single = run(
    'broadband-only',
    { sse: row('sse', { network: 'broadband', proxyCpuShare: 0.05 }), 'long-poll': row('long-poll', { network: 'broadband' }) },
    { networks: { broadband: networkCheck('broadband', 30.2, 30.6) } },
  );
  const s = only([single]);

  it('has no Networks section, but says which network and shows its check with the tables', () => {
    expect(s.sections).toEqual([]);
    expect(s.rows.map((r) => r.name)).toEqual(['long polling over broadband', 'SSE over broadband']);
    expect(s.measured.join('\n')).toContain(
      'The subscribers reached the server over an emulated broadband network: a user-space delay proxy',
    );
    expect(s.tables.map((t) => t.id)).toContain('broadband-only-network-checks');
    expect(renderMarkdown(buildReport([single]))).toContain('| `sse` | 5 |');
  });
});

describe('a run of network rows only, without loopback', () => {
  it('renders, comparing over the fastest profile it has', () => {
    const runs = [
      run('far', {
        'sse@broadband': row('sse', { network: 'broadband' }),
        'sse@mobile-4g': row('sse', { network: 'mobile-4g', latencyMs: { p50: 45, p90: 60, p99: 90, max: 200 } }),
      }),
    ];
    const s = only(runs);
    expect(s.sections.map((part) => part.id)).toEqual(['far-networks']);
    expect(s.findings[0]).toBe('**Lowest median latency**: SSE over broadband, 2 ms; **lowest p99**: SSE over broadband, 8 ms.');
    expect(renderHtml(buildReport(runs))).toContain('<h3 id="far-networks-heading">Networks</h3>');
  });
});
