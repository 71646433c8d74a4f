/**
 * `--load-workers N`: a run's subscribers spread over N load processes (`load-worker.ts`),
 * each pinned to its own core where there are enough, so the load side can have more than
 * the one core the CLI runs on. The main process sees them as one `Subscribers`: each
 * subscriber's sequence state and the latency histograms (encoded, merged as autocannon
 * merges its workers') arrive every 50 ms, so the drain and the delivery counts of
 * `window.ts` work unchanged. Churn and restarts stay in-process (they drive the clients).
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PushClient } from '../clients/base.ts';
import type { TechniqueId } from '../clients/wire/index.ts';
import { canPin, coresAtStart, nodeArgsFrom } from '../processes/server.ts';
import { mergeHistograms } from './histograms.ts';
import { SequenceChecker, type SequenceState } from './sequence.ts';
import {
  createLatencyHistogram,
  type LoadProcessCounters,
  type Subscriber,
  type SubscriberOptions,
  type Subscribers,
} from './subscribers.ts';

/** What the main process sends a load worker. */
export type WorkerRequest =
  | { type: 'open'; options: Omit<SubscriberOptions, 'workers'> }
  | { type: 'measure'; startNs: string; endNs: string }
  | { type: 'close' };

/** What a load worker sends back. */
export type WorkerReport =
  | { type: 'started' }
  | { type: 'ready'; ready: number }
  | { type: 'opened' }
  | { type: 'failed'; error: string }
  | {
      type: 'state';
      counters: LoadProcessCounters;
      subscribers: SequenceState[];
      histogram: string;
      gaps: number;
      errors: number;
      foreign: number;
      corrupt: number;
      corruptReasons: string[];
      drops: number;
    };

const workerScript = resolve(dirname(fileURLToPath(import.meta.url)), 'load-worker.ts');

/** Where a load process runs: a core, and whether it only takes what the server leaves of it. */
export interface LoadSeat {
  core: number;
  lowPriority: boolean;
}

/**
 * The seats of the load processes: every core but the server's (core 0), and, when the
 * server has a CPU budget below one core (`cpu-budget.ts`), core 0 too at the lowest priority
 * (nice 19): there it runs only in what the budget leaves idle, and never takes the server's share.
 */
export function loadSeats(cores = coresAtStart, serverShare = 1): LoadSeat[] {
  if (cores < 2) return [];
  const seats = Array.from({ length: cores - 1 }, (_, i) => ({ core: i + 1, lowPriority: false }));
  if (serverShare < 1) seats.push({ core: 0, lowPriority: true });
  return seats;
}

/** The share of a core a seat gives the load: a whole one, or what the server's budget leaves. */
export function seatCapacity(seat: LoadSeat | undefined, serverShare = 1): number {
  return seat?.lowPriority === true ? Math.max(0, 1 - serverShare) : 1;
}

/**
 * The cores the load side has, in whole cores: 1 in this process; with `workers` load
 * processes, the capacity of the seats they sit on (a seat holding two workers counts once).
 */
export function loadCores(workers: number, cores = coresAtStart, serverShare = 1): number {
  const seats = loadSeats(cores, serverShare);
  if (workers <= 0 || seats.length === 0) return 1;
  return seats.slice(0, workers).reduce((sum, seat) => sum + seatCapacity(seat, serverShare), 0);
}

/** The default number of load processes: one per seat (`loadSeats`); 0 (in this process) when there is one seat. */
export function defaultLoadWorkers(cores = coresAtStart, serverShare = 1): number {
  const seats = loadSeats(cores, serverShare).length;
  return seats > 1 ? seats : 0;
}

/** Lowers every thread of `pid` to the lowest priority (Linux priorities are per thread). */
function lowerPriority(pid: number): void {
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    threads = [String(pid)];
  }
  for (const tid of threads) {
    try {
      setPriority(Number(tid), 19);
    } catch {
      // A thread that has exited since the listing: nothing to lower.
    }
  }
}

/** A subscriber whose client lives in a worker: what the main process can do with it. */
const remoteClient = (technique: TechniqueId): PushClient => ({
  technique,
  cursor: undefined,
  requests: 0,
  ready: Promise.resolve(),
  drops: 0,
  drop() {},
  close() {},
});

