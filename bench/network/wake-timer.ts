/**
 * A wake-up at a precise moment without spinning. Node's `setTimeout` has a millisecond
 * grain and counts from the event loop's cached time, so it fires up to a millisecond or
 * more early or late — on a 30 ms round trip that is several percent, on a 1 ms LAN it is
 * everything. Waiting out the remainder with `setImmediate` is precise but burns a core.
 *
 * So a small worker thread sleeps in `Atomics.wait` (a futex with a sub-millisecond
 * timeout) until the wake time the main thread wrote into shared memory, then posts one
 * message, which wakes the main event loop. Cost: one cross-thread message per wake-up.
 */
import { Worker } from 'node:worker_threads';

/** Milliseconds on the process-wide monotonic clock (the same in every thread). */
export function monotonicMs(): number {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1e3 + nanoseconds / 1e6;
}

/** Calls `onTick(targetMs)` at (or just after) the time given to `arm`. */
export interface Ticker {
  /**
   * The next wake-up, on `monotonicMs`; Infinity for none. An earlier time replaces the one
   * armed; a later one is ignored (the earlier tick comes first and its handler re-arms),
   * except right after a tick, when the next call always arms.
   */
  arm(wakeMs: number): void;
  /** Stops for good. */
  stop(): void;
  /** Resolves once the ticker can keep time (a worker has started). */
  readonly ready: Promise<void>;
}

// Plain JavaScript, run with `eval: true` so it needs no loader. state[0] is a generation
// the main thread bumps whenever the target changes; state[1] is 1 once stopped.
const workerSource = `
const { workerData, parentPort } = require('node:worker_threads');
const state = new Int32Array(workerData.state);
const target = new Float64Array(workerData.target);
const now = () => { const [s, ns] = process.hrtime(); return s * 1e3 + ns / 1e6; };
parentPort.postMessage(-1);
while (Atomics.load(state, 1) === 0) {
  const generation = Atomics.load(state, 0);
  const wakeMs = target[0];
  if (wakeMs === Infinity) { Atomics.wait(state, 0, generation); continue; }
  const waitMs = wakeMs - now();
  if (waitMs > 0 && Atomics.wait(state, 0, generation, waitMs) !== 'timed-out') continue;
  if (Atomics.load(state, 0) !== generation) continue;
  parentPort.postMessage(generation);
  // Sleep until the main thread has handled the tick (it always sets a new target).
  Atomics.wait(state, 0, generation);
}
`;

/** A ticker backed by a worker thread; it does not keep the process alive. */
export function createPreciseTicker(onTick: (targetMs: number) => void): Ticker {
  const state = new Int32Array(new SharedArrayBuffer(8));
  const target = new Float64Array(new SharedArrayBuffer(8));
  target[0] = Number.POSITIVE_INFINITY;
  const worker = new Worker(workerSource, { eval: true, workerData: { state: state.buffer, target: target.buffer } });
  worker.unref();
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  worker.on('message', (generation: number) => {
    if (generation === -1) {
      markReady();
      return;
    }
    // A tick for a target since replaced is stale; the worker is already waiting for the new one.
    if (generation !== Atomics.load(state, 0)) return;
    // The worker now waits for a new generation: the next `arm` must bump it, whatever its value.
    const targetMs = armedMs;
    armedMs = Number.NaN;
    onTick(targetMs);
  });
  let armedMs = Number.POSITIVE_INFINITY;
  let stopped = false;
  return {
    ready,
    arm(wakeMs) {
      // Waking the worker costs a futex call: only when the time moves earlier (NaN after a tick).
      if (stopped || wakeMs >= armedMs) return;
      armedMs = wakeMs;
      target[0] = wakeMs;
      Atomics.add(state, 0, 1);
      Atomics.notify(state, 0);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      Atomics.store(state, 1, 1);
      Atomics.add(state, 0, 1);
      Atomics.notify(state, 0);
      void worker.terminate();
    },
  };
}
