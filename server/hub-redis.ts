/**
 * The Redis hub: the `Hub` interface over Redis Streams, so several server processes (or
 * machines) share each topic's ids, epoch and retained messages, and any of them can answer
 * any client's next poll or reconnect from its cursor.
 *
 * - Publishing is one Lua script (hub-redis-scripts.ts) that takes the next id and appends
 *   the envelope, already encoded, to the topic's stream (trimmed to `replayCapacity`).
 * - Resuming (`since`) is another script: epoch, head and the entries after the cursor, at once.
 * - Live delivery is ONE blocking reader per process (`XREAD BLOCK` on its own connection)
 *   over the streams of the topics this process has listeners for; it decodes each entry
 *   once and hands the same message to every local listener, so transports still frame it
 *   once per process. A new topic interrupts the block (`CLIENT UNBLOCK`) to join the read.
 * - When Redis goes away, every call fails fast with `HubUnavailableError` (a 503), the
 *   `down` listeners are told (the server ends its streams, so clients come back with their
 *   cursors), and ioredis reconnects on its own; a Redis that came back empty hands out new
 *   epochs, so clients are told of the gap.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  type Hub,
  type HubHealth,
  type HubMessage,
  type Listener,
  type PublishEntry,
  type Replay,
  TopicLimitError,
  defaultMaxTopics,
  nowEpochMs,
} from './hub.ts';
import { HubUnavailableError } from './hub-health.ts';
import { publishScript, sinceScript } from './hub-redis-scripts.ts';
import { createSharedLimits, type SharedLimits } from './limits-redis.ts';
import { redactUrl } from './hub-select.ts';

/** Options of the Redis hub. */
export interface RedisHubOptions {
  /** `redis://[user:password@]host:port[/db]`. Required. */
  url: string;
  /** Messages kept per topic stream (`MAXLEN`). Default 1024. */
  replayCapacity?: number;
  /** Prefix of every key the hub makes. Default `pushlab:`. */
  keyPrefix?: string;
  /** How long the first connection may take before `createRedisHub` rejects. Default 3000 ms. */
  connectTimeoutMs?: number;
  /** Seconds a topic that was read but never published to keeps its epoch. Default 3600. */
  emptyTopicTtlSeconds?: number;
  /** Longest single `XREAD BLOCK`, so a lost wake-up costs at most this. Default 2000 ms. */
  readBlockMs?: number;
  /** Topics this process follows at once (has listeners for); a new one past it is refused (`TopicLimitError`). Default 100,000. */
  maxTopics?: number;
  /** Called for each topic refused at the cap (for /metrics). */
  onTopicRejected?: () => void;
}

/** What the Redis hub adds to `Hub`: its health, a signal when Redis goes away, batches. */
export interface RedisHub extends Hub {
  /** `ready` while both connections are up; `down` otherwise. */
  health(): HubHealth;
  /** Calls `listener` each time Redis goes from reachable to unreachable; returns the removal. */
  onDown(listener: () => void): () => void;
  /** The epoch of `topic`'s stream as last seen here (tests and diagnostics). */
  epochOf(topic: string): string | undefined;
}

/** Entries one `XREAD` returns per stream at most; the next read continues from the last. */
const readCount = 512;

/** A fresh epoch: 8 characters of [a-z0-9]. */
export function newEpoch(): string {
  return randomBytes(6).readUIntBE(0, 6).toString(36).padStart(8, '0').slice(-8);
}

type Entry = [string, string[]];

/** The scripts, as ioredis's `defineCommand` adds them. */
interface Scripts {
  pushlabPublish(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<[string, number][]>;
  pushlabSince(
    meta: string,
    stream: string,
    epoch: string,
    emptyTtl: string,
    maxlen: number,
    cursorEpoch: string,
    cursorId: string,
  ): Promise<SinceReply>;
}
type SinceReply = [string, number, Entry[], number];

interface Watched {
  readonly listeners: Set<Listener>;
  /** Entry id the reader continues after; undefined until the head was read. */
  position: string | undefined;
  epoch: string | undefined;
}

/** Decodes a stream entry (`e`, `i`, `t`, `j` fields) into a hub message. */
function decode(topic: string, fields: string[]): HubMessage {
  let epoch = '';
  let id = 0;
  let t = 0;
  let json = '';
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1] as string;
    switch (fields[i]) {
      case 'e':
        epoch = value;
        break;
      case 'i':
        id = Number(value);
        break;
      case 't':
        t = Number(value);
        break;
      case 'j':
        json = value;
        break;
      default:
        break; // fields a newer version may add
    }
  }
  return { id, topic, t, json, epoch, frames: new Map() };
}

