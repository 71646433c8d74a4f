/**
 * What the benchmark relies on in every server it starts, pushlab and the peers alike:
 * - it reads memory per connection after a full collection it asks for with SIGUSR2. Node's
 *   default for that signal ends the process: a server that does not handle it would die here,
 *   and one that handles it without collecting would leave the major-GC count unchanged;
 * - a `/metrics` read is dated by when the server sampled its counters
 *   (`process_collected_hrtime_seconds`), not by when the harness got to the answer: a
 *   saturated load generator reads late, and dating its reads itself put a server's CPU share
 *   of a window past one core.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseMetrics, type MetricsSnapshot } from '../../../bench/processes/prometheus.ts';
import { startServerProcess, type ServerProcess } from '../../../bench/processes/server.ts';
import { startPeerProcess } from '../../../bench/peers/process.ts';
import { loadScenario } from '../../../bench/scenario/load.ts';
import { expandScenario } from '../../../bench/scenario/plan.ts';

const majorCollections = (snapshot: MetricsSnapshot): number => snapshot.samples.get('nodejs_gc_duration_seconds_count{kind="major"}') ?? 0;

describe.each([
  ['pushlab', () => startServerProcess()],
  ['the baseline peer', () => startPeerProcess('baseline')],
])('%s', (_name, start) => {
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('runs a full collection on SIGUSR2 and goes on serving', async () => {
    server = await start();
    const before = majorCollections(await server.metrics());
    await server.collectGarbage();
    await server.collectGarbage();
    const after = majorCollections(await server.metrics());
    expect(after).toBeGreaterThanOrEqual(before + 2);
  });

  it('dates a /metrics read by when it collected it, though the reader was busy', async () => {
    server = await start();
    const { hostname, port } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    await new Promise((resolve) => socket.once('connect', resolve));
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const asked = process.hrtime.bigint();
    // The request leaves at once (a connected socket writes straight to the kernel); then this
    // thread is busy while the server answers, as a saturated load generator is.
    socket.write(`GET /metrics HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`);
    while (process.hrtime.bigint() - asked < 400_000_000n) {
      // busy
    }
    const busyEnd = process.hrtime.bigint();
    await new Promise((resolve) => socket.once('end', resolve));
    const snapshot = parseMetrics(text.slice(text.indexOf('\r\n\r\n') + 4));
    expect(snapshot.samples.has('process_collected_hrtime_seconds')).toBe(true);
    expect(snapshot.at).toBeGreaterThan(asked);
    expect(snapshot.at).toBeLessThan(busyEnd);
    socket.destroy();
  });
});

describe("a scenario's streamMaxBytes", () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it('reaches the server it starts: its iframe document ends after that many bytes, and the scenario passes it on', async () => {
    expect(expandScenario(await loadScenario('saturation'))[0]?.streamMaxBytes).toBe(64 * 1024 * 1024);
    for (const [flags, ends] of [
      [{ streamMaxBytes: 4096 }, true],
      [{}, false],
    ] as const) {
      const server = await startServerProcess(flags);
      closers.push(() => server.stop());
      const messages = Array.from({ length: 40 }, (_, i) => ({ topic: 'lobby', data: { i, pad: 'x'.repeat(200) } }));
      const published = await fetch(`${server.url}/api/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages }),
      });
      expect(published.status).toBe(202);
      // A replay of ~10 KiB: past 4 KiB the document ends; under the server's 256 KiB it stays open.
      const controller = new AbortController();
      const answer = await fetch(`${server.url}/api/iframe?topic=lobby&since=0`, { signal: controller.signal });
      const read = answer.text();
      const result = await Promise.race([read.then((text) => text.length), new Promise<'open'>((r) => setTimeout(() => r('open'), 1500))]);
      controller.abort();
      await read.catch(() => undefined);
      // (A replay is written before the bound is looked at, so the ended document holds it all.)
      if (ends) expect(result).toBeGreaterThan(4096);
      else expect(result).toBe('open');
    }
  });
});
