/**
 * The message hub: topics, gap-free ids, a replay buffer per topic, and fan-out.
 *
 * Each topic's stream has an **epoch**, a short random token made when the hub creates the
 * stream; ids start at 1 in each epoch. A cursor names both (`"<epoch>:<id>"` on the wire),
 * so a client that comes back to a stream that was lost (a restarted server, a topic dropped
 * and made again) is told so, whatever the ids of the new stream.
 *
 * Transports only see the `Hub` interface, so a networked backend (Redis Streams) can
 * implement it with asynchronous `publish` and `since` without touching them, keeping its
 * epoch with each stream.
 */
import { randomBytes } from 'node:crypto';
import { ClientError } from './input.ts';
import type { SharedLimits } from './limits-redis.ts';

/** A message as the hub keeps it: encoded once, framed lazily once per transport. */
export interface HubMessage {
  /** Per-topic sequence number within `epoch`: 1, 2, 3 … with no gaps. */
  readonly id: number;
  readonly topic: string;
  /** The epoch of the topic's stream this message belongs to. */
  readonly epoch: string;
  /** Publish time in epoch milliseconds (fractional). */
  readonly t: number;
  /** The envelope `{"id","topic","data","t"}` as JSON, encoded once at publish. */
  readonly json: string;
  /** Per-transport framings of this message, filled by `frameOnce` (they count toward the hub's byte bound). */
  readonly frames: Map<string, Buffer | string>;
}

/**
 * A position in a topic's stream: after `id` of `epoch`. `epoch` undefined is a bare
 * integer cursor (`since=N`), checked by its id alone.
 */
export interface Cursor {
  readonly epoch?: string;
  readonly id: number;
}

/** What `since` answers: the messages after a cursor, the new cursor, and whether some were lost. */
export interface Replay {
  readonly messages: readonly HubMessage[];
  /** The id of the newest message the answer accounts for; a client resumes from it. */
  readonly cursor: number;
  /** The epoch of the stream `cursor` belongs to (the topic's current one). */
  readonly epoch: string;
  /**
   * True when the cursor could not be honoured: the hub no longer holds `cursor + 1`, the
   * cursor is ahead of the topic's newest id, or it names another epoch (a stream that was
   * lost). `messages` then holds everything still retained, oldest first.
   */
  readonly gap: boolean;
}

/**
 * Given consecutive new messages of the topic it subscribed to, oldest first: one publish's
 * message, or every message of one topic in a batch publish, in one call, so a subscriber
 * pays once per batch, not once per message. The array is the same for every listener of the
 * topic (never modify it), which is what lets `frameRunOnce` frame it once per transport.
 */
export type Listener = (messages: readonly HubMessage[]) => void;

/** One message of a publish: its topic and its data. */
export interface PublishEntry {
  readonly topic: string;
  readonly data: unknown;
}

export interface Hub {
  /** Assigns the next id of `topic`, encodes the envelope once, and fans it out. */
  publish(topic: string, data: unknown): Promise<HubMessage>;
  /**
   * Publishes `entries` in order as one operation (ids assigned per topic in that order),
   * then fans them out, so a listener is given the whole batch in one turn.
   */
  publishBatch(entries: readonly PublishEntry[]): Promise<HubMessage[]>;
  /** Messages after `cursor`; with no cursor, none, and the current head as the cursor. */
  since(topic: string, cursor: Cursor | undefined): Promise<Replay>;
  /**
   * Calls `listener` with the messages published to `topic` from now on (a batch's messages
   * of the topic in one call); returns the unsubscribe. Throws a `TopicLimitError` when `topic` is new and the hub is at its cap.
   */
  subscribe(topic: string, listener: Listener): () => void;
  /** Throws a `TopicLimitError` unless `subscribe` or `publish` on `topic` would be admitted now. */
  checkTopic(topic: string): void;
  /** Topics kept, listeners subscribed, and what is retained now (a leak shows here). */
  stats(): HubStats;
  close(): Promise<void>;
  /** A networked hub's state (`/healthz`, 503s while down); absent means always ready. */
  health?(): HubHealth;
  /** Calls `listener` each time a networked hub loses its store; returns the removal. */
  onDown?(listener: () => void): () => void;
  /** A networked hub's per-address limits, shared by every process on its store. */
  readonly sharedLimits?: SharedLimits;
}

