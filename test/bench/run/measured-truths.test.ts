/**
 * The measurements against truths that do not come from the harness: short polling at
 * interval I waits about I/2 on average; SSE costs its framed bytes per message; a message
 * a client never saw is reported lost. Each runs the real runner against a server process.
 */
import { describe, expect, it } from 'vitest';
import { runPlan } from '../../../bench/run/runner.ts';
import { makePayload } from '../../../bench/run/publisher.ts';
import type { RunPlan } from '../../../bench/scenario/plan.ts';

function plan(overrides: Partial<RunPlan> & Pick<RunPlan, 'technique'>): RunPlan {
  return {
    key: overrides.technique,
    clients: 5,
    topics: 1,
    ratePerSecond: 20,
    payloadBytes: 256,
    durationMs: 2000,
    warmupMs: 300,
    drainMs: 3000,
    intervalMs: 1000,
    holdMs: 25_000,
    ...overrides,
  };
}

describe('the measurements agree with independent truths', () => {
  it('short polling at 200 ms shows a median latency near 100 ms', async () => {
    // 23 msg/s is not a divisor of the poll interval, so messages fall all over the poll cycle.
    const row = await runPlan(plan({ technique: 'short-poll', clients: 10, intervalMs: 200, ratePerSecond: 23, durationMs: 3000 }));
    const context = JSON.stringify({ ...row, latencyCdf: undefined });
    expect(row.lost, context).toBe(0);
    expect(row.delivered, context).toBeGreaterThan(500);
    expect(row.latencyMs.p50, context).toBeGreaterThanOrEqual(0.25 * 200);
    expect(row.latencyMs.p50, context).toBeLessThanOrEqual(0.75 * 200);
    // Nothing waits longer than one interval plus a round trip, give or take a loaded machine.
    expect(row.latencyMs.p90).toBeGreaterThan(row.latencyMs.p50);
  }, 30_000);

  it('SSE costs about its framed message per delivery, plus the amortised headers', async () => {
    const payloadBytes = 512;
    const clients = 5;
    const row = await runPlan(plan({ technique: 'sse', clients, payloadBytes }));
    expect(row.lost).toBe(0);
    // The framing of docs/DESIGN.md, counted by hand: `id: <id>\ndata: <envelope>\n\n` with the
    // envelope {"id":<id>,"topic":"lobby","data":<payload>,"t":<epoch ms>}. Ids here have 1–2
    // digits; `t` is 13 digits plus up to 5 for a fraction.
    const payload = JSON.stringify(makePayload(process.hrtime.bigint(), payloadBytes));
    expect(payload.length).toBe(payloadBytes);
    const envelope = (idDigits: number, tDigits: number): number =>
      '{"id":'.length + idDigits + ',"topic":"lobby","data":'.length + payloadBytes + ',"t":'.length + tDigits + '}'.length;
    const framed = (idDigits: number, tDigits: number): number =>
      'id: '.length + idDigits + '\ndata: '.length + envelope(idDigits, tDigits) + '\n\n'.length;
    // Headers, `retry:` and the cursor event were written when the stream opened, before the
    // window; allow them anyway, shared by the messages each connection carried.
    const perConnection = row.delivered / clients;
    const headerAllowance = 1024 / perConnection;
    expect(row.bytesOutPerMessage).toBeGreaterThanOrEqual(framed(1, 13));
    expect(row.bytesOutPerMessage).toBeLessThanOrEqual(framed(2, 18) + headerAllowance);
    expect(row.bytesPerMessage).toBeLessThanOrEqual(framed(2, 18) + headerAllowance);
    expect(row.payloadShare).toBeGreaterThan(payloadBytes / (framed(2, 18) + headerAllowance));
  }, 30_000);

  it('a message a client deliberately skips is reported lost, the rest delivered', async () => {
    const row = await runPlan(plan({ technique: 'websocket', clients: 3, durationMs: 1000 }), { dropOne: 1 });
    expect(row.lost).toBe(1);
    expect(row.delivered).toBe(row.expected - 1);
    expect(row.expected).toBe(row.published * 3);
  }, 30_000);
});
