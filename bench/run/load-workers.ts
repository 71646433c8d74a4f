/**
 * `--load-workers N`: a run's subscribers spread over N load processes (`load-worker.ts`),
 * each pinned to its own core where there are enough, so the load side can have more than
 * the one core the CLI runs on. The main process sees them as one `Subscribers`: each
 * subscriber's sequence state and the latency histograms (encoded, merged as autocannon
 * merges its workers') arrive every 50 ms, so the drain and the delivery counts of
 * `window.ts` work unchanged. Churn and restarts stay in-process (they drive the clients).
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PushClient } from '../clients/base.ts';
import type { TechniqueId } from '../clients/wire/index.ts';
import { canPin } from '../processes/server.ts';
import { mergeHistograms } from './histograms.ts';
import { SequenceChecker, type SequenceState } from './sequence.ts';
import { createLatencyHistogram, type Subscriber, type SubscriberOptions, type Subscribers } from './subscribers.ts';

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

/** The default number of load processes: the cores not given to the server (core 0); 0 (in-process) when that is one. */
export function defaultLoadWorkers(cores = availableParallelism()): number {
  return cores > 2 ? cores - 1 : 0;
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
  const { workers: _, ...shared } = options;
  const count = Math.min(workers, options.clients);
  const children: ChildProcess[] = [];
  const states: (WorkerReport & { type: 'state' })[] = [];
  const list: Subscriber[] = [];
  const ranges: [number, number][] = [];
  const readyBy: number[] = [];
  const pin = canPin() && availableParallelism() > 2;
  for (let w = 0; w < count; w++) {
    const start = Math.floor((w * options.clients) / count);
    const end = Math.floor(((w + 1) * options.clients) / count);
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
  try {
    await Promise.all(
      ranges.map(
        ([start, end], w) =>
          new Promise<void>((resolveOpened, reject) => {
            const child = fork(workerScript, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
            children.push(child);
            // Worker w on core 1 + w (wrapping past the last), never the server's core 0.
            if (pin && child.pid !== undefined)
              spawnSync('taskset', ['-a', '-cp', String(1 + (w % (availableParallelism() - 1))), String(child.pid)], { stdio: 'ignore' });
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
    measure(window) {
      // Each worker resets its histogram with the window, as `measureWindow` resets the in-process one.
      for (const state of states) if (state !== undefined) state.histogram = '';
      for (const child of children)
        child.send({ type: 'measure', startNs: String(window.startNs), endNs: String(window.endNs) } satisfies WorkerRequest);
    },
    close,
  };
}
