/**
 * A small scale-out run end to end, through the real runner: redis-server, 2 pushlab
 * processes on it and nginx (deploy/nginx.conf) in front, a few clients, a short window,
 * and one process killed mid-window. Every technique's clients fail over through nginx and
 * resume from their cursors: nothing lost, repeated or reordered.
 */
import { describe, expect, it } from 'vitest';
import { techniqueIds } from '../../../bench/clients/wire/index.ts';
import { runPlan } from '../../../bench/run/runner.ts';
import { parseScenario } from '../../../bench/scenario/schema.ts';
import { expandScenario, type RunPlan } from '../../../bench/scenario/plan.ts';
import { skipNginx } from '../../helpers/nginx.ts';
import { skipRedis } from '../../helpers/redis.ts';

function plan(overrides: Partial<RunPlan> & Pick<RunPlan, 'technique'>): RunPlan {
  return {
    key: `${overrides.technique}@scale-out`,
    clients: 4,
    topics: 1,
    ratePerSecond: 20,
    payloadBytes: 256,
    durationMs: 2500,
    warmupMs: 500,
    drainMs: 6000,
    intervalMs: 100,
    holdMs: 25_000,
    processes: 2,
    ...overrides,
  };
}

describe('a scale-out scenario', () => {
  it('runs each row on one in-memory process and through nginx on the processes; the failover only on the second', () => {
    const scenario = parseScenario({
      clients: 2,
      ratePerSecond: 1,
      durationMs: 2000,
      techniques: ['sse'],
      scaleOut: { processes: 3 },
      faults: { failoverAtMs: 1000 },
      peers: ['socketio-websocket'],
    });
    const plans = expandScenario(scenario).map(({ key, processes, faults }) => ({ key, processes, failoverAtMs: faults?.failoverAtMs }));
    expect(plans).toEqual([
      { key: 'sse@single', processes: undefined, failoverAtMs: undefined },
      { key: 'sse@scale-out', processes: 3, failoverAtMs: 1000 },
      { key: 'peer:socketio-websocket@single', processes: undefined, failoverAtMs: undefined },
      { key: 'peer:socketio-websocket@scale-out', processes: 3, failoverAtMs: 1000 },
    ]);
  });

  it('refuses a failover without several processes, and peers without a Redis variant', () => {
    expect(() => parseScenario({ clients: 1, ratePerSecond: 1, durationMs: 2000, faults: { failoverAtMs: 1000 } })).toThrow(/scaleOut/);
    expect(() => parseScenario({ clients: 1, ratePerSecond: 1, durationMs: 2000, scaleOut: {}, peers: ['sockjs-websocket'] })).toThrow(
      /Socket\.IO peers/,
    );
  });
});

describe.skipIf(skipRedis || skipNginx)('failover through nginx on two processes', () => {
  it.each(techniqueIds)(
    '%s: a process killed mid-window; its clients resume on the other: 0 lost, 0 duplicated, 0 out of order',
    async (technique) => {
      const row = await runPlan(plan({ technique, faults: { failoverAtMs: 1000 } }));
      const context = JSON.stringify({ ...row, latencyCdf: undefined });
      expect(row.processes, context).toBe(2);
      expect(row.failovers, context).toBe(1);
      expect(row.expected, context).toBeGreaterThan(0);
      expect(row.delivered, context).toBe(row.expected);
      expect([row.lost, row.duplicated, row.outOfOrder, row.gaps], context).toEqual([0, 0, 0, 0]);
      expect(row.redisCpuMs, context).toBeGreaterThanOrEqual(0);
      expect(row.nginxCpuMs, context).toBeGreaterThanOrEqual(0);
    },
    60_000,
  );

  it('the Socket.IO peer on its Redis Streams adapter runs the same failover, and what it missed is counted', async () => {
    const row = await runPlan(
      plan({
        technique: 'websocket',
        peer: 'socketio-websocket',
        key: 'peer:socketio-websocket@scale-out',
        faults: { failoverAtMs: 1000 },
      }),
    );
    const context = JSON.stringify({ ...row, latencyCdf: undefined });
    expect(row.peer, context).toBe('socketio-websocket');
    expect(row.failovers, context).toBe(1);
    expect(row.expected, context).toBeGreaterThan(0);
    // Deliveries are counted from the clients (a broadcast from the other process passes no counter here).
    expect(row.delivered + row.lost, context).toBe(row.expected);
  }, 60_000);
});
