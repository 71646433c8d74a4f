/** Saturation rows: the sustained rate of each row, where and why it stopped, in both formats. */
import { ceilingAt, commonBoundMs } from '../../../../bench/report/sections/verdict.ts';
import { describe, expect, it } from 'vitest';
import { buildReport, renderHtml, renderMarkdown } from '../../../../bench/report/index.ts';
import { only, peersRun, row, run, saturation } from '../../../helpers/report-runs.ts';

describe('the Saturation section', () => {
  const s = only([peersRun()]);
  const part = s.sections.find((p) => p.title === 'Saturation');

  it('tabulates each row’s sustained rate, with ≥ when the ceiling is above the highest step', () => {
    const table = part?.tables[0];
    expect(table?.rows.find((r) => r[0] === 'SSE')).toEqual(['SSE', '4', '100 → 800', '≥ 800', '≥ 800,000', '20', '–', 'none failed']);
    expect(table?.rows.find((r) => r[0] === 'WebSocket')).toEqual([
      'WebSocket',
      '4',
      '100 → 800',
      '400',
      '400,000',
      '20',
      '800',
      'p99 420 ms over the 250 ms bound',
    ]);
    expect(table?.rows.find((r) => r[0] === 'Socket.IO (polling)')).toEqual([
      'Socket.IO (polling)',
      '4',
      '100 → 800',
      'none',
      'none',
      '–',
      '100',
      'lost 310 messages',
    ]);
  });

  it('says where each row stopped and why, from its steps', () => {
    const text = part?.text ?? [];
    expect(text[0]).toContain(
      'on the same 1,000 subscribers. A step was sustained when nothing was lost, p99 stayed within 250 ms and publishes were acknowledged within 50 ms',
    );
    expect(text).toContain(
      'WebSocket sustained 400 msg/s (400,000 deliveries/s) and failed at 800 msg/s: p99 420 ms over the 250 ms bound.',
    );
    expect(text).toContain('Socket.IO (polling) **sustained no step**: it failed at the first, 100 msg/s: lost 310 messages.');
    expect(text).toContain(
      'Baseline (raw TCP) kept up at every step up to 800 msg/s (800,000 deliveries/s): its ceiling is higher than measured.',
    );
  });

  it('names the CPU budget of a row measured again under one, and what the whole core gave', () => {
    const base = peersRun();
    const ws = base.techniques.websocket;
    if (ws?.saturation !== undefined)
      base.techniques.websocket = {
        ...ws,
        serverCpuBudget: 0.4,
        saturation: { ...ws.saturation, wholeCore: { sustainedDeliveredPerSecond: 1_230_000, loadBound: true } },
      };
    const text = only([base]).sections.find((p) => p.title === 'Saturation')?.text ?? [];
    expect(text).toContain(
      'WebSocket sustained 400 msg/s (400,000 deliveries/s) and failed at 800 msg/s: p99 420 ms over the 250 ms bound. ' +
        'Its server had 0.4 of a core (on a whole core the load gave out first, at 1,230,000 deliveries/s).',
    );
  });

  it('draws the sustained deliveries per row as bars, each row at one bound, and p99 against the publish rate, peers dashed', () => {
    expect(part?.charts.map((c) => c.id)).toEqual(['peers-saturation-ceiling', 'peers-saturation-p99']);
    const ceiling = part?.charts[0]?.svg ?? '';
    expect(ceiling).toContain('sustained deliveries (msg/s');
    expect(ceiling).toMatch(/every row at p99 ≤ [\d,]+ ms/);
    expect(ceiling).toMatch(/>[\d,]+ · (load-bound|server-bound|neither side saturated|not reached)/);
    const p99 = part?.charts[1]?.svg ?? '';
    expect(p99).toContain('publish rate (msg/s');
    expect(p99).toContain('stroke-dasharray="5,3"');
    expect(p99).toContain('stroke-dasharray="2,3"'); // the p99 bound
  });

  it('draws a row labelled load-bound pale and says so, whichever side its failing step named', () => {
    const base = peersRun();
    const ws = base.techniques.websocket;
    const before = only([base]).sections.find((p) => p.title === 'Saturation')?.charts[0]?.svg ?? '';
    expect(before).toMatch(/>400,000 · neither side saturated</);
    if (ws !== undefined) base.techniques.websocket = { ...ws, loadBound: true };
    const after = only([base]).sections.find((p) => p.title === 'Saturation')?.charts[0]?.svg ?? '';
    expect(after).toMatch(/>400,000 · load-bound</);
    expect(after).not.toMatch(/>400,000 · neither side saturated</);
  });

  it('is rendered in both formats', () => {
    const model = buildReport([peersRun()]);
    expect(renderMarkdown(model)).toContain('| Socket.IO (polling) | 4 | 100 → 800 | none | none | – | 100 | lost 310 messages |');
    expect(renderHtml(model)).toContain('<h3 id="peers-saturation-heading">Saturation</h3>');
  });
});

