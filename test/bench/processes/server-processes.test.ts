/**
 * The benchmark reads memory per connection after a full collection it asks for with SIGUSR2.
 * Node's default for that signal ends the process: a server that does not handle it would die
 * here, and one that handles it without collecting would leave the major-GC count unchanged.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MetricsSnapshot } from '../../../bench/processes/prometheus.ts';
import { startServerProcess, type ServerProcess } from '../../../bench/processes/server.ts';
import { startPeerProcess } from '../../../bench/peers/process.ts';

const majorCollections = (snapshot: MetricsSnapshot): number => snapshot.samples.get('nodejs_gc_duration_seconds_count{kind="major"}') ?? 0;

describe('collectGarbage', () => {
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it.each([
    ['pushlab', () => startServerProcess()],
    ['the baseline peer', () => startPeerProcess('baseline')],
  ])('runs a full collection in %s and leaves it serving', async (_name, start) => {
    server = await start();
    const before = majorCollections(await server.metrics());
    await server.collectGarbage();
    await server.collectGarbage();
    const after = majorCollections(await server.metrics());
    expect(after).toBeGreaterThanOrEqual(before + 2);
  });
});
