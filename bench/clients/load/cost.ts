/**
 * What the load generator pays per delivery: one server (pushlab's WebSocket, or the
 * baseline) on core 0, subscribers in this process, which pins itself to core 1 as the CLI
 * does, batches published at a fixed rate, and this process's CPU time over the window
 * divided by the deliveries it read: with the fast path (`scan.ts`) and with every frame
 * parsed, alternately.
 *
 *   node --import tsx bench/clients/load/cost.ts --target baseline --clients 1000 --rate 200 --rounds 3
 *
 * Not under `taskset -c 1`: a process started on one core cannot pin the server to another,
 * and the two would share it. The publisher runs here too, so its share (one batch request
 * per burst) is in both figures.
 */
import { parseArgs } from 'node:util';
import { startPeerProcess } from '../../peers/process.ts';
import { pinSelf, startServerProcess, type ServerProcess } from '../../processes/server.ts';
import { startPublisher } from '../../run/publisher.ts';
import { openSubscribers } from '../../run/subscribers.ts';
import { sleep } from '../../run/wait.ts';

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'websocket' },
    clients: { type: 'string', default: '200' },
    rate: { type: 'string', default: '2000' },
    burst: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
  },
});
const target = values.target;
if (target !== 'websocket' && target !== 'baseline') throw new Error('--target is websocket or baseline');
const clients = Number(values.clients);
const rate = Number(values.rate);
const burst = Number(values.burst);
const seconds = Number(values.seconds);

/** µs of this process's CPU per delivery read, over one window on fresh subscribers. */
async function measure(server: ServerProcess, fastPath: boolean): Promise<{ micros: number; deliveries: number }> {
  const subs = await openSubscribers({
    baseUrl: server.url,
    technique: 'websocket',
    ...(target === 'baseline' ? { peer: 'baseline' as const } : {}),
    clients,
    topics: ['lobby'],
    intervalMs: 1000,
    holdMs: 1000,
    fastPath,
  });
  try {
    const publisher = startPublisher({ baseUrl: server.url, topics: ['lobby'], ratePerSecond: rate, payloadBytes: 64, burst });
    subs.measure({ startNs: publisher.startNs, endNs: publisher.startNs + BigInt(seconds * 1e9) });
    await sleep(500); // warm-up: JIT, socket buffers
    const received = (): number => subs.list.reduce((sum, s) => sum + s.checker.received, 0);
    const before = { cpu: process.cpuUsage(), received: received() };
    await sleep(seconds * 1000);
    const cpu = process.cpuUsage(before.cpu);
    const deliveries = received() - before.received;
    await publisher.stopAt(process.hrtime.bigint());
    return { micros: (cpu.user + cpu.system) / Math.max(1, deliveries), deliveries };
  } finally {
    subs.close();
  }
}

// The server is pinned to core 0 when it starts, before this process narrows itself to core 1.
const server = target === 'baseline' ? await startPeerProcess('baseline', { core: 0 }) : await startServerProcess();
if (!pinSelf(1)) console.error('cost: taskset or a second core is missing: server and load share the cores, so the figures mix them');
try {
  const rows: { path: string; micros: number; perSecond: number }[] = [];
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const fastPath of [false, true]) {
      const { micros, deliveries } = await measure(server, fastPath);
      rows.push({ path: fastPath ? 'fast (scan)' : 'parse every frame', micros, perSecond: Math.round(deliveries / seconds) });
    }
  }
  const median = (list: number[]): number => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? 0;
  for (const path of ['parse every frame', 'fast (scan)']) {
    const mine = rows.filter((row) => row.path === path);
    console.log(
      `${target} ${path}: ${median(mine.map((r) => r.micros)).toFixed(2)} µs/delivery (median of ${mine.length}; runs ${mine.map((r) => r.micros.toFixed(2)).join(', ')}) at ${median(mine.map((r) => r.perSecond))} deliveries/s`,
    );
  }
} finally {
  await server.stop();
}