describe('a saturation row that sustained no step', () => {
  it('renders alone, without peers, and says it sustained none', () => {
    const runs = [run('overload', { sse: row('sse', { saturation: saturation([1000, 2000], 0) }) })];
    const s = only(runs);
    expect(s.sections.map((p) => p.title)).toEqual(['Saturation']);
    expect(s.sections[0]?.text[1]).toBe(
      'SSE **sustained no step**: it failed at the first, 1,000 msg/s: p99 420 ms over the 250 ms bound.',
    );
    expect(renderMarkdown(buildReport(runs))).toContain(
      '| SSE | 2 | 1,000 → 2,000 | none | none | – | 1,000 | p99 420 ms over the 250 ms bound |',
    );
  });

  it('says when the failing step was lost to a saturated load generator', () => {
    const base = saturation([100, 200], 100);
    const steps = base.steps.map((step) => (step.sustained ? step : { ...step, bottleneck: 'load' as const }));
    const s = only([run('overload', { sse: row('sse', { saturation: { ...base, steps } }) })]);
    expect(s.sections[0]?.text[1]).toBe(
      'SSE sustained 100 msg/s (100,000 deliveries/s) and failed at 200 msg/s: p99 420 ms over the 250 ms bound (the load generator was saturated at that step: the limit may be the clients, not the server).',
    );
  });

  it('renders a saturation run with no steps at all', () => {
    const empty = {
      p99BoundMs: 250,
      publishLagBoundMs: 50,
      steps: [],
      sustainedRatePerSecond: 0,
      sustainedDeliveredPerSecond: 0,
      ceilingAbove: false,
    };
    const s = only([run('empty', { sse: row('sse', { saturation: empty }) })]);
    expect(s.sections[0]?.text[1]).toBe('SSE has a saturation run with no steps.');
    expect(s.sections[0]?.charts).toEqual([]);
  });
});

describe('the ceiling at one bound', () => {
  it('judges a row with a looser bound of its own by the bound most rows had, and says so beside its number', () => {
    const step = (rate: number, p99: number) => ({
      ratePerSecond: rate,
      deliveredPerSecond: rate * 1000,
      expected: rate,
      delivered: rate,
      lost: 0,
      latencyMs: { p50: p99 / 2, p99 },
      publishLagMs: { p50: 1, p99: 1 },
      sustained: true,
      bottleneck: 'none' as const,
    });
    const loose = {
      p99BoundMs: 2000,
      publishLagBoundMs: 250,
      steps: [step(100, 990), step(200, 1004), step(600, 1900)],
      sustainedRatePerSecond: 600,
      sustainedDeliveredPerSecond: 600_000,
      ceilingAbove: true,
    };
    const tight = {
      ...loose,
      p99BoundMs: 1000,
      steps: [step(100, 50), step(200, 80)],
      sustainedRatePerSecond: 200,
      sustainedDeliveredPerSecond: 200_000,
    };
    const rows = {
      'short-poll': row('short-poll', { saturation: loose }),
      sse: row('sse', { saturation: tight }),
      websocket: row('websocket', { saturation: tight }),
    };
    const s = only([run('bounds', rows)]);
    expect(commonBoundMs(s.rows)).toBe(1000);
    expect(ceilingAt(rows['short-poll'], 1000).deliveredPerSecond).toBe(100_000);
    const chart = s.sections[0]?.charts[0]?.svg ?? '';
    expect(chart).toContain('100,000 · neither side saturated (600,000 at its own 2,000 ms)');
  });
});