/** What a hub says of itself on `/healthz`. */
export interface HubHealth {
  readonly kind: string;
  readonly state: 'ready' | 'down';
  /** Where the hub keeps its data (a URL without password), if anywhere. */
  readonly where?: string;
}

/** The hub's own counts, read by /metrics. */
export interface HubStats {
  topics: number;
  subscriptions: number;
  /** Messages retained for replay, all topics together. */
  retainedMessages: number;
  /** Bytes those messages hold, with their cached framings (an estimate: string lengths and buffer sizes). */
  retainedBytes: number;
}

/** Seconds a client refused at the topic cap is told to wait. */
export const topicRetryAfterSeconds = 5;

/** A new topic past the hub's cap: answered `503` with `Retry-After`. */
export class TopicLimitError extends ClientError {
  constructor() {
    super(503, 'the server holds as many topics as it may; retry later', { 'Retry-After': String(topicRetryAfterSeconds) });
    this.name = 'TopicLimitError';
  }
}

/** Options of the in-memory hub. */
export interface MemoryHubOptions {
  /** Messages kept per topic for replay. Default 1024. */
  replayCapacity?: number;
  /** Bytes of retained messages (envelopes and cached framings), all topics together; oldest evicted first. Default 256 MiB. */
  replayBytes?: number;
  /** Topics kept at once; a new one past it is refused (`TopicLimitError`). Default 100,000. */
  maxTopics?: number;
  /** Called for each topic refused at the cap (for /metrics). */
  onTopicRejected?: () => void;
}

/** Default of `MemoryHubOptions.replayBytes`: 256 MiB. */
export const defaultReplayBytes = 256 * 1024 * 1024;
/** Default of `MemoryHubOptions.maxTopics`. */
export const defaultMaxTopics = 100_000;

/** The wire form of a cursor: `"<epoch>:<id>"`. */
export function formatCursor(epoch: string, id: number): string {
  return `${epoch}:${id}`;
}

/** Returns `message`'s framing under `key`, computing it on first use only. */
export function frameOnce<T extends Buffer | string>(message: HubMessage, key: string, frame: (message: HubMessage) => T): T {
  let framed = message.frames.get(key) as T | undefined;
  if (framed === undefined) {
    framed = frame(message);
    message.frames.set(key, framed);
  }
  return framed;
}

/** The frames of a run of messages as one transport frames them (`frameRunOnce`). */
export interface RunFrames {
  readonly frames: readonly (Buffer | string)[];
  /** Their length in all (characters of a string frame, bytes of a buffer). */
  readonly bytes: number;
  /** Whether every frame is a Buffer (a run that can be written as prepared bytes). */
  readonly buffers: boolean;
}

const runFrames = new WeakMap<readonly HubMessage[], Map<string, RunFrames>>();

/**
 * `frameOnce` for a listener's run: each message framed once per `key`, and the run's list,
 * length and kind kept with the array the hub handed every listener of the topic, so the
 * next stream of the transport gets them with one lookup.
 */
export function frameRunOnce(messages: readonly HubMessage[], key: string, frame: (message: HubMessage) => Buffer | string): RunFrames {
  let byKey = runFrames.get(messages);
  if (byKey === undefined) {
    byKey = new Map();
    runFrames.set(messages, byKey);
  }
  let run = byKey.get(key);
  if (run === undefined) {
    let bytes = 0;
    let buffers = true;
    const frames = messages.map((message) => {
      const framed = frameOnce(message, key, frame);
      bytes += framed.length;
      if (typeof framed === 'string') buffers = false;
      return framed;
    });
    run = { frames, bytes, buffers };
    byKey.set(key, run);
  }
  return run;
}

