/**
 * The ceiling's fan-out: the lines published to a topic within one turn of the event loop
 * are joined once, on the next turn (one `setImmediate` for all topics), and that one buffer
 * is written to every subscriber of the topic: a tick's fan-out costs one `socket.write`
 * (one syscall) per socket and one join per topic, not one write per message per socket.
 */

/** What the fan-out needs of a socket (a `net.Socket` has it). */
export interface Writable {
  write(chunk: Uint8Array): boolean;
  readonly destroyed: boolean;
}

/** Per-turn, per-topic coalescing of published lines, and its counts. */
export interface FanOut<S extends Writable> {
  /** Queues `line` for every socket of `sockets` (a topic's subscribers), on the next turn. */
  publish(sockets: Set<S>, line: Buffer): void;
  /** `socket.write` calls so far: at most one per socket per turn. */
  readonly writes: number;
  /** Buffers joined so far: at most one per topic per turn. */
  readonly joins: number;
}

/**
 * Creates a fan-out; `admit` may refuse a socket at flush time (a subscriber that stopped
 * reading: it is cut off there), `schedule` defaults to `setImmediate` (the next turn, after I/O).
 */
export function createFanOut<S extends Writable>(
  admit: (socket: S) => boolean = () => true,
  schedule: (flush: () => void) => void = setImmediate,
): FanOut<S> {
  /** This turn's lines by topic, with the subscribers the topic had at its first line (one that joins later gets none of them). */
  let pending = new Map<Set<S>, { sockets: S[]; lines: Buffer[] }>();
  let writes = 0;
  let joins = 0;

  function flush(): void {
    const turn = pending;
    pending = new Map();
    for (const { sockets, lines } of turn.values()) {
      const bytes = lines.length === 1 ? (lines[0] as Buffer) : Buffer.concat(lines);
      if (lines.length > 1) joins++;
      for (const socket of sockets) {
        if (socket.destroyed || !admit(socket)) continue;
        socket.write(bytes);
        writes++;
      }
    }
  }

  return {
    publish(sockets, line) {
      let queued = pending.get(sockets);
      if (queued === undefined) {
        if (pending.size === 0) schedule(flush);
        queued = { sockets: [...sockets], lines: [] };
        pending.set(sockets, queued);
      }
      queued.lines.push(line);
    },
    get writes() {
      return writes;
    },
    get joins() {
      return joins;
    },
  };
}
