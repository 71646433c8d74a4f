/** Peer rows: naming, order, colours, the Peers section, targets, and findings that leave peers out. */
import { describe, expect, it } from 'vitest';
import { rowColors } from '../../../../bench/report/charts/kit.ts';
import { buildReport, renderHtml, renderMarkdown } from '../../../../bench/report/index.ts';
import { pairRatio, peerPairs, throughputOf } from '../../../../bench/report/sections/peers.ts';
import { only, peersRun, row, run, section } from '../../../helpers/report-runs.ts';

describe('peer rows', () => {
  const s = only([peersRun()]);

  it('are named for the peer and follow their pushlab row, the baseline last', () => {
    expect(s.rows.map((r) => r.key)).toEqual([
      'long-poll',
      'peer:socketio-polling',
      'peer:sockjs-xhr-polling',
      'sse',
      'peer:sockjs-eventsource',
      'websocket',
      'peer:socketio-websocket',
      'peer:baseline',
    ]);
    expect(s.rows.map((r) => r.name)).toEqual([
      'long polling',
      'Socket.IO (polling)',
      'SockJS (xhr-polling)',
      'SSE',
      'SockJS (eventsource)',
      'WebSocket',
      'Socket.IO (websocket)',
      'baseline (raw TCP)',
    ]);
  });

  it('get their own colours: a shade of their technique, the baseline near-black', () => {
    const colors = rowColors(s.rows);
    expect(new Set(colors.values()).size).toBe(s.rows.length);
    expect(colors.get('peer:baseline')).toBe('#3b3f45');
  });

  it('are left out of the general findings, which compare pushlab rows only', () => {
    const findings = s.findings.join('\n');
    expect(findings).toContain('**Least server CPU per 1,000 messages**: WebSocket, 5 ms; the most: long polling, 10 ms');
    expect(findings).toContain('**Least server memory per held connection**: long polling, 5.86 KiB; the most: SSE, 14.6 KiB.');
    expect(findings.replace(/\*\*Against the targets.*$/m, '')).not.toMatch(/Socket\.IO|SockJS|baseline/);
    expect(s.findings.at(-1)).toBe('**Against the peer targets**: 3 met, 3 short, 1 not settled by this run (see Peers below).');
  });
});

describe('the Peers section', () => {
  const s = only([peersRun()]);
  const peers = section(s, 'Peers');

  it('pairs each pushlab row with its peers and the baseline, and computes pushlab ÷ peer', () => {
    const pairs = peerPairs(s.rows).map((p) => `${p.ours.key} ÷ ${p.theirs.key}`);
    expect(pairs).toEqual([
      'long-poll ÷ peer:socketio-polling',
      'long-poll ÷ peer:sockjs-xhr-polling',
      'long-poll ÷ peer:baseline',
      'sse ÷ peer:sockjs-eventsource',
      'sse ÷ peer:baseline',
      'websocket ÷ peer:socketio-websocket',
      'websocket ÷ peer:baseline',
    ]);
    const ws = peerPairs(s.rows).find((p) => p.ours.key === 'websocket' && p.theirs.key === 'peer:socketio-websocket');
    expect(ws && pairRatio(ws, throughputOf)).toBe(4);
    expect(ws && pairRatio(ws, (r) => r.serverCpuMsPer1kMessages)).toBe(0.25);
    const ratios = peers.tables.find((t) => t.id === 'peers-peers-ratios');
    expect(ratios?.columns.map((c) => c.header)).toContain('deliveries/s (higher is better)');
    expect(ratios?.columns.map((c) => c.header)).toContain('p99 (lower is better)');
    expect(ratios?.rows).toContainEqual(['WebSocket ÷ Socket.IO (websocket)', '4×', '1×', '1×', '0.25×', '1×', '0.75×', 'server']);
    expect(ratios?.rows).toContainEqual(['SSE ÷ baseline (raw TCP)', '1×', '1×', '1×', '5×', '1×', '5×', '**load generator** ⚠']);
  });

  it('states where pushlab falls short of the peer targets, and why a ratio is bounded', () => {
    const text = peers.text.join('\n');
    expect(text).toContain(
      '**Short of target**: WebSocket sustained 400,000 deliveries/s against 800,000 for baseline (raw TCP): 0.5× (target ≥ 0.9×).',
    );
    // Each streaming technique has its own share of the baseline: SSE's text framing leaves it more room.
    expect(text).toMatch(/SSE sustained 800,000 deliveries\/s against [\d,]+ for baseline \(raw TCP\): .*\(target ≥ 0\.75×\)/);
    expect(text).toContain(
      '**Short of target**: WebSocket sustained 400,000 deliveries/s against 100,000 for Socket.IO (websocket): 4× (target ≥ 5×).',
    );
    expect(text).toContain('**Short of target**: SSE held 14.6 KiB per idle connection against 11.7 KiB for Socket.IO (websocket)');
    expect(text).toContain('Target met: long polling held 5.86 KiB per idle connection');
    expect(text).toMatch(/Not settled: SSE sustained 800,000 deliveries\/s .* Both ceilings are above the highest step tried/);
    expect(text).toContain('The load generator was the bottleneck for SSE: the ratio is bounded by the load generator, not the server.');
    // Shortfalls come before the targets met.
    expect(text.indexOf('Short of target')).toBeLessThan(text.indexOf('Target met'));
  });

  it('shows sustained deliveries with ≥ where the ceiling is above the highest step', () => {
    const figures = peers.tables.find((t) => t.id === 'peers-peers-figures');
    expect(figures?.rows.find((r) => r[0] === '**SSE**')?.[1]).toBe('≥ 800,000');
    expect(figures?.rows.find((r) => r[0] === 'Socket.IO (polling)')?.[1]).toBe('0 (no step sustained)');
    expect(figures?.rows.at(-1)?.[0]).toBe('baseline (raw TCP)');
  });

  it('is rendered in both formats, and only when the run has peers', () => {
    const model = buildReport([peersRun()]);
    const markdown = renderMarkdown(model);
    const html = renderHtml(model);
    expect(markdown).toContain('### Peers');
    expect(markdown).toContain('| WebSocket ÷ Socket.IO (websocket) | 4× |');
    expect(markdown).toContain('![Deliveries per second: pushlab, its peers and the baseline](charts/peers-peers-throughput.svg)');
    expect(html).toContain('<h3 id="peers-peers-heading">Peers</h3>');
    expect(html).toContain('<strong>Short of target</strong>: WebSocket sustained 400,000');
    expect(html).toContain('<figure class="chart" id="chart-peers-peers-throughput">');
    const plain = only([run('plain', { sse: row('sse'), websocket: row('websocket') })]);
    expect(plain.sections).toEqual([]);
    expect(renderMarkdown(buildReport([run('plain', { sse: row('sse') })]))).not.toContain('### Peers');
  });

  it('says the throughput targets need saturation runs when the run has none', () => {
    const s2 = only([run('no-saturation', { websocket: row('websocket'), 'peer:baseline': row('websocket', { peer: 'baseline' }) })]);
    expect(section(s2, 'Peers').text.join('\n')).toContain('need saturation runs; this run has none');
  });
});