/** Epoch milliseconds with sub-millisecond precision, on the monotonic clock. */
export function nowEpochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** What a retained message costs beyond its strings: the object, its map, list links (an estimate). */
const messageOverheadBytes = 240;
/** Slots a topic's ring starts with; it doubles as it fills, up to the replay capacity. */
const initialSlots = 4;
/** Characters of the random part of an epoch. */
const hubEpochLength = 6;

/** A retained message, linked in publish order across all topics (the byte bound evicts from the oldest). */
interface Entry {
  readonly message: HubMessage;
  readonly topic: Topic;
  bytes: number;
  retained: boolean;
  older: Entry | undefined;
  newer: Entry | undefined;
}

interface Topic {
  readonly name: string;
  /** This stream's epoch: the hub's token and the topic's creation serial. */
  readonly epoch: string;
  readonly serial: number;
  head: number;
  /** A ring of the retained entries, oldest at `first`; grows with what it holds. */
  slots: (Entry | undefined)[];
  first: number;
  count: number;
  readonly listeners: Set<Listener>;
}

/** A random token of `length` characters of `[a-z0-9]`. */
function randomToken(length: number): string {
  const bytes = randomBytes(length);
  let token = '';
  for (const byte of bytes) token += (byte % 36).toString(36);
  return token;
}