/**
 * Connects to Redis at `options.url` and returns the hub; rejects with an error that names
 * Redis and the URL when it cannot connect within `connectTimeoutMs`.
 */
export async function createRedisHub(options: RedisHubOptions): Promise<RedisHub> {
  const capacity = options.replayCapacity ?? 1024;
  if (!Number.isInteger(capacity) || capacity < 1)
    throw new RangeError(`replayCapacity must be a positive integer, got ${String(capacity)}`);
  const prefix = options.keyPrefix ?? 'pushlab:';
  const connectTimeoutMs = options.connectTimeoutMs ?? 3000;
  const emptyTtl = String(options.emptyTopicTtlSeconds ?? 3600);
  const readBlockMs = options.readBlockMs ?? 2000;
  const maxTopics = options.maxTopics ?? defaultMaxTopics;
  const shownUrl = redactUrl(options.url);
  const metaKey = (topic: string): string => `${prefix}m:${topic}`;
  const streamKey = (topic: string): string => `${prefix}s:${topic}`;
  const topicOfKey = (key: string): string => key.slice(prefix.length + 2);

  const common = {
    lazyConnect: true,
    // Fail fast while Redis is away (the caller answers 503) instead of queueing requests
    // that would pile up in memory and run late.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: connectTimeoutMs,
    retryStrategy: (times: number) => Math.min(100 * times, 1000),
  };
  let url: URL;
  try {
    url = new URL(options.url);
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error('not redis');
  } catch {
    throw new RangeError(`the Redis URL must look like redis://host:port, got ${shownUrl}`);
  }
  const commands = new Redis(options.url, { ...common, connectionName: 'pushlab-commands' }) as Redis & Scripts;
  // EVALSHA with a fallback to EVAL: the script text crosses the wire once per connection.
  // The publish script takes a variable number of keys (two per topic of a batch).
  commands.defineCommand('pushlabPublish', { lua: publishScript });
  commands.defineCommand('pushlabSince', { numberOfKeys: 2, lua: sinceScript });
  const reader = new Redis(options.url, { ...common, connectionName: 'pushlab-reader' });
  // Errors surface through `state()` and failed calls; ioredis would otherwise print each.
  let lastError = '';
  const onError = (error: Error): void => {
    lastError = (error as NodeJS.ErrnoException).code ?? error.message;
  };
  commands.on('error', onError);
  reader.on('error', onError);

  try {
    await Promise.race([
      Promise.all([commands.connect(), reader.connect()]),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${connectTimeoutMs} ms`)), connectTimeoutMs).unref()),
    ]);
  } catch (error) {
    commands.disconnect();
    reader.disconnect();
    throw new Error(`cannot connect to Redis at ${shownUrl}: ${lastError || (error as Error).message || String(error)}`);
  }

  const watched = new Map<string, Watched>();
  const downListeners = new Set<() => void>();
  let readerId = (await reader.client('ID')) as number;
  let up = true;
  let closed = false;
  /** Bumped when the set of read topics changes; the reader restarts its block when behind. */
  let generation = 0;
  let readingGeneration = -1;
  let wakeIdle: (() => void) | undefined;

  function isReady(): boolean {
    return commands.status === 'ready' && reader.status === 'ready';
  }

  function onConnectionChange(): void {
    if (closed) return;
    const ready = isReady();
    if (up && !ready) {
      up = false;
      console.error(`pushlab: lost the connection to Redis at ${shownUrl}; answering 503 until it is back`);
      for (const listener of [...downListeners]) listener();
    } else if (!up && ready) {
      up = true;
      console.error(`pushlab: Redis at ${shownUrl} is back`);
      wake();
    }
  }
  for (const connection of [commands, reader]) {
    connection.on('close', onConnectionChange);
    connection.on('end', onConnectionChange);
    connection.on('ready', onConnectionChange);
  }
  // Topics subscribed while Redis was away start reading once it is back.
  commands.on('ready', () => {
    for (const [topic, entry] of watched) if (entry.position === undefined) watch(topic, entry);
  });
  reader.on('ready', () => {
    reader.client('ID').then(
      (id) => {
        readerId = id as number;
      },
      () => undefined,
    );
  });

  /** Runs a Redis call, turning connection trouble into `HubUnavailableError`. */
  async function call<T>(run: () => Promise<T>): Promise<T> {
    if (!isReady()) throw new HubUnavailableError();
    try {
      return await run();
    } catch (error) {
      if (!isReady() || /Connection is closed|Stream isn't writeable|ECONNRESET|ECONNREFUSED|EPIPE/.test(String(error))) {
        throw new HubUnavailableError();
      }
      throw error;
    }
  }

  /** Interrupts the reader's block so it reads the new set of topics; retried until it took. */
  async function wake(): Promise<void> {
    generation++;
    if (wakeIdle !== undefined) {
      wakeIdle();
      return;
    }
    for (let attempt = 0; attempt < 50 && readingGeneration < generation && !closed && isReady(); attempt++) {
      const unblocked = await commands.client('UNBLOCK', readerId).catch(() => 0);
      if (unblocked === 1) return;
      // The XREAD was sent but is not blocking yet: try again in a moment.
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  function deliver(topic: string, entries: Entry[]): void {
    const entry = watched.get(topic);
    if (entry === undefined) return;
    const messages: HubMessage[] = [];
    for (const [entryId, fields] of entries) {
      entry.position = entryId;
      const message = decode(topic, fields);
      // A stream made again (a new epoch) starts a new run: a listener's run is one stream's.
      if (messages.length > 0 && message.epoch !== entry.epoch) {
        const run = messages.splice(0);
        for (const listener of [...entry.listeners]) listener(run);
      }
      entry.epoch = message.epoch;
      messages.push(message);
    }
    // What one read brought of the topic, in one call per listener.
    if (messages.length > 0) for (const listener of [...entry.listeners]) listener(messages);
  }

  async function readLoop(): Promise<void> {
    while (!closed) {
      const keys: string[] = [];
      const positions: string[] = [];
      for (const [topic, entry] of watched) {
        if (entry.listeners.size === 0) {
          watched.delete(topic);
          continue;
        }
        if (entry.position === undefined) continue;
        keys.push(streamKey(topic));
        positions.push(entry.position);
      }
      readingGeneration = generation;
      if (keys.length === 0 || !isReady()) {
        // Nothing to read (or no Redis): wait for a topic, for Redis, or a second at most.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, 1000);
          wakeIdle = done;
          function done(): void {
            clearTimeout(timer);
            wakeIdle = undefined;
            resolve();
          }
        });
        continue;
      }
      let reply: [string, Entry[]][] | null;
      try {
        reply = (await reader.xread('COUNT', readCount, 'BLOCK', readBlockMs, 'STREAMS', ...keys, ...positions)) as
          | [string, Entry[]][]
          | null;
      } catch {
        // Redis went away mid-read: the state change tells the server; retry once it is back.
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      if (reply === null) continue;
      for (const [key, entries] of reply) deliver(topicOfKey(key), entries);
    }
  }

  /** Starts reading `topic` after its current last entry: queued on the command connection
   * before any `since` the caller makes next, so nothing between the two is missed. */
  function watch(topic: string, entry: Watched): void {
    commands.xrevrange(streamKey(topic), '+', '-', 'COUNT', 1).then(
      (last) => {
        if (watched.get(topic) !== entry) return;
        entry.position = last[0]?.[0] ?? '0-0';
        void wake();
      },
      () => {
        // Redis is away: the server ends this topic's connections; the 'ready' handler retries.
      },
    );
  }

  /** Topics are bounded here by those followed; Redis holds the rest, each stream trimmed to `capacity`. */
  function checkTopic(topic: string): void {
    if (watched.has(topic) || watched.size < maxTopics) return;
    options.onTopicRejected?.();
    throw new TopicLimitError();
  }

  /**
   * Publishes `entries` in order in one script run: ids per topic in that order, all or
   * nothing, and the reader of every process sees the batch together. Each envelope is
   * encoded once, here; Redis only puts the id in front.
   */
  async function publishBatch(entries: readonly PublishEntry[]): Promise<HubMessage[]> {
    const t = nowEpochMs();
    const topicNumbers = new Map<string, number>();
    const keys: string[] = [];
    const epochs: string[] = [];
    const triples: (string | number)[] = [];
    const suffixes: string[] = [];
    for (const { topic, data } of entries) {
      let k = topicNumbers.get(topic);
      if (k === undefined) {
        k = topicNumbers.size + 1;
        topicNumbers.set(topic, k);
        keys.push(metaKey(topic), streamKey(topic));
        epochs.push(newEpoch());
      }
      const suffix = `,"topic":${JSON.stringify(topic)},"data":${JSON.stringify(data)},"t":${t}}`;
      suffixes.push(suffix);
      triples.push(k, t, suffix);
    }
    const reply = await call(() => commands.pushlabPublish(keys.length, ...keys, capacity, ...epochs, ...triples));
    return entries.map(({ topic }, i) => {
      const [epoch, id] = reply[i] as [string, number];
      return { id: Number(id), topic, t, json: `{"id":${id}${suffixes[i]}`, frames: new Map(), epoch };
    });
  }

  const loop = readLoop();
  const sharedLimits: SharedLimits = createSharedLimits(commands, { keyPrefix: prefix });

  function toReplay(topic: string, reply: SinceReply): Replay {
    const [epoch, head, entries, gap] = reply;
    const messages: HubMessage[] = [];
    for (let i = entries.length - 1; i >= 0; i--) messages.push(decode(topic, (entries[i] as Entry)[1]));
    return { messages, cursor: Number(head), gap: gap === 1, epoch };
  }

  const hub: RedisHub = {
    async publish(topic, data) {
      return (await publishBatch([{ topic, data }]))[0] as HubMessage;
    },
    publishBatch,
    async since(topic, cursor) {
      const reply = await call(() =>
        commands.pushlabSince(
          metaKey(topic),
          streamKey(topic),
          newEpoch(),
          emptyTtl,
          capacity,
          cursor?.epoch ?? '',
          cursor === undefined ? '' : String(cursor.id),
        ),
      );
      return toReplay(topic, reply);
    },
    checkTopic,
    subscribe(topic, listener) {
      let entry = watched.get(topic);
      if (entry === undefined) {
        checkTopic(topic);
        entry = { listeners: new Set(), position: undefined, epoch: undefined };
        watched.set(topic, entry);
        if (isReady()) watch(topic, entry);
      }
      entry.listeners.add(listener);
      const mine = entry;
      return () => {
        mine.listeners.delete(listener);
      };
    },
    stats() {
      let subscriptions = 0;
      for (const entry of watched.values()) subscriptions += entry.listeners.size;
      // Retained messages live in Redis (bounded there by MAXLEN per topic), not here.
      return { topics: watched.size, subscriptions, retainedMessages: 0, retainedBytes: 0 };
    },
    health: () => ({ kind: 'redis', state: isReady() ? 'ready' : 'down', where: shownUrl }),
    onDown(listener) {
      downListeners.add(listener);
      return () => downListeners.delete(listener);
    },
    epochOf: (topic) => watched.get(topic)?.epoch,
    sharedLimits,
    async close() {
      if (closed) return;
      closed = true;
      wakeIdle?.();
      for (const entry of watched.values()) entry.listeners.clear();
      await sharedLimits.close();
      reader.disconnect();
      await loop;
      await commands.quit().catch(() => commands.disconnect());
    },
  };
  return hub;
}
