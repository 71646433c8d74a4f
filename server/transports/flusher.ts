/** One flush per event-loop turn for every stream written to in it: a turn's frames leave each socket in one write. */

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
  function run(): void {
    scheduled = false;
    const batch = dirty;
    dirty = new Set();
    for (const stream of batch) stream.flush();
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
  };
}