/** The embedded hub: everything in this process's memory, lost on restart (a new hub has new epochs). */
export function createMemoryHub(options: MemoryHubOptions = {}): Hub {
  const capacity = options.replayCapacity ?? 1024;
  const maxBytes = options.replayBytes ?? defaultReplayBytes;
  const maxTopics = options.maxTopics ?? defaultMaxTopics;
  for (const [name, value] of [
    ['replayCapacity', capacity],
    ['replayBytes', maxBytes],
    ['maxTopics', maxTopics],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  }
  const topics = new Map<string, Topic>();
  /** Every epoch this hub makes starts with this token, then the topic's creation serial. */
  const hubToken = randomToken(hubEpochLength);
  let nextSerial = 0;
  /**
   * The highest creation serial of a topic dropped after it had messages (-1: none). A
   * cursor at id 0 of an epoch made from a serial above it cannot have missed anything.
   */
  let lossyDropSerial = -1;
  let oldest: Entry | undefined;
  let newest: Entry | undefined;
  let retainedBytes = 0;
  let retainedMessages = 0;

  const epochOf = (serial: number): string => hubToken + serial.toString(36);
  /** The serial an epoch of this hub was made from, or undefined for another hub's. */
  function serialOf(epoch: string): number | undefined {
    if (!epoch.startsWith(hubToken) || epoch.length === hubToken.length) return undefined;
    const serial = Number.parseInt(epoch.slice(hubToken.length), 36);
    return Number.isSafeInteger(serial) && epochOf(serial) === epoch ? serial : undefined;
  }

  function checkTopic(name: string): void {
    if (topics.has(name) || topics.size < maxTopics) return;
    options.onTopicRejected?.();
    throw new TopicLimitError();
  }

  function createTopic(name: string): Topic {
    checkTopic(name);
    const serial = nextSerial++;
    const topic: Topic = { name, epoch: epochOf(serial), serial, head: 0, slots: [], first: 0, count: 0, listeners: new Set() };
    topics.set(name, topic);
    return topic;
  }

  /** Drops `topic` once nothing needs it: no listener and no retained message. */
  function dropIfUnused(topic: Topic): void {
    if (topic.listeners.size > 0 || topic.count > 0 || topics.get(topic.name) !== topic) return;
    topics.delete(topic.name);
    if (topic.head > 0) lossyDropSerial = Math.max(lossyDropSerial, topic.serial);
  }

  /** Removes the oldest retained entry of `topic` (it must have one). */
  function evictOldestOf(topic: Topic): void {
    const entry = topic.slots[topic.first] as Entry;
    topic.slots[topic.first] = undefined;
    topic.first = (topic.first + 1) % topic.slots.length;
    topic.count--;
    unlink(entry);
    // A ring mostly empty after evictions gives its slots back.
    if (topic.count === 0) {
      topic.slots = [];
      topic.first = 0;
    } else if (topic.slots.length > initialSlots * 4 && topic.count < topic.slots.length / 4) {
      resize(topic, topic.slots.length / 2);
    }
  }

  function unlink(entry: Entry): void {
    entry.retained = false;
    retainedBytes -= entry.bytes;
    retainedMessages--;
    if (entry.older === undefined) oldest = entry.newer;
    else entry.older.newer = entry.newer;
    if (entry.newer === undefined) newest = entry.older;
    else entry.newer.older = entry.older;
    entry.older = entry.newer = undefined;
  }

  function resize(topic: Topic, size: number): void {
    const slots = new Array<Entry | undefined>(size);
    for (let i = 0; i < topic.count; i++) slots[i] = topic.slots[(topic.first + i) % topic.slots.length];
    topic.slots = slots;
    topic.first = 0;
  }

  /** Evicts the oldest retained messages, all topics together, until the byte bound holds. */
  function enforceBytes(): void {
    while (retainedBytes > maxBytes && oldest !== undefined) {
      const topic = oldest.topic;
      evictOldestOf(topic);
      dropIfUnused(topic);
    }
  }

  function retain(topic: Topic, message: HubMessage, bytes: number): Entry {
    if (topic.count === capacity) evictOldestOf(topic);
    if (topic.count === topic.slots.length) resize(topic, Math.min(capacity, Math.max(initialSlots, topic.slots.length * 2)));
    const entry: Entry = { message, topic, bytes, retained: true, older: newest, newer: undefined };
    if (newest === undefined) oldest = entry;
    else newest.newer = entry;
    newest = entry;
    topic.slots[(topic.first + topic.count) % topic.slots.length] = entry;
    topic.count++;
    retainedBytes += bytes;
    retainedMessages++;
    return entry;
  }

  /** Everything `topic` still holds, oldest first. */
  function held(topic: Topic, fromId: number): HubMessage[] {
    const oldestId = topic.head - topic.count + 1;
    const messages: HubMessage[] = [];
    for (let id = Math.max(fromId, oldestId); id <= topic.head; id++) {
      messages.push((topic.slots[(topic.first + id - oldestId) % topic.slots.length] as Entry).message);
    }
    return messages;
  }

  /** Whether a cursor at id 0 of `epoch` (not the topic's own) can have missed nothing of `topic`. */
  function zeroCursorHolds(epoch: string, topic: Topic | undefined): boolean {
    const serial = serialOf(epoch);
    if (serial === undefined || serial <= lossyDropSerial) return false;
    // The topic was made after the cursor (its serial is at least the cursor's), and nothing
    // of it has been evicted: it still holds its id 1.
    return topic === undefined || (topic.serial >= serial && topic.head - topic.count === 0);
  }

  function syncSince(name: string, cursor: Cursor | undefined): Replay {
    const topic = topics.get(name);
    if (topic === undefined) {
      // Nothing kept: "now" is id 0 of the epoch the next topic made will get.
      const empty = { messages: [], cursor: 0, epoch: epochOf(nextSerial), gap: false };
      if (cursor === undefined) return empty;
      if (cursor.epoch === undefined) return cursor.id === 0 ? empty : { ...empty, gap: true };
      return cursor.id === 0 && zeroCursorHolds(cursor.epoch, undefined) ? empty : { ...empty, gap: true };
    }
    const { head, epoch } = topic;
    if (cursor === undefined) return { messages: [], cursor: head, epoch, gap: false };
    const oldestId = head - topic.count + 1;
    if (cursor.epoch !== undefined && cursor.epoch !== epoch) {
      // Another stream's cursor: everything this one holds, and a gap unless nothing can be missing.
      const whole = cursor.id === 0 && zeroCursorHolds(cursor.epoch, topic);
      return { messages: held(topic, oldestId), cursor: head, epoch, gap: !whole };
    }
    if (cursor.id === head) return { messages: [], cursor: head, epoch, gap: false };
    // A cursor ahead of the head comes from before a restart (a bare integer cannot say so):
    // start over from what is held, so nothing of the new stream is lost either.
    const ahead = cursor.id > head;
    const from = ahead ? oldestId : Math.max(cursor.id + 1, oldestId);
    return { messages: held(topic, from), cursor: head, epoch, gap: ahead || cursor.id + 1 < oldestId };
  }

  /** Cached framings that report their bytes to the byte bound while their message is retained. */
  class Frames extends Map<string, Buffer | string> {
    entry: Entry | undefined;
    override set(key: string, value: Buffer | string): this {
      const before = this.get(key);
      super.set(key, value);
      const entry = this.entry;
      if (entry?.retained === true) {
        const delta = value.length - (before?.length ?? 0) + (before === undefined ? key.length + 48 : 0);
        entry.bytes += delta;
        retainedBytes += delta;
        enforceBytes();
      }
      return this;
    }
  }

  /**
   * Assigns the next id of `name`, encodes the envelope once and retains it; no fan-out yet.
   * Encoded before the topic is made: data that cannot be encoded leaves nothing behind.
   */
  function append(name: string, data: unknown, t: number): HubMessage {
    const existing = topics.get(name);
    if (existing === undefined) checkTopic(name);
    const id = (existing?.head ?? 0) + 1;
    const json = JSON.stringify({ id, topic: name, data, t });
    const topic = existing ?? createTopic(name);
    const frames = new Frames();
    const message: HubMessage = { id, topic: name, epoch: topic.epoch, t, json, frames };
    topic.head = id;
    frames.entry = retain(topic, message, json.length + messageOverheadBytes);
    return message;
  }

  /** Hands `messages` (consecutive, of one topic) to each listener of their topic, once. */
  function fanOut(messages: readonly HubMessage[]): void {
    const first = messages[0];
    if (first === undefined) return;
    const topic = topics.get(first.topic);
    if (topic === undefined || topic.epoch !== first.epoch) return;
    for (const listener of topic.listeners) listener(messages);
  }

  /** Throws a `TopicLimitError` unless every new topic of a batch fits under the cap at once. */
  function checkTopics(names: Iterable<string>): void {
    let fresh = 0;
    for (const name of new Set(names)) if (!topics.has(name)) fresh++;
    if (fresh > 0 && topics.size + fresh > maxTopics) {
      options.onTopicRejected?.();
      throw new TopicLimitError();
    }
  }

  return {
    async publish(name, data) {
      const message = append(name, data, nowEpochMs());
      enforceBytes();
      fanOut([message]);
      return message;
    },
    async publishBatch(entries) {
      // All or nothing: the topic cap is checked for the whole batch before anything is kept.
      checkTopics(entries.map((entry) => entry.topic));
      const t = nowEpochMs();
      const messages = entries.map((entry) => append(entry.topic, entry.data, t));
      enforceBytes();
      // Each topic's messages of the batch together, in order: one call per listener.
      const byTopic = new Map<string, HubMessage[]>();
      for (const message of messages) {
        const run = byTopic.get(message.topic);
        if (run === undefined) byTopic.set(message.topic, [message]);
        else run.push(message);
      }
      for (const run of byTopic.values()) fanOut(run);
      return messages;
    },
    async since(name, cursor) {
      return syncSince(name, cursor);
    },
    subscribe(name, listener) {
      const topic = topics.get(name) ?? createTopic(name);
      topic.listeners.add(listener);
      return () => {
        topic.listeners.delete(listener);
        dropIfUnused(topic);
      };
    },
    checkTopic,
    stats() {
      let subscriptions = 0;
      for (const topic of topics.values()) subscriptions += topic.listeners.size;
      return { topics: topics.size, subscriptions, retainedMessages, retainedBytes };
    },
    async close() {
      for (const topic of topics.values()) topic.listeners.clear();
    },
  };
}
