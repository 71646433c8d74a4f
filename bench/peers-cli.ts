/**
 * A quick side-by-side measurement of peers (not the benchmark: no warm-up, no sequence
 * accounting beyond counts). It prints the server's RSS per connection once every client
 * is subscribed; then, for each rate, publishes at a fixed schedule for `--duration`,
 * waits up to 5 s for the deliveries, and prints deliveries/s (from the first publish to
 * the last delivery), what was still missing, each side's CPU share and µs per delivery,
 * and latency from the scheduled publish time.
 *
 * node --import tsx bench/peers-cli.ts --peer baseline --clients 1000 --rates 100,1000 --duration 3000
 * node --import tsx bench/peers-cli.ts --peer baseline --clients 100 --strace 50
 *
 * The server is pinned to core 0 and this process to core 1 with `taskset` where present.
 * `--strace N` instead attaches `strace -c -f -e trace=write,writev` to the server during a
 * burst of N publishes pipelined in one TCP write, and prints its summary.
 */
import { spawn, spawnSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { Command } from 'commander';
import { build } from 'hdr-histogram-js';
import { createPeerClient, type PeerClient } from './peers/clients/index.ts';
import { isPeerId, peers, type PeerId } from '../registry/peers.ts';
import { startPeerProcess } from './peers/process.ts';
import { metricValue } from './processes/prometheus.ts';

const flags = new Command('measure')
  .requiredOption('--peer <id>', 'peer id')
  .option('--clients <n>', 'subscribers', '1000')
  .option('--rates <list>', 'publish rates, msg/s, comma separated', '100,1000')
  .option('--duration <ms>', 'window per rate', '3000')
  .option('--payload <bytes>', 'padding in each payload', '64')
  .option('--lean', 'socketio-websocket: the lean client instead of socket.io-client')
  .option('--strace <n>', 'burst size for an strace count instead of rates')
  .parse()
  .opts<{ peer: string; clients: string; rates: string; duration: string; payload: string; strace?: string; lean?: boolean }>();

if (!isPeerId(flags.peer)) throw new Error(`unknown peer ${flags.peer}`);
const peer: PeerId = flags.peer;
const clientCount = Number(flags.clients);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const server = await startPeerProcess(peers[peer].server, { core: 0 });
// Pinned after the server starts: once pinned, this process sees one core and would not pin the server.
const pinnedSelf = spawnSync('taskset', ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' }).status === 0;
/** Every subscriber gets the same message: its scheduled time is parsed once, not once per delivery. */
let lastT = '';
let lastNs = 0n;
await sleep(300);
const idle = await server.metricsText();
const histogram = build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
let received = 0;
const clients: PeerClient[] = [];
for (let start = 0; start < clientCount; start += 50) {
  const batch: PeerClient[] = [];
  for (let i = start; i < Math.min(clientCount, start + 50); i++) {
    batch.push(
      createPeerClient(
        peer,
        { baseUrl: server.url, topic: 'lobby' },
        {
          onMessage(message) {
            received++;
            const t = (message.data as { t?: string }).t;
            if (t === undefined) return;
            if (t !== lastT) {
              lastT = t;
              lastNs = BigInt(t);
            }
            histogram.recordValue(Math.max(1, Math.round(Number(process.hrtime.bigint() - lastNs) / 1000)));
          },
        },
        { socketio: flags.lean === true ? 'lean' : 'official' },
      ),
    );
  }
  await Promise.all(batch.map((c) => c.ready));
  clients.push(...batch);
}
await sleep(Math.min(1000, 100 + clientCount));
const connected = await server.metricsText();
const rssPerConnection =
  ((metricValue(connected, 'process_resident_memory_bytes') ?? 0) - (metricValue(idle, 'process_resident_memory_bytes') ?? 0)) /
  clientCount;
console.log(
  `${peer}: ${clientCount} clients subscribed; server RSS +${Math.round(rssPerConnection)} bytes per connection; server pid ${server.pid} pinned ${server.pinned}, load pinned ${pinnedSelf}`,
);

if (flags.strace !== undefined) {
  const burst = Number(flags.strace);
  const strace = spawn('strace', ['-c', '-f', '-e', 'trace=write,writev', '-p', String(server.pid)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let report = '';
  strace.stderr.on('data', (chunk: Buffer) => (report += chunk.toString()));
  await sleep(1000);
  const body = JSON.stringify({ data: { t: '0', p: 'x'.repeat(Number(flags.payload)) } });
  const one = `POST /api/publish HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const target = received + burst * clientCount;
  socket.write(one.repeat(burst));
  while (received < target) await sleep(20);
  await sleep(300);
  socket.destroy();
  strace.kill('SIGINT');
  await new Promise((resolve) => strace.once('exit', resolve));
  console.log(
    `burst of ${burst} messages × ${clientCount} subscribers = ${burst * clientCount} deliveries; write/writev syscalls (strace -c -f):`,
  );
  console.log(report);
} else {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const publish = (body: string) =>
    new Promise<void>((resolve) => {
      const req = request(
        `${server.url}/api/publish`,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on('end', () => resolve());
        },
      );
      req.on('error', () => resolve());
      req.end(body);
    });
  console.log(
    'rate msg/s | deliveries/s | missing | server CPU share | load CPU share | server µs/delivery | load µs/delivery | p50 ms | p99 ms',
  );
  for (const rate of flags.rates.split(',').map(Number)) {
    const durationMs = Number(flags.duration);
    histogram.reset();
    const before = await server.metricsText();
    const cpuBefore = process.cpuUsage();
    const receivedBefore = received;
    const startNs = process.hrtime.bigint();
    const total = Math.round((rate * durationMs) / 1000);
    let sent = 0;
    const inFlight: Promise<void>[] = [];
    while (sent < total) {
      const dueNs = startNs + BigInt(Math.round((sent * 1e9) / rate));
      const now = process.hrtime.bigint();
      if (now < dueNs) {
        await sleep(Math.max(0, Math.floor(Number(dueNs - now) / 1e6)));
        continue;
      }
      // Scheduled time in the payload: a late publish is charged from when it was due.
      inFlight.push(publish(JSON.stringify({ data: { t: dueNs.toString(), p: 'x'.repeat(Number(flags.payload)) } })));
      sent++;
      if (inFlight.length > 256) await Promise.all(inFlight.splice(0));
    }
    await Promise.all(inFlight);
    const deadline = Date.now() + 5000;
    while (received - receivedBefore < total * clientCount && Date.now() < deadline) await sleep(20);
    const seconds = Number(process.hrtime.bigint() - startNs) / 1e9;
    const after = await server.metricsText();
    const cpu = process.cpuUsage(cpuBefore);
    const serverCpu = (metricValue(after, 'process_cpu_seconds_total') ?? 0) - (metricValue(before, 'process_cpu_seconds_total') ?? 0);
    const delivered = received - receivedBefore;
    console.log(
      [
        rate,
        Math.round(delivered / seconds),
        total * clientCount - delivered,
        (serverCpu / seconds).toFixed(2),
        ((cpu.user + cpu.system) / 1e6 / seconds).toFixed(2),
        ((serverCpu * 1e6) / Math.max(1, delivered)).toFixed(2),
        ((cpu.user + cpu.system) / Math.max(1, delivered)).toFixed(2),
        (histogram.getValueAtPercentile(50) / 1000).toFixed(1),
        (histogram.getValueAtPercentile(99) / 1000).toFixed(1),
      ].join(' | '),
    );
    await sleep(500);
  }
  agent.destroy();
}
for (const client of clients) client.close();
console.log(`server exit code ${await server.stop()}`);
