/**
 * Admission limits: open held/streaming connections (total and per client address), a
 * per-address publish rate, an optional publish token (with failed attempts rate-limited),
 * and the client address behind trusted proxies.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';
import type { TrustProxy } from './options.ts';
import { ClientError } from './input.ts';

/** Rejections counted in /metrics, by reason. */
export const rejections = [
  'connections',
  'connections-per-address',
  'publish-rate',
  'unauthorized',
  'auth-failures',
  'origin',
  'host',
  'topics',
] as const;
export type Rejection = (typeof rejections)[number];

/** Counts open held and streaming connections per client address. */
export interface ConnectionLimiter {
  /**
   * Admits one connection from `address`, returning its release (call exactly once, when it
   * closes); throws a 503 `ClientError` with `Retry-After` past either bound.
   */
  admit(address: string): () => void;
  open(): number;
}

/** Seconds a refused client is told to wait before trying again. */
export const retryAfterSeconds = 5;

export function createConnectionLimiter(
  maxConnections: number,
  maxConnectionsPerAddress: number,
  onReject: (reason: Rejection) => void,
): ConnectionLimiter {
  const perAddress = new Map<string, number>();
  let total = 0;
  return {
    admit(address) {
      const mine = perAddress.get(address) ?? 0;
      if (total >= maxConnections) {
        onReject('connections');
        throw new ClientError(503, 'the server is at its connection limit; retry later', { 'Retry-After': String(retryAfterSeconds) });
      }
      if (mine >= maxConnectionsPerAddress) {
        onReject('connections-per-address');
        throw new ClientError(503, 'too many open connections from your address; retry later', {
          'Retry-After': String(retryAfterSeconds),
        });
      }
      total++;
      perAddress.set(address, mine + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        total--;
        const left = (perAddress.get(address) ?? 1) - 1;
        if (left === 0) perAddress.delete(address);
        else perAddress.set(address, left);
      };
    },
    open: () => total,
  };
}

/** A token bucket per address: `ratePerSecond` sustained, `burst` at once; 0 turns it off. */
export interface RateLimiter {
  /**
   * Takes `count` tokens (default 1) for `address` all at once, or none and throws a 429
   * `ClientError` with `Retry-After`. `count` 0 only checks that one token is left. Shared
   * through Redis it answers with a promise (and rejects the same way).
   */
  take(address: string, count?: number): void | Promise<void>;
}

/** What a rate limiter says when it refuses: its reason in /metrics and its error message. */
export interface RateRefusal {
  readonly reason: Rejection;
  readonly message: string;
}

/** Addresses kept at most; past it, full buckets are swept at once (a flood of new addresses). */
const maxTrackedAddresses = 100_000;

export function createRateLimiter(
  ratePerSecond: number,
  burst: number,
  onReject: (reason: Rejection) => void,
  refusal?: RateRefusal,
): RateLimiter {
  if (ratePerSecond === 0) return { take: () => undefined };
  const { reason, message } = refusal ?? {
    reason: 'publish-rate',
    message: `publishing faster than ${ratePerSecond} messages per second; slow down`,
  };
  const buckets = new Map<string, { tokens: number; at: number }>();
  let sweptAt = performance.now();
  function sweep(now: number): void {
    for (const [key, bucket] of buckets) if (bucket.tokens + ((now - bucket.at) / 1000) * ratePerSecond >= burst) buckets.delete(key);
    sweptAt = now;
  }
  return {
    take(address, count = 1) {
      const now = performance.now();
      // Forget full buckets now and then, so addresses seen once do not pile up.
      if (now - sweptAt > 60_000 || buckets.size > maxTrackedAddresses) sweep(now);
      const bucket = buckets.get(address) ?? { tokens: burst, at: now };
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * ratePerSecond);
      bucket.at = now;
      buckets.set(address, bucket);
      const needed = Math.max(1, count);
      if (needed > burst) {
        // Would never fit, however long the client waits: say so rather than "retry later".
        onReject(reason);
        throw new ClientError(429, `at most ${burst} messages can be published at once here; split the batch`);
      }
      if (bucket.tokens < needed) {
        onReject(reason);
        const waitSeconds = Math.max(1, Math.ceil((needed - bucket.tokens) / ratePerSecond));
        throw new ClientError(429, message, { 'Retry-After': String(waitSeconds) });
      }
      bucket.tokens -= count;
    },
  };
}

/**
 * The token of an `Authorization: Bearer <token>` header; undefined for any other form
 * (a bare token, another scheme, extra words).
 */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer +([!-~]+) *$/i.exec(header ?? '');
  return match?.[1];
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * True when `presented` (the raw token) equals `token`; always true without a token.
 * Both sides are hashed first, so the comparison takes the same time whatever the lengths.
 */
export function isAuthorized(token: string | undefined, presented: string | undefined): boolean {
  if (token === undefined || token === '') return true;
  return timingSafeEqual(digest(presented ?? ''), digest(token)) && presented !== undefined;
}

/**
 * The client's address: the socket's, or behind trusted proxies the right-most
 * `X-Forwarded-For` entry that is not one of them (what each proxy appended is true; what
 * the client wrote to the left of it is not).
 */
export function createAddressOf(trust: TrustProxy): (request: IncomingMessage) => string {
  if (trust === false) return (request) => request.socket.remoteAddress ?? 'unknown';
  const trusted = typeof trust === 'number' ? (_address: string, hop: number) => hop < trust : proxyAddr.compile([...trust]);
  return (request) => proxyAddr(request, trusted) || 'unknown';
}
