/** The server's one heartbeat timer for every stream that keeps itself alive through proxies. */

/** What a heartbeat beats: a stream that queues its keep-alive bytes. */
export interface Beating {
  beat(): void;
}

/** Per-server heartbeat: one timer beats every stream that has a heartbeat. */
export interface Heartbeat {
  add(stream: Beating): void;
  delete(stream: Beating): void;
}

/**
 * Beats the registered streams every `intervalMs`, with one timer per server rather than one
 * per stream (a timer and its closure for each of thousands of idle streams). The timer runs
 * only while a stream is registered. All streams beat in the same turn, so a beat costs what
 * one published message costs: one coalesced write per stream.
 */
export function createHeartbeat(intervalMs: number): Heartbeat {
  const streams = new Set<Beating>();
  let timer: NodeJS.Timeout | undefined;
  function beat(): void {
    for (const stream of streams) stream.beat();
  }
  return {
    add(stream) {
      streams.add(stream);
      timer ??= setInterval(beat, intervalMs);
    },
    delete(stream) {
      if (streams.delete(stream) && streams.size === 0 && timer !== undefined) {
        clearInterval(timer);
        timer = undefined;
      }
    },
  };
}
