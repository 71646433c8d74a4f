/**
 * The publisher: `POST /api/publish` on a fixed schedule. Message k is due at
 * `start + k / rate` (in bursts: the burst's first message's time); its payload carries that *scheduled* `process.hrtime.bigint()`, so a
 * publish that goes out late is charged from when it should have gone (no coordinated
 * omission). Topics take turns (round robin). A burst goes as one batch publish
 * (`{"messages":[...]}`, split only where a body would pass the server's 64 KiB) unless
 * `mode` is `separate`, one request per message.
 */
import { Agent, request } from 'node:http';
import type { ControlClient } from '../protocol/control.ts';

/** The `data` of a published message: the scheduled hrtime (ns, as a string) and padding. */
export interface Payload {
  t: string;
  p: string;
}

/** The `data` for a message scheduled at `scheduledNs`, whose JSON is exactly `payloadBytes` long. */
export function makePayload(scheduledNs: bigint, payloadBytes: number): Payload {
  const t = scheduledNs.toString();
  // {"t":"<t>","p":"<pad>"} is 15 bytes of JSON around the two strings.
  const padBytes = payloadBytes - 15 - t.length;
  if (padBytes < 0) throw new RangeError(`payloadBytes must be at least ${15 + t.length}`);
  return { t, p: 'x'.repeat(padBytes) };
}

/** The scheduled hrtime of a received `data`, or undefined when it is not a benchmark payload. */
export function scheduledNsOf(data: unknown): bigint | undefined {
  const t = (data as { t?: unknown } | null)?.t;
  return typeof t === 'string' ? BigInt(t) : undefined;
}

/** The publisher's target and schedule. */
export interface PublisherOptions {
  baseUrl: string;
  topics: readonly string[];
  ratePerSecond: number;
  payloadBytes: number;
  /**
   * Messages published together, due at the same scheduled time: a burst of `burst` every
   * `burst / ratePerSecond` seconds, as a ticker's updates come in bursts. Default 1 (evenly spaced).
   */
  burst?: number;
  /** Requests in flight at most (keep-alive sockets). Default 8, or `burst` when larger. */
  sockets?: number;
  /** A server under `--tls`: publish over this client (HTTP/1.1 on TLS or HTTP/2) instead of plain HTTP. Default none. */
  control?: ControlClient;
  /** `batch` (default): a burst is one `{"messages":[...]}` publish; `separate`: one publish per message. */
  mode?: 'batch' | 'separate';
}

/** The largest batch body the publisher sends: under the server's 64 KiB limit, with room for the wrapper. */
export const maxBatchBodyBytes = 60 * 1024;

/**
 * Splits a burst's publish entries (each one message's JSON) into batch bodies
 * `{"messages":[...]}` of at most `maxBatchBodyBytes` and 1,000 entries each (the server's
 * bounds); one entry alone is always a body of its own.
 */
export function batchBodies(entries: readonly string[], maxBytes = maxBatchBodyBytes): { body: string; count: number }[] {
  const bodies: { body: string; count: number }[] = [];
  let parts: string[] = [];
  let bytes = 0;
  const flush = (): void => {
    if (parts.length > 0) bodies.push({ body: `{"messages":[${parts.join(',')}]}`, count: parts.length });
    parts = [];
    bytes = 0;
  };
  for (const entry of entries) {
    const size = Buffer.byteLength(entry) + 1;
    if (parts.length > 0 && (bytes + size + 16 > maxBytes || parts.length === 1000)) flush();
    parts.push(entry);
    bytes += size;
  }
  flush();
  return bodies;
}

/** One acknowledged publish. */
export interface Published {
  topic: string;
  id: number;
  scheduledNs: bigint;
  /** When the server's acknowledgement arrived. */
  ackedNs: bigint;
}

/** A running publisher. */
export interface Publisher {
  /** Every acknowledged publish so far. */
  readonly published: readonly Published[];
  /** Publishes that failed (not acknowledged, so expected by nobody). */
  readonly errors: number;
  /** When message 0 was due. */
  readonly startNs: bigint;
  /** Stops scheduling: no message due at or after `endNs` is sent. Resolves once every request has settled. */
  stopAt(endNs: bigint): Promise<void>;
}