describe('a run of peers only', () => {
  it('renders without a pushlab row, comparing the peers among themselves', () => {
    const runs = [
      run('peers-only', {
        'peer:baseline': row('websocket', { peer: 'baseline', serverCpuMsPer1kMessages: 2 }),
        'peer:socketio-websocket': row('websocket', { peer: 'socketio-websocket' }),
      }),
    ];
    const s = only(runs);
    expect(s.rows.map((r) => r.key)).toEqual(['peer:socketio-websocket', 'peer:baseline']);
    expect(section(s, 'Peers').text).toContain('This run measured peers only: there is no pushlab row to compare them with.');
    expect(s.findings.join('\n')).toContain('**Least server CPU per 1,000 messages**: baseline (raw TCP), 2 ms');
    expect(renderMarkdown(buildReport(runs))).toContain('### Peers');
    expect(renderHtml(buildReport(runs))).toContain('id="peers-only-peers"');
  });
});

describe('changes against the previous run', () => {
  it('match rows by key, peers included, and skip rows the earlier run did not have', () => {
    const before = peersRun();
    before.startedAt = '2026-11-30T10:00:00.000Z';
    const { websocket, 'peer:baseline': baseline } = before.techniques;
    if (websocket === undefined || baseline === undefined) throw new Error('fixture');
    before.techniques = {
      websocket: { ...websocket, serverCpuMsPer1kMessages: 4 },
      'peer:baseline': baseline,
      'sse@broadband': row('sse', { network: 'broadband' }),
    };
    const s = only([before, peersRun()]);
    expect(s.changes.map((c) => c.key)).toEqual(['websocket', 'peer:baseline']);
    expect(s.changes[0]?.deltas.find((d) => d.label === 'server CPU per 1,000 messages')?.percent).toBeCloseTo(25, 6);
    expect(renderMarkdown(buildReport([before, peersRun()]))).toContain('| `peer:baseline` | 2 → 2 (±0 %) |');
  });
});

describe('peer lines in charts', () => {
  it('are dashed in the latency distribution, solid for pushlab', () => {
    const cdf: [number, number][] = [
      [0, 1],
      [50, 2],
      [100, 9],
    ];
    const s = only([
      run('cdf', {
        sse: row('sse', { latencyCdf: cdf }),
        'peer:sockjs-eventsource': row('sse', { peer: 'sockjs-eventsource', latencyCdf: cdf }),
      }),
    ]);
    const chart = s.charts.find((c) => c.id === 'cdf-cdf');
    expect(chart?.svg.match(/stroke-dasharray="5,3"/g)?.length).toBeGreaterThanOrEqual(2); // the legend swatch and the line
  });
});
