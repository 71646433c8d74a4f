/**
 * A `/metrics` read is dated by when the server sampled its counters
 * (`process_collected_hrtime_seconds`), not by when the harness got to the answer: a
 * saturated load generator reads late, and dating its reads itself put a server's CPU share
 * of a window past one core.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseMetrics } from '../../../bench/processes/prometheus.ts';
import { startServerProcess, type ServerProcess } from '../../../bench/processes/server.ts';
import { startPeerProcess } from '../../../bench/peers/process.ts';

describe('a /metrics read', () => {
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it.each([
    ['pushlab', () => startServerProcess()],
    ['the baseline peer', () => startPeerProcess('baseline')],
  ])('from %s is dated when the server collected it, though the reader was busy', async (_name, start) => {
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
