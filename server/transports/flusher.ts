/**
 * One flush per event-loop turn for everything written to in it (audiences and streams): a
 * turn's frames leave each socket in one write. The bytes that every stream of a topic and
 * transport shares are prepared by its audience (`audiences.ts`).
 */

/** What the flusher flushes: a stream that queued bytes this turn. */
export interface Flushable {
  flush(): void;
}

/** Per-server coalescing: streams written to in one event-loop turn are flushed once, on the next. */
export interface Flusher {
  schedule(stream: Flushable): void;
  cancel(stream: Flushable): void;
}

/** Creates the server's flusher; it flushes on the next turn (`setImmediate`). */
export function createFlusher(): Flusher {
  let dirty = new Set<Flushable>();
  let scheduled = false;
  let flushing = false;
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
  };
}
