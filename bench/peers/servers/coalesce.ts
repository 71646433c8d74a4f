/**
 * Coalesces the writes to one socket within one turn of the event loop: the first write of
 * a turn corks the socket, and one `setImmediate` for all sockets uncorks them on the next
 * turn, so every socket gets one `writev` (one syscall) per turn however many messages
 * went to it. This is the ceiling's trick: a tick's fan-out costs one syscall per socket,
 * not one per message per socket.
 */

/** What the coalescer needs of a socket (a `net.Socket` has it). */
export interface Corkable {
  cork(): void;
  uncork(): void;
  write(chunk: Uint8Array | string): boolean;
  readonly destroyed: boolean;
}

/** Writes coalesced per socket per turn, and their counts. */
export interface Coalescer {
  /** Writes `chunk` to `socket`, corking it first if this is its first write this turn. */
  write(socket: Corkable, chunk: Uint8Array | string): void;
  /** `socket.write` calls so far. */
  readonly writes: number;
  /** Uncorks so far: at most one per socket per turn, each one `writev` when it had data. */
  readonly flushes: number;
}

/** Creates a coalescer; `schedule` defaults to `setImmediate` (the next turn, after I/O). */
export function createCoalescer(schedule: (flush: () => void) => void = setImmediate): Coalescer {
  let corked: Corkable[] = [];
  const isCorked = new WeakSet<Corkable>();
  let scheduled = false;
  let writes = 0;
  let flushes = 0;

  function flush(): void {
    scheduled = false;
    const list = corked;
    corked = [];
    for (const socket of list) {
      isCorked.delete(socket);
      if (socket.destroyed) continue;
      socket.uncork();
      flushes++;
    }
  }

  return {
    write(socket, chunk) {
      if (!isCorked.has(socket)) {
        socket.cork();
        isCorked.add(socket);
        corked.push(socket);
        if (!scheduled) {
          scheduled = true;
          schedule(flush);
        }
      }
      socket.write(chunk);
      writes++;
    },
    get writes() {
      return writes;
    },
    get flushes() {
      return flushes;
    },
  };
}
