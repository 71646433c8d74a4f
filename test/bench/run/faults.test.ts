/**
 * The fault scenarios through the real runner and server processes: churn loses nothing for
 * any technique; stalled subscribers are cut off at the server's bound while the healthy
 * ones lose nothing; a soak samples memory and handles.
 */
import { describe, expect, it } from 'vitest';
import { techniqueIds } from '../../../bench/clients/wire/index.ts';
import { runPlan } from '../../../bench/run/runner.ts';
import { loadScenario } from '../../../bench/scenario/load.ts';
import type { RunPlan } from '../../../bench/scenario/plan.ts';
import { countRestart } from '../../../bench/run/faults/restart.ts';

function plan(overrides: Partial<RunPlan> & Pick<RunPlan, 'technique'>): RunPlan {
  return {
    key: overrides.technique,
    clients: 6,
    topics: 2,
    ratePerSecond: 40,
    payloadBytes: 256,
    durationMs: 1500,
    warmupMs: 300,
    drainMs: 4000,
    intervalMs: 100,
    holdMs: 25_000,
    ...overrides,
  };
}

describe('churn', () => {
  it.each(techniqueIds)(
    '%s: clients that drop and resume with their cursor lose nothing, see nothing twice',
    async (technique) => {
      const row = await runPlan(plan({ technique, faults: { churnMeanMs: 250 } }));
      const context = JSON.stringify({ ...row, latencyCdf: undefined });
      expect(row.drops, context).toBeGreaterThan(6);
      expect(row.delivered, context).toBe(row.expected);
      expect([row.lost, row.duplicated, row.outOfOrder, row.gaps], context).toEqual([0, 0, 0, 0]);
    },
    30_000,
  );
});

describe('slow consumers', () => {
  it.each(['sse', 'websocket'] as const)(
    '%s: stalled subscribers are cut off at the bound; the healthy lose nothing',
    async (technique) => {
      // 60 KB messages at 100/s fill loopback socket buffers and the 1 MiB bound within a second or two.
      const row = await runPlan(
        plan({
          technique,
          clients: 4,
          topics: 1,
          payloadBytes: 60_000,
          ratePerSecond: 100,
          durationMs: 2500,
          faults: { stalledShare: 0.5, sampleMs: 500 },
        }),
      );
      const context = JSON.stringify({ ...row, latencyCdf: undefined });
      expect(row.stalled, context).toBe(2);
      expect(row.slowConsumerDisconnects, context).toBe(2);
      expect(row.delivered, context).toBe(row.expected);
      expect(row.lost, context).toBe(0);
      expect(row.serverSamples?.length, context).toBeGreaterThanOrEqual(3);
      expect(
        row.serverSamples?.every(([, rss, handles]) => rss > 0 && handles > 0),
        context,
      ).toBe(true);
    },
    30_000,
  );

  it('iframe: a stalled subscriber costs at most one document (the byte limit ends it before the bound)', async () => {
    const row = await runPlan(
      plan({
        technique: 'iframe',
        clients: 4,
        topics: 1,
        payloadBytes: 60_000,
        ratePerSecond: 100,
        durationMs: 1500,
        faults: { stalledShare: 0.5 },
      }),
    );
    const context = JSON.stringify({ ...row, latencyCdf: undefined, serverSamples: undefined });
    expect(row.stalled, context).toBe(2);
    expect(row.lost, context).toBe(0);
    expect(row.delivered, context).toBe(row.expected);
    expect(row.notes?.join(' '), context).toMatch(/stalled subscribers were not cut off/);
  }, 30_000);

  it('polls have no stream to stall, and the row says so', async () => {
    const row = await runPlan(plan({ technique: 'long-poll', durationMs: 500, faults: { stalledShare: 0.5 } }));
    expect(row.stalled).toBeUndefined();
    expect(row.notes?.join(' ')).toMatch(/does not apply/);
  }, 30_000);
});

describe('restart', () => {
  it.each(['short-poll', 'sse', 'websocket'] as const)(
    '%s: after kill -9 and a restart, the loss is reported by a gap, never silent, never twice',
    async (technique) => {
      // Half the subscribers stay away 3 s after the kill, so the new server's ids can pass
      // their old cursors before they return: the epoch in the cursor still tells them. The
      // drain waits until every subscriber has been told (or its time is up), so a new server
      // that came up late on a loaded machine does not end the run before they reconnect.
      const row = await runPlan(
        plan({
          technique,
          topics: 1,
          ratePerSecond: 40,
          durationMs: 5000,
          drainMs: 10_000,
          intervalMs: 200,
          faults: { restartAtMs: 1500, reconnectDelayMs: 3000 },
        }),
      );
      const context = JSON.stringify({ ...row, latencyCdf: undefined });
      expect(row.restarts, context).toBe(1);
      expect(row.subscribersWithGap, context).toBe(row.clients);
      expect([row.lost, row.duplicated, row.outOfOrder], context).toEqual([0, 0, 0]);
      expect(row.delivered + (row.reportedLost ?? 0), context).toBe(row.expected);
      expect(row.notes?.join(' '), context).toMatch(/3 subscribers stayed away \d+ ms after the kill \(at least 3000 ms\)/);
    },
    60_000,
  );

  it('counts a missing old-server message as silent loss when no gap followed it', () => {
    const published = [1, 2, 3].map((id) => ({ topic: 't', id, scheduledNs: BigInt(id), ackedNs: BigInt(id) }));
    published.push({ topic: 't', id: 1, scheduledNs: 10n, ackedNs: 10n }); // the new server's first
    const subscriber = (gapsAt: number[]) => ({
      topic: 't',
      client: undefined as never,
      checker: undefined as never,
      arrivals: [
        { scheduledNs: 1n, id: 1 },
        { scheduledNs: 10n, id: 1 },
      ],
      gapsAt,
    });
    const reported = countRestart([subscriber([1])], published, 5n, 0n, 100n);
    expect(reported).toMatchObject({ expected: 4, delivered: 2, reportedLost: 2, lost: 0, subscribersWithGap: 1 });
    const silent = countRestart([subscriber([])], published, 5n, 0n, 100n);
    expect(silent).toMatchObject({ expected: 4, delivered: 2, reportedLost: 0, lost: 2, subscribersWithGap: 0 });
  });
});

describe('the fault scenarios', () => {
  it.each(['churn', 'slow-consumer', 'soak', 'restart'])('%s validates', async (name) => {
    const scenario = await loadScenario(name);
    expect(scenario.faults).toBeDefined();
  });
});
