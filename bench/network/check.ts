/**
 * Checks of the emulation itself, over loopback: a ping-pong through the proxy to a tiny
 * echo server measures the round trip the profile promises, and a one-way transfer measures
 * the rate against the cap. The runner records the result in a run's `networkCheck`.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { createDelayProxy } from './proxy.ts';
import { isDirect, resolveProfile, type NetworkProfile, type NetworkProfileInput, type ProfileName } from './profiles.ts';

/** A rate check: one direction, first write to last byte received, less the one-way delay. */
export const throughputCheckSchema = z.object({
  direction: z.enum(['down', 'up']),
  bytes: z.number().int().positive(),
  /** The cap, or absent when the profile has none. */
  promisedBitsPerSecond: z.number().optional(),
  measuredBitsPerSecond: z.number(),
  /** measured ÷ promised; absent without a cap. */
  ratio: z.number().optional(),
});

/** What a run records as `networkCheck` (proposed for results/schema.ts). */
export const networkCheckSchema = z.object({
  profile: z.string(),
  /** How the network was made: `user-space proxy`, or `none` for loopback. */
  method: z.enum(['user-space proxy', 'none']),
  /** The profile's RTT plus the serialisation of the ping message both ways. */
  promisedRttMs: z.number(),
  /** Median over `rounds` round trips. */
  measuredRttMs: z.number(),
  rttP90Ms: z.number(),
  /** measuredRttMs ÷ promisedRttMs; absent when the promise is 0 (loopback). */
  rttRatio: z.number().optional(),
  rounds: z.number().int().positive(),
  down: throughputCheckSchema.optional(),
  up: throughputCheckSchema.optional(),
  /** Time the proxy spent in its own callbacks during the check. */
  proxyCpuMs: z.number(),
});

export type ThroughputCheck = z.infer<typeof throughputCheckSchema>;
export type NetworkCheck = z.infer<typeof networkCheckSchema>;

export interface RttOptions {
  /** Round trips measured after one warm-up (which pays the handshake). Default 20. */
  rounds?: number;
  /** Size of the ping. Default 32 bytes. */
  messageBytes?: number;
}

export interface ThroughputOptions {
  /** Bytes sent. Default: about `targetMs` at the cap, between 64 KiB and 2 MiB; 2 MiB without a cap. */
  bytes?: number;
  /** Default 2000 ms. */
  targetMs?: number;
}

/** The value at quantile `q` (0–1) of ascending `sorted`, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Opens a connection to 127.0.0.1:`port`. */
async function dial(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/** A direct connection (loopback) or one through a fresh proxy for `profile`; `done()` tears both down. */
async function through(profile: NetworkProfile, port: number): Promise<{ port: number; cpuMs: () => number; done: () => Promise<void> }> {
  if (isDirect(profile)) return { port, cpuMs: () => 0, done: async () => {} };
  const proxy = await createDelayProxy({ target: { host: '127.0.0.1', port }, profile });
  return { port: proxy.port, cpuMs: () => proxy.stats().busyMs, done: () => proxy.close() };
}

/** Round trips of a small message through `profile` to an echo server: all samples, ascending, in ms. */
export async function measureRtt(
  profileInput: ProfileName | NetworkProfileInput,
  options: RttOptions = {},
): Promise<{ samplesMs: number[]; promisedRttMs: number; proxyCpuMs: number }> {
  const profile = resolveProfile(profileInput, 'profile');
  const rounds = options.rounds ?? 20;
  const messageBytes = options.messageBytes ?? 32;
  const echo = createServer({ noDelay: true }, (socket) => {
    socket.on('error', () => {}); // the client going away is how a check ends
    socket.pipe(socket);
  });
  const path = await through(profile, await listen(echo));
  const socket = await dial(path.port);
  const message = Buffer.alloc(messageBytes, 0x61);
  const samplesMs: number[] = [];
  try {
    let pending: ((ms: number) => void) | undefined;
    let received = 0;
    let sentMs = 0;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received >= messageBytes && pending !== undefined) {
        received -= messageBytes;
        const settle = pending;
        pending = undefined;
        settle(performance.now() - sentMs);
      }
    });
    const closed = new Promise<never>((_, reject) => socket.once('close', () => reject(new Error('the echo connection closed'))));
    closed.catch(() => {});
    for (let round = 0; round <= rounds; round++) {
      const rtt = new Promise<number>((resolve) => {
        pending = resolve;
      });
      sentMs = performance.now();
      socket.write(message);
      const ms = await Promise.race([rtt, closed]);
      if (round > 0) samplesMs.push(ms);
    }
    return { samplesMs: samplesMs.sort((a, b) => a - b), promisedRttMs: promisedRttMs(profile, messageBytes), proxyCpuMs: path.cpuMs() };
  } finally {
    socket.destroy();
    await path.done();
    await closeServer(echo);
  }
}

