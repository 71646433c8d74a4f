/**
 * One flush per event-loop turn for every stream written to in it: a turn's frames leave each
 * socket in one write. While it flushes, the streams share prepared runs: the frames of the
 * same messages (a batch publish), joined and framed once for every stream of a transport
 * that takes them as they are, so each such stream costs one `socket.write` of shared bytes.
 */
import type { HubMessage } from '../hub.ts';

/** What the flusher flushes: a stream that queued bytes this turn. */
export interface Flushable {
  flush(): void;
}

/** Per-server coalescing: streams written to in one event-loop turn are flushed once, on the next. */
export interface Flusher {
  schedule(stream: Flushable): void;
  cancel(stream: Flushable): void;
  /**
   * The bytes of the run of messages `first` … `last` as `technique` frames them in `form`
   * (how its sink wraps them), built by `build` once per flush and shared by every stream that asks for
   * the same run in it. Undefined outside a flush (a stream catching up writes alone): then
   * nothing is kept.
   */
  shared(technique: string, form: string, first: HubMessage, last: HubMessage, build: () => Buffer): Buffer | undefined;
}

/** A run prepared in this flush. */
interface SharedRun {
  readonly technique: string;
  readonly form: string;
  readonly last: HubMessage;
  readonly bytes: Buffer;
}

/** Creates the server's flusher; it flushes on the next turn (`setImmediate`). */
export function createFlusher(): Flusher {
  let dirty = new Set<Flushable>();
  let scheduled = false;
  let flushing = false;
  /** Runs prepared in this flush, by their first message; dropped when it ends. */
  const runs = new Map<HubMessage, SharedRun[]>();
  function run(): void {
    scheduled = false;
    const batch = dirty;
    dirty = new Set();
    flushing = true;
    try {
      for (const stream of batch) stream.flush();
    } finally {
      flushing = false;
      runs.clear();
    }
  }
  return {
    schedule(stream) {
      dirty.add(stream);
      if (!scheduled) {
        scheduled = true;
        setImmediate(run);
      }
    },
    cancel(stream) {
      dirty.delete(stream);
    },
    shared(technique, form, first, last, build) {
      if (!flushing) return undefined;
      let list = runs.get(first);
      if (list === undefined) {
        list = [];
        runs.set(first, list);
      }
      for (const prepared of list)
        if (prepared.technique === technique && prepared.form === form && prepared.last === last) return prepared.bytes;
      const bytes = build();
      list.push({ technique, form, last, bytes });
      return bytes;
    },
  };
}