/** Starts publishing now; message 0 is due at once. */
export function startPublisher(options: PublisherOptions): Publisher {
  const burst = options.burst ?? 1;
  const mode = options.mode ?? 'batch';
  if (!Number.isInteger(burst) || burst < 1) throw new RangeError('burst must be a positive integer');
  const agent = new Agent({ keepAlive: true, maxSockets: options.sockets ?? Math.max(8, burst) });
  const published: Published[] = [];
  const startNs = process.hrtime.bigint();
  const periodNs = options.ratePerSecond > 0 ? 1e9 / options.ratePerSecond : Infinity;
  let next = 0;
  let endNs: bigint | undefined;
  let errors = 0;
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;
  let settle: (() => void) | undefined;

  const dueNs = (k: number): bigint => startNs + BigInt(Math.round((k - (k % burst)) * periodNs));

  /** POSTs `body` (the messages `ks`, sharing `scheduledNs`): one message, or a batch of several. */
  function post(body: string, ks: readonly number[], scheduledNs: bigint, batch: boolean): void {
    inFlight++;
    const done = (ids?: readonly number[]): void => {
      inFlight--;
      if (ids === undefined || ids.length !== ks.length) errors += ks.length;
      else {
        const ackedNs = process.hrtime.bigint();
        for (const [index, k] of ks.entries()) published.push({ topic: topicOf(k), id: ids[index] as number, scheduledNs, ackedNs });
      }
      if (inFlight === 0 && settle !== undefined && timer === undefined) settle();
    };
    /** A 202 names the ids (`{"id"}`, or `{"ids"}` for a batch); anything else counts the messages as failed publishes. */
    const acknowledge = (status: number | undefined, text: string): void => {
      if (status !== 202) {
        done();
        return;
      }
      try {
        const ack = JSON.parse(text) as { id?: number; ids?: number[] };
        done(batch ? ack.ids : ack.id === undefined ? undefined : [ack.id]);
      } catch {
        // A 202 whose body is not JSON.
        done();
      }
    };
    const { control } = options;
    if (control !== undefined) {
      control
        .send('POST', '/api/publish', { 'content-type': 'application/json' }, body)
        .then((answer) => acknowledge(answer.status, answer.body))
        .catch(() => done());
      return;
    }
    const req = request(
      `${options.baseUrl}/api/publish`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => acknowledge(response.statusCode, text));
        response.on('error', () => done());
      },
    );
    req.on('error', () => done());
    req.end(body);
  }

  const topicOf = (k: number): string => options.topics[k % options.topics.length] as string;
  const entryOf = (k: number, scheduledNs: bigint): string =>
    JSON.stringify({ topic: topicOf(k), data: makePayload(scheduledNs, options.payloadBytes) });

  /** Sends the messages `ks` (due together): one request each, or as batches. */
  function send(ks: readonly number[]): void {
    const scheduledNs = dueNs(ks[0] as number);
    if (mode === 'separate' || ks.length === 1) {
      for (const k of ks) post(entryOf(k, scheduledNs), [k], scheduledNs, false);
      return;
    }
    const entries = ks.map((k) => entryOf(k, scheduledNs));
    let at = 0;
    for (const { body, count } of batchBodies(entries)) {
      post(body, ks.slice(at, at + count), scheduledNs, true);
      at += count;
    }
  }

  function tick(): void {
    timer = undefined;
    const now = process.hrtime.bigint();
    // Messages due at one time (a burst) go out together.
    while (dueNs(next) <= now && (endNs === undefined || dueNs(next) < endNs)) {
      const due = dueNs(next);
      const ks: number[] = [];
      while (dueNs(next) === due) ks.push(next++);
      send(ks);
    }
    if (endNs !== undefined && dueNs(next) >= endNs) {
      if (inFlight === 0) settle?.();
      return;
    }
    const waitMs = Number(dueNs(next) - process.hrtime.bigint()) / 1e6;
    timer = setTimeout(tick, Math.max(0, Math.floor(waitMs)));
  }

  if (periodNs !== Infinity) tick();

  return {
    published,
    get errors() {
      return errors;
    },
    startNs,
    stopAt(end) {
      endNs = end;
      return new Promise<void>((resolve) => {
        settle = () => {
          agent.destroy();
          resolve();
        };
        if (periodNs === Infinity) {
          settle();
          return;
        }
        // Wake the loop at the end, so it stops even when the next message was due later.
        const waitMs = Math.max(0, Number(end - process.hrtime.bigint()) / 1e6);
        setTimeout(() => {
          if (timer !== undefined) {
            clearTimeout(timer);
            tick();
          } else if (inFlight === 0) settle?.();
        }, waitMs);
      });
    },
  };
}
