/**
 * The publisher: `POST /api/publish` on a fixed schedule. Message k is due at
 * `start + k / rate` (in bursts: the burst's first message's time); its payload carries that *scheduled* `process.hrtime.bigint()`, so a
 * publish that goes out late is charged from when it should have gone (no coordinated
 * omission). Topics take turns (round robin).
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

  function send(k: number): void {
    const scheduledNs = dueNs(k);
    const topic = options.topics[k % options.topics.length] as string;
    const body = JSON.stringify({ topic, data: makePayload(scheduledNs, options.payloadBytes) });
    inFlight++;
    const done = (ack?: { id: number }): void => {
      inFlight--;
      if (ack === undefined) errors++;
      else published.push({ topic, id: ack.id, scheduledNs, ackedNs: process.hrtime.bigint() });
      if (inFlight === 0 && settle !== undefined && timer === undefined) settle();
    };
    const { control } = options;
    if (control !== undefined) {
      control
        .send('POST', '/api/publish', { 'content-type': 'application/json' }, body)
        .then((answer) => {
          let ack: { id: number } | undefined;
          try {
            ack = answer.status === 202 ? (JSON.parse(answer.body) as { id: number }) : undefined;
          } catch {
            // A 202 whose body is not JSON: counted as a failed publish.
          }
          done(ack);
        })
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
        response.on('end', () => {
          if (response.statusCode !== 202) return done();
          try {
            done(JSON.parse(text) as { id: number });
          } catch {
            // A 202 whose body is not JSON: counted as a failed publish.
            done();
          }
        });
        response.on('error', () => done());
      },
    );
    req.on('error', () => done());
    req.end(body);
  }

  function tick(): void {
    timer = undefined;
    const now = process.hrtime.bigint();
    while (dueNs(next) <= now && (endNs === undefined || dueNs(next) < endNs)) send(next++);
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
