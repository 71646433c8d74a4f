/**
 * One wake-up source for many links: a binary heap of links keyed by `wakeMs`, and one
 * ticker armed for the earliest (see wake-timer.ts). When it ticks, every link due by then
 * releases, so a thousand connections cost one wake-up per distinct moment, not one timer
 * per chunk.
 */
import { createPreciseTicker, monotonicMs, type Ticker } from './wake-timer.ts';

/** The most a release may come before its time: the bias is a guess, this bounds its error. */
const maxEarlyMs = 0.5;

/** What the scheduler orders: a `Link` (see link.ts). */
export interface Schedulable {
  wakeMs: number;
  heapIndex: number;
  release(nowMs: number): void;
}

export interface SchedulerOptions {
  /** Release what is due within this much after a tick. Default 0.05 ms. */
  toleranceMs?: number;
  /** The clock, in ms; the links' times are on it. Default `monotonicMs`. */
  now?: () => number;
  /** Makes the ticker; default a worker-thread ticker (`createPreciseTicker`). */
  createTicker?: (onTick: (targetMs: number) => void) => Ticker;
}

/** A heap of links and the one ticker that serves them. */
export class Scheduler {
  /** Ticks so far (for stats). */
  ticks = 0;
  /** Wall time spent releasing (writing to sockets), in ms. */
  busyMs = 0;
  /** Sum over ticks of how late each tick came after the earliest wake it served, in ms (negative: early). */
  latenessMs = 0;
  private readonly heap: Schedulable[] = [];
  private readonly toleranceMs: number;
  private readonly now: () => number;
  private readonly ticker: Ticker;
  /**
   * How early to arm: a moving average of how long a tick takes to arrive after its target
   * (the worker's wake-up plus the main loop's turn). Links due up to this much after a
   * tick are released with it, so releases are centred on their time, not always after.
   */
  private biasMs = 0.25;

  constructor(options: SchedulerOptions = {}) {
    this.toleranceMs = options.toleranceMs ?? 0.05;
    this.now = options.now ?? monotonicMs;
    this.ticker = (options.createTicker ?? createPreciseTicker)((targetMs) => this.tick(targetMs));
  }

  /** Call after `item.wakeMs` changed (or it was added): puts it in its place, re-arms. */
  update(item: Schedulable): void {
    if (item.wakeMs === Number.POSITIVE_INFINITY) this.remove(item);
    else if (item.heapIndex < 0) {
      item.heapIndex = this.heap.length;
      this.heap.push(item);
      this.up(item.heapIndex);
    } else {
      this.up(item.heapIndex);
      this.down(item.heapIndex);
    }
    this.arm();
  }

  /** Takes `item` out (its connection is gone). */
  remove(item: Schedulable): void {
    const index = item.heapIndex;
    if (index < 0) return;
    item.heapIndex = -1;
    const last = this.heap.pop()!;
    if (index < this.heap.length) {
      this.heap[index] = last;
      last.heapIndex = index;
      this.up(index);
      this.down(index);
    }
  }

  /** Resolves once the ticker keeps time (its worker has started, some tens of ms). */
  get ready(): Promise<void> {
    return this.ticker.ready;
  }

  /** Stops the ticker for good; the links stay where they are. */
  stop(): void {
    this.ticker.stop();
  }

  /** Links waiting (for stats and tests). */
  get size(): number {
    return this.heap.length;
  }

  /** Arms the ticker for the earliest link, early by the delay ticks have shown (unless `early` is false). */
  private arm(early = true): void {
    const first = this.heap[0];
    this.ticker.arm(first === undefined ? Number.POSITIVE_INFINITY : first.wakeMs - (early ? this.biasMs : 0));
  }

  private tick(targetMs: number): void {
    const now = this.now();
    if (Number.isFinite(targetMs)) this.biasMs += (Math.min(2, Math.max(0, now - targetMs)) - this.biasMs) / 8;
    // Never release more than half a millisecond early, however large the bias grew.
    const horizonMs = now + this.toleranceMs + Math.min(this.biasMs, maxEarlyMs);
    const first = this.heap[0];
    if (first === undefined || first.wakeMs > horizonMs) {
      // Nothing due: the link this tick was for has gone, or the tick came very early. Wait
      // for the wake itself this time, or a bias larger than the wait would tick at once again.
      this.arm(false);
      return;
    }
    this.ticks++;
    this.latenessMs += now - first.wakeMs;
    for (let first = this.heap[0]; first !== undefined && first.wakeMs <= horizonMs; first = this.heap[0]) {
      first.release(horizonMs);
      // A link released at its wake time always moves its wake past it; should rounding
      // ever say otherwise, look again a millisecond later rather than loop.
      if (first.wakeMs <= horizonMs) first.wakeMs = horizonMs + 1;
      if (first.wakeMs === Number.POSITIVE_INFINITY) this.remove(first);
      else this.down(first.heapIndex);
    }
    this.arm();
    this.busyMs += this.now() - now;
  }

  private up(index: number): void {
    const heap = this.heap;
    const item = heap[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (parent.wakeMs <= item.wakeMs) break;
      heap[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    heap[index] = item;
    item.heapIndex = index;
  }

  private down(index: number): void {
    const heap = this.heap;
    const item = heap[index]!;
    const length = heap.length;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= length) break;
      const right = child + 1;
      if (right < length && heap[right]!.wakeMs < heap[child]!.wakeMs) child = right;
      const smaller = heap[child]!;
      if (smaller.wakeMs >= item.wakeMs) break;
      heap[index] = smaller;
      smaller.heapIndex = index;
      index = child;
    }
    heap[index] = item;
    item.heapIndex = index;
  }
}
