/**
 * The message hub: topics, gap-free ids, a replay ring buffer per topic, and fan-out.
 *
 * Transports only see the `Hub` interface, so a networked backend (Redis Streams) can
 * implement it with asynchronous `publish` and `since` without touching them.
 */

/** A message as the hub keeps it: encoded once, framed lazily once per transport. */
export interface HubMessage {
  /** Per-topic sequence number: 1, 2, 3 … with no gaps. */
  readonly id: number;
  readonly topic: string;
  /** Publish time in epoch milliseconds (fractional). */
  readonly t: number;
  /** The envelope `{"id","topic","data","t"}` as JSON, encoded once at publish. */
  readonly json: string;
  /** Per-transport framings of this message, filled by `frameOnce`. */
  readonly frames: Map<string, Buffer | string>;
}

/** What `since` answers: the messages after a cursor, the new cursor, and whether some were lost. */
export interface Replay {
  readonly messages: readonly HubMessage[];
  /** The id of the newest message the answer accounts for; a client resumes from it. */
  readonly cursor: number;
  /**
   * True when the cursor could not be honoured: the ring no longer holds `cursor + 1`, or
   * the cursor is ahead of the topic's newest id (the server restarted and lost its memory).
   * `messages` then holds everything still retained, oldest first.
   */
  readonly gap: boolean;
}

export type Listener = (message: HubMessage) => void;

export interface Hub {
  /** Assigns the next id of `topic`, encodes the envelope once, and fans it out. */
  publish(topic: string, data: unknown): Promise<HubMessage>;
  /** Messages after `cursor`; with no cursor, none, and the current head as the cursor. */
  since(topic: string, cursor: number | undefined): Promise<Replay>;
  /** Calls `listener` for each message published to `topic` from now on; returns the unsubscribe. */
  subscribe(topic: string, listener: Listener): () => void;
  /** Topics known and listeners subscribed now (a leaked subscription shows here). */
  stats(): { topics: number; subscriptions: number };
  close(): Promise<void>;
}

/** Options of the in-memory hub. */
export interface MemoryHubOptions {
  /** Messages kept per topic for replay. Default 1024. */
  replayCapacity?: number;
}

interface Topic {
  head: number;
  readonly ring: (HubMessage | undefined)[];
  readonly listeners: Set<Listener>;
}

/** Returns `message`'s framing under `key`, computing it on first use only. */
export function frameOnce<T extends Buffer | string>(
  message: HubMessage,
  key: string,
  frame: (message: HubMessage) => T,
): T {
  let framed = message.frames.get(key) as T | undefined;
  if (framed === undefined) {
    framed = frame(message);
    message.frames.set(key, framed);
  }
  return framed;
}

/** Epoch milliseconds with sub-millisecond precision, on the monotonic clock. */
export function nowEpochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The embedded hub: everything in this process's memory, lost on restart. */
export function createMemoryHub(options: MemoryHubOptions = {}): Hub {
  const capacity = options.replayCapacity ?? 1024;
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new RangeError(`replayCapacity must be a positive integer, got ${String(capacity)}`);
  }
  const topics = new Map<string, Topic>();

  function topicOf(name: string): Topic {
    let topic = topics.get(name);
    if (topic === undefined) {
      topic = { head: 0, ring: new Array<HubMessage | undefined>(capacity), listeners: new Set() };
      topics.set(name, topic);
    }
    return topic;
  }

  function replayOf(name: string, cursor: number | undefined): Replay {
    const topic = topics.get(name);
    const head = topic?.head ?? 0;
    if (cursor === undefined || cursor === head) return { messages: [], cursor: head, gap: false };
    if (topic === undefined) return { messages: [], cursor: head, gap: true };
    // A cursor ahead of the head comes from before a restart: start over from what is held,
    // so nothing of the new stream is lost either.
    const ahead = cursor > head;
    const oldest = Math.max(1, head - capacity + 1);
    const from = ahead ? oldest : Math.max(cursor + 1, oldest);
    const messages: HubMessage[] = [];
    for (let id = from; id <= head; id++) messages.push(topic.ring[id % capacity] as HubMessage);
    return { messages, cursor: head, gap: ahead || cursor + 1 < oldest };
  }

  return {
    async publish(name, data) {
      const topic = topicOf(name);
      const id = topic.head + 1;
      const t = nowEpochMs();
      const json = JSON.stringify({ id, topic: name, data, t });
      const message: HubMessage = { id, topic: name, t, json, frames: new Map() };
      topic.ring[id % capacity] = message;
      topic.head = id;
      for (const listener of topic.listeners) listener(message);
      return message;
    },
    async since(name, cursor) {
      return replayOf(name, cursor);
    },
    subscribe(name, listener) {
      const topic = topicOf(name);
      topic.listeners.add(listener);
      return () => {
        topic.listeners.delete(listener);
      };
    },
    stats() {
      let subscriptions = 0;
      for (const topic of topics.values()) subscriptions += topic.listeners.size;
      return { topics: topics.size, subscriptions };
    },
    async close() {
      for (const topic of topics.values()) topic.listeners.clear();
    },
  };
}
