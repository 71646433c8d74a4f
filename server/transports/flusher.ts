/**
 * One flush per event-loop turn for every stream written to in it: a turn's frames leave each
 * socket in one write. While it flushes, the streams share prepared runs: the frames of the
 * same messages (a batch publish), joined and framed once for every stream of a transport
 * that takes them as they are, so each such stream costs one `socket.write` of shared bytes.
 */
import type { HubMessage } from '../hub.ts';
import type { WireForm } from './push-stream.ts';

/** What the flusher flushes: a stream that queued bytes this turn. */
export interface Flushable {
  flush(): void;
}

/** Per-server coalescing: streams written to in one event-loop turn are flushed once, on the next. */
export interface Flusher {
  schedule(stream: Flushable): void;
  cancel(stream: Flushable): void;
  /**
   * The bytes of the run of messages `first` … `last` (their `frames`, `bytes` long in all) as
   * `technique` frames them in `form` (how its sink wraps them): built once per flush and
   * shared by every stream that asks for the same run in it. Undefined outside a flush (a
   * stream catching up writes alone): then nothing is kept.
   */
  shared(
    technique: string,
    form: WireForm,
    first: HubMessage,
    last: HubMessage,
    frames: readonly Buffer[],
    bytes: number,
  ): Buffer | undefined;
}

/**
 * The run `frames` (`bytes` long in all) as one buffer in `form`: joined, and for `chunked`
 * wrapped as one HTTP/1.1 chunk (`<hex size>\r\n…\r\n`).
 */
export function prepareRun(frames: readonly Buffer[], bytes: number, form: WireForm): Buffer {
  if (form === 'raw') return frames.length === 1 ? (frames[0] as Buffer) : Buffer.concat(frames, bytes);
  const head = `${bytes.toString(16)}\r\n`;
  const out = Buffer.allocUnsafe(head.length + bytes + 2);
  let at = out.write(head, 0, 'latin1');
  for (const frame of frames) at += frame.copy(out, at);
  out.write('\r\n', at, 'latin1');
  return out;
}

/** A run prepared in this flush. */
interface SharedRun {
  readonly technique: string;
  readonly form: WireForm;
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
    flushing = true;
    try {
      // What a flush schedules (an audience handing a stream its messages to queue) is
      // flushed in the same run, so it leaves in this turn too.
      while (dirty.size > 0) {
        const batch = dirty;
        dirty = new Set();
        for (const stream of batch) stream.flush();
      }
    } finally {
      flushing = false;
      runs.clear();
    }
  }
  return {
    schedule(stream) {
      dirty.add(stream);
      if (!scheduled && !flushing) {
        scheduled = true;
        setImmediate(run);
      }
    },
    cancel(stream) {
      dirty.delete(stream);
    },
    shared(technique, form, first, last, frames, bytes) {
      if (!flushing) return undefined;
      let list = runs.get(first);
      if (list === undefined) {
        list = [];
        runs.set(first, list);
      }
      for (const known of list) if (known.technique === technique && known.form === form && known.last === last) return known.bytes;
      const prepared = prepareRun(frames, bytes, form);
      list.push({ technique, form, last, bytes: prepared });
      return prepared;
    },
  };
}