/** Opens `options.clients` subscribers over `workers` load processes; resolves once every one is subscribed. */
export async function openWorkerSubscribers(
  options: SubscriberOptions,
  workers: number,
  onReady?: (ready: number) => void,
): Promise<Subscribers> {
  // The server may have a CPU budget: then core 0's idle rest is a seat too (lowest priority).
  const seats = canPin() ? loadSeats(coresAtStart, options.serverShare ?? 1) : [];
  /** Worker w's seat (wrapping past the last); undefined when nothing is pinned. */
  const seatOf = (w: number): LoadSeat | undefined => seats[w % Math.max(1, seats.length)];
  // The signal stays here (it cannot cross the IPC channel): aborting it closes the workers.
  const { workers: _, signal, ...shared } = options;
  const count = Math.min(workers, options.clients);
  const children: ChildProcess[] = [];
  const states: (WorkerReport & { type: 'state' })[] = [];
  const list: Subscriber[] = [];
  const ranges: [number, number][] = [];
  const readyBy: number[] = [];
  // Subscribers in proportion to what each seat can give: a low-priority one has the budget's rest.
  const weights = Array.from({ length: count }, (_, w) => seatCapacity(seatOf(w), options.serverShare ?? 1));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  let before = 0;
  for (let w = 0; w < count; w++) {
    const start = Math.round((before / total) * options.clients);
    before += weights[w] as number;
    const end = Math.round((before / total) * options.clients);
    ranges.push([start, end]);
    for (let i = start; i < end; i++)
      list.push({
        topic: options.topics[i % options.topics.length] as string,
        client: remoteClient(options.technique),
        checker: new SequenceChecker(),
      });
  }
  const close = (): void => {
    for (const child of children) {
      if (child.connected) child.send({ type: 'close' } satisfies WorkerRequest);
      setTimeout(() => child.kill(), 1000).unref();
    }
  };
  signal?.addEventListener('abort', close);
  try {
    await Promise.all(
      ranges.map(
        ([start, end], w) =>
          new Promise<void>((resolveOpened, reject) => {
            const child = fork(workerScript, [], {
              // `PUSHLAB_LOAD_NODE_ARGS`: Node flags for every load worker (`--cpu-prof`, to profile the load generator).
              execArgv: [...nodeArgsFrom('PUSHLAB_LOAD_NODE_ARGS'), '--import', 'tsx'],
              stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
            });
            children.push(child);
            // Worker w on seat w (wrapping past the last); core 0 only at the lowest priority.
            const seat = seatOf(w);
            if (seat !== undefined && child.pid !== undefined) {
              spawnSync('taskset', ['-a', '-cp', String(seat.core), String(child.pid)], { stdio: 'ignore' });
              if (seat.lowPriority) lowerPriority(child.pid);
            }
            child.on('message', (message: WorkerReport) => {
              switch (message.type) {
                case 'started':
                  // The harness's dropOne fault is one count for the run: the first worker takes it.
                  child.send({
                    type: 'open',
                    options: { ...shared, clients: end - start, firstIndex: start, dropOne: w === 0 ? shared.dropOne : 0 },
                  } satisfies WorkerRequest);
                  return;
                case 'ready':
                  readyBy[w] = message.ready;
                  onReady?.(readyBy.reduce((sum, n) => sum + (n ?? 0), 0));
                  return;
                case 'opened':
                  resolveOpened();
                  return;
                case 'failed':
                  reject(new Error(`load worker ${w}: ${message.error}`));
                  return;
                case 'state':
                  states[w] = message;
                  for (const [j, state] of message.subscribers.entries()) list[start + j]?.checker.restore(state);
                  return;
              }
            });
            child.once('exit', (code) => reject(new Error(`load worker ${w} exited with ${code}`)));
          }),
      ),
    );
  } catch (error) {
    close();
    throw error;
  }
  const sum = (field: 'gaps' | 'errors' | 'foreign' | 'corrupt' | 'drops'): number =>
    states.reduce((total, s) => total + (s?.[field] ?? 0), 0);
  let merged = createLatencyHistogram();
  let mergedFrom: string[] = [];
  return {
    list,
    browserConnections: undefined,
    /** The merge of the workers' latest histograms (recomputed when one changed). */
    get histogram() {
      const encoded = states.map((s) => s?.histogram ?? '').filter((text) => text !== '');
      if (encoded.length !== mergedFrom.length || encoded.some((text, i) => text !== mergedFrom[i])) {
        merged.destroy();
        merged = mergeHistograms(encoded);
        mergedFrom = encoded;
      }
      return merged;
    },
    get gaps() {
      return sum('gaps');
    },
    get errors() {
      return sum('errors');
    },
    get foreign() {
      return sum('foreign');
    },
    get corrupt() {
      return sum('corrupt');
    },
    get corruptReasons() {
      return states.flatMap((s) => s?.corruptReasons ?? []).slice(0, 3);
    },
    get drops() {
      return sum('drops');
    },
    loadProcesses: () =>
      states.flatMap((s, w) =>
        s === undefined ? [] : [{ ...s.counters, ...(seatOf(w)?.lowPriority === true ? { lowPriority: true } : {}) }],
      ),
    measure(window) {
      // Each worker resets its histogram with the window, as `measureWindow` resets the in-process one.
      for (const state of states) if (state !== undefined) state.histogram = '';
      for (const child of children)
        child.send({ type: 'measure', startNs: String(window.startNs), endNs: String(window.endNs) } satisfies WorkerRequest);
    },
    close,
  };
}
