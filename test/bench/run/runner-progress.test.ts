/**
 * What the runner does and says for a run of streaming techniques only, through the real
 * runner (server processes, lean clients, autocannon): the capacity step measures publish
 * and no polling route nobody asked for, and progress states the scenario's own warm-up and
 * window, with the capacity phase named by its scenario.
 */
import { describe, expect, it } from 'vitest';
import { capacityEndpoints } from '../../../bench/run/capacity.ts';
import type { ProgressEvent } from '../../../bench/run/events.ts';
import { runScenario } from '../../../bench/run/runner.ts';
import { parseScenario } from '../../../bench/scenario/schema.ts';

describe('runner: capacity and progress', () => {
  it('picks the polling endpoints of the techniques run, and publish', () => {
    expect(capacityEndpoints()).toEqual(['short-poll', 'long-poll', 'jsonp', 'baseline-node-http', 'baseline-koa', 'publish']);
    expect(capacityEndpoints(['sse', 'websocket'])).toEqual(['publish']);
    expect(capacityEndpoints(['websocket', 'jsonp', 'short-poll'])).toEqual([
      'short-poll',
      'jsonp',
      'baseline-node-http',
      'baseline-koa',
      'publish',
    ]);
  });

  it('an SSE-only run measures publish capacity only, and progress matches the scenario', { timeout: 60_000 }, async () => {
    const scenario = parseScenario(
      { clients: 2, ratePerSecond: 10, durationMs: 600, warmupMs: 300, drainMs: 3000, capacityMs: 300, techniques: ['sse'] },
      'test',
      'streams-only',
    );
    const events: ProgressEvent[] = [];
    const run = await runScenario(scenario, { onProgress: (event) => events.push(event) });
    expect(Object.keys(run.capacity ?? {})).toEqual(['publish']);
    expect(run.capacity?.publish?.requestsPerSecond).toBeGreaterThan(0);
    const phases = events.filter((event): event is Extract<ProgressEvent, { type: 'phase' }> => event.type === 'phase');
    expect(phases.map(({ run: name, phase, total, unit }) => `${name} ${phase} ${total} ${unit}`)).toEqual([
      'sse connect 2 clients',
      'sse warm-up 300 ms',
      'sse measure 600 ms',
      'sse drain 2 clients',
      'streams-only capacity 1 endpoints',
    ]);
  });
});
