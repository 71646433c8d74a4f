import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { judgeBottleneck } from '../../../bench/results/aggregate.ts';
import { runResultSchema } from '../../../bench/results/schema.ts';
import { formatBytes } from '../../../bench/results/format.ts';
import { describeBottlenecks, renderSummary, renderTable, summaryColumns } from '../../../bench/results/summary.ts';
import { judgeThresholds, thresholdsOf } from '../../../bench/results/thresholds.ts';

const fixture = runResultSchema.parse(JSON.parse(await readFile(new URL('../../fixtures/bench-result.json', import.meta.url), 'utf8')));

describe('the summary printer', () => {
  it('renders a stored result as the stored text, fitting 100 columns', async () => {
    const text = renderSummary(fixture);
    await expect(text).toMatchFileSnapshot('../../fixtures/bench-summary.txt');
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(summaryColumns);
  });

  it('prints every column with wide, however wide', async () => {
    const text = renderSummary(fixture, { wide: true });
    await expect(text).toMatchFileSnapshot('../../fixtures/bench-summary-wide.txt');
    expect(Math.max(...text.split('\n').map((line) => line.length))).toBeGreaterThan(summaryColumns);
    expect(text).toContain('srv wait');
  });

  it('fits 100 columns with long row keys and long notes: keys cut with …, prose wrapped', () => {
    const sse = fixture.techniques.sse!;
    const long = 'peer:sockjs-xhr-streaming@mobile-3g,with-a-very-long-variant-name';
    const text = renderSummary({
      ...fixture,
      techniques: { [long]: { ...sse, notes: ['a note '.repeat(40).trim()] } },
    });
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(summaryColumns);
    expect(text).toMatch(/^peer:sockjs-xhr-streaming@mo… +0\/0/m);
    expect(text).toMatch(/^ {4}note a note/m);
  });

  it('lists each threshold as passed or failed, with the rows that failed it', () => {
    const verdicts = judgeThresholds(fixture, thresholdsOf([], ['p99<50', 'websocket:p99<10', 'short-poll:p50<=10']));
    const text = renderSummary(fixture, { thresholds: verdicts });
    expect(text).toContain('Thresholds: 2 of 5 FAILED');
    expect(text).toMatch(/✓ lost==0 {2}passed \(6 rows\)/);
    expect(text).toMatch(/✗ p99<50 {2}FAILED on 1 of 6: short-poll 105/);
    expect(text).toMatch(/✓ websocket:p99<10 {2}passed \(1 row\)/);
    expect(text).toMatch(/✗ short-poll:p50<=10 {2}FAILED on 1 of 1: short-poll 51.3/);
  });

  it('has one row per technique and says plainly which side was the bottleneck', () => {
    const text = renderSummary(fixture);
    for (const key of Object.keys(fixture.techniques)) expect(text).toMatch(new RegExp(`^${key} `, 'm'));
    expect(text).toContain('Bottleneck in long-poll: the LOAD GENERATOR was saturated');
    expect(text).toContain('Bottleneck in jsonp: the SERVER was saturated');
    expect(text).toContain('sse: 2 client requests');
    expect(text).toContain('publish');
  });

  it('says when neither side limited any run', () => {
    const calm = { ...fixture, techniques: { sse: { ...fixture.techniques.sse!, bottleneck: 'none' as const } } };
    expect(describeBottlenecks(calm)).toEqual([expect.stringMatching(/^Bottleneck: none/)]);
  });

  it('lists each saturation row with the rate it sustained and why the next step failed, and the network checks', () => {
    const sse = fixture.techniques.sse!;
    const step = { expected: 10, delivered: 10, lost: 0, latencyMs: { p50: 1, p99: 2 }, publishLagMs: { p50: 1, p99: 1 } };
    const run = {
      ...fixture,
      networks: {
        broadband: {
          profile: 'broadband',
          method: 'user-space proxy' as const,
          promisedRttMs: 30.03,
          measuredRttMs: 30.4,
          rttP90Ms: 31,
          rttRatio: 1.012,
          rounds: 20,
          proxyCpuMs: 12,
        },
      },
      techniques: {
        sse: {
          ...sse,
          saturation: {
            p99BoundMs: 1000,
            publishLagBoundMs: 250,
            steps: [
              { ...step, ratePerSecond: 100, deliveredPerSecond: 100_000, sustained: true },
              {
                ...step,
                ratePerSecond: 200,
                deliveredPerSecond: 150_000,
                sustained: false,
                reason: 'p99 latency 1500 ms, past the 1000 ms bound',
              },
            ],
            sustainedRatePerSecond: 100,
            sustainedDeliveredPerSecond: 100_000,
            ceilingAbove: false,
          },
        },
      },
    };
    const text = renderSummary(runResultSchema.parse(run), { wide: true });
    expect(text).toMatch(/^sse\s+100\s+100000\s+2\s+200: p99 latency 1500 ms, past the 1000 ms bound$/m);
    // The network checks as `npm run network:check` prints them.
    expect(text).toMatch(/^broadband\s+30\.0\s+30\.4\s+31\.0\s+1\.012\s/m);
  });

  it('lists rows that failed, so a run with one broken row still shows the others', () => {
    const text = renderSummary(
      runResultSchema.parse({
        ...fixture,
        failed: { 'iframe@mobile-3g': 'timed out after 17200 ms waiting for 50 iframe@mobile-3g clients to subscribe' },
      }),
    );
    expect(text).toContain('NOT MEASURED (the row failed; the others ran):\n  - iframe@mobile-3g: timed out after 17200 ms');
    for (const key of Object.keys(fixture.techniques)) expect(text).toMatch(new RegExp(`^${key} `, 'm'));
  });

  it('aligns columns', () => {
    expect(
      renderTable(
        ['a', 'bb'],
        [
          ['xyz', '1'],
          ['q', '22'],
        ],
      ),
    ).toBe('a    bb\n---  --\nxyz   1\nq    22');
    expect([formatBytes(512), formatBytes(5000), formatBytes(20 * 1024), formatBytes(3 * 1024 * 1024)]).toEqual([
      '512 B',
      '4.88 KiB',
      '20 KiB',
      '3 MiB',
    ]);
  });
});

describe('the bottleneck judgement', () => {
  it('names the saturated side, the busier one if both, and none otherwise', () => {
    expect(judgeBottleneck(0.95, 0.3)).toBe('server');
    expect(judgeBottleneck(0.3, 0.97)).toBe('load');
    expect(judgeBottleneck(0.92, 0.99)).toBe('load');
    expect(judgeBottleneck(0.5, 0.5)).toBe('none');
    expect(judgeBottleneck(0.79, 0.6)).toBe('none');
  });
});