/** The RTT a message of `messageBytes` should see: the profile's plus its serialisation each way. */
export function promisedRttMs(profile: NetworkProfile, messageBytes: number): number {
  const serialiseMs = (bitsPerSecond: number | undefined): number =>
    bitsPerSecond === undefined ? 0 : (messageBytes * 8000) / bitsPerSecond;
  return profile.rttMs + serialiseMs(profile.upBitsPerSecond) + serialiseMs(profile.downBitsPerSecond);
}

/** Bytes a throughput check sends by default: about `targetMs` at the cap, 64 KiB – 2 MiB. */
export function defaultTransferBytes(bitsPerSecond: number | undefined, targetMs = 2000): number {
  if (bitsPerSecond === undefined) return 2 * 1024 * 1024;
  return Math.round(Math.min(2 * 1024 * 1024, Math.max(64 * 1024, (bitsPerSecond / 8) * (targetMs / 1000))));
}

/**
 * Sends `bytes` one way through `profile` and times it from the first write to the last byte
 * received, less the one-way delay: the rate the receiver saw. (Timing first byte to last at
 * the receiver would be fooled by a loss stall at the start, which releases a burst.) The
 * handshake hold is left out: this checks the rate, and `measureRtt` the delay.
 */
export async function measureThroughput(
  profileInput: ProfileName | NetworkProfileInput,
  direction: 'down' | 'up',
  options: ThroughputOptions = {},
): Promise<ThroughputCheck & { proxyCpuMs: number }> {
  const profile = { ...resolveProfile(profileInput, 'profile'), handshake: false };
  const cap = direction === 'down' ? profile.downBitsPerSecond : profile.upBitsPerSecond;
  const bytes = options.bytes ?? defaultTransferBytes(cap, options.targetMs);
  const payload = Buffer.alloc(bytes, 0x62);
  let startMs = 0;
  const send = (socket: Socket): void => {
    startMs = performance.now();
    socket.end(payload);
  };
  let receiver: ((socket: Socket) => void) | undefined;
  const server = createServer({ noDelay: true }, (socket) => {
    socket.on('error', () => {});
    if (direction === 'down') send(socket);
    else receiver?.(socket);
  });
  const path = await through(profile, await listen(server));
  try {
    const lastMs = await new Promise<number>((resolve, reject) => {
      const receive = (socket: Socket): void => {
        let lastMs = 0;
        let total = 0;
        socket.on('data', (chunk: Buffer) => {
          lastMs = performance.now();
          total += chunk.length;
        });
        socket.on('end', () => (total === bytes ? resolve(lastMs) : reject(new Error(`received ${total} of ${bytes} bytes`))));
        socket.on('error', reject);
      };
      receiver = receive;
      void dial(path.port).then((socket) => (direction === 'down' ? receive(socket) : send(socket)), reject);
    });
    const transferMs = Math.max(0.001, lastMs - startMs - profile.rttMs / 2);
    const measuredBitsPerSecond = (bytes * 8000) / transferMs;
    return {
      direction,
      bytes,
      promisedBitsPerSecond: cap,
      measuredBitsPerSecond,
      ratio: cap === undefined ? undefined : measuredBitsPerSecond / cap,
      proxyCpuMs: path.cpuMs(),
    };
  } finally {
    await path.done();
    await closeServer(server);
  }
}

/** Options of `checkNetwork`: those of the RTT and rate checks. */
export interface CheckOptions extends RttOptions, ThroughputOptions {
  /** Also measure the rate each way. Default true. */
  throughput?: boolean;
}

/** The RTT check and (unless told not to) a rate check each way, as a run records it. */
export async function checkNetwork(profileInput: ProfileName | NetworkProfileInput, options: CheckOptions = {}): Promise<NetworkCheck> {
  const profile = resolveProfile(profileInput, 'profile');
  const rtt = await measureRtt(profile, options);
  const check: NetworkCheck = {
    profile: profile.name,
    method: isDirect(profile) ? 'none' : 'user-space proxy',
    promisedRttMs: rtt.promisedRttMs,
    measuredRttMs: quantile(rtt.samplesMs, 0.5),
    rttP90Ms: quantile(rtt.samplesMs, 0.9),
    rttRatio: rtt.promisedRttMs > 0 ? quantile(rtt.samplesMs, 0.5) / rtt.promisedRttMs : undefined,
    rounds: rtt.samplesMs.length,
    proxyCpuMs: rtt.proxyCpuMs,
  };
  if (options.throughput !== false) {
    for (const direction of ['down', 'up'] as const) {
      const { proxyCpuMs, ...result } = await measureThroughput(profile, direction, options);
      check[direction] = result;
      check.proxyCpuMs += proxyCpuMs;
    }
  }
  return check;
}
