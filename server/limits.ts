/**
 * Admission limits: open held/streaming connections (total and per client address), a
 * per-address publish rate, an optional publish token, and the Origin policy shared by
 * WebSocket upgrades and CORS.
 */
import { timingSafeEqual } from 'node:crypto';
import { ClientError } from './input.ts';

/** Rejections counted in /metrics, by reason. */
export type Rejection = 'connections' | 'connections-per-address' | 'publish-rate' | 'unauthorized' | 'origin';

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
        throw new ClientError(503, 'too many open connections from your address; retry later', { 'Retry-After': String(retryAfterSeconds) });
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
  /** Takes one token for `address`, or throws a 429 `ClientError` with `Retry-After`. */
  take(address: string): void;
}

export function createRateLimiter(ratePerSecond: number, burst: number, onReject: (reason: Rejection) => void): RateLimiter {
  if (ratePerSecond === 0) return { take: () => undefined };
  const buckets = new Map<string, { tokens: number; at: number }>();
  let sweptAt = performance.now();
  return {
    take(address) {
      const now = performance.now();
      // Forget full buckets now and then, so addresses seen once do not pile up.
      if (now - sweptAt > 60_000) {
        for (const [key, bucket] of buckets) if (bucket.tokens + ((now - bucket.at) / 1000) * ratePerSecond >= burst) buckets.delete(key);
        sweptAt = now;
      }
      const bucket = buckets.get(address) ?? { tokens: burst, at: now };
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * ratePerSecond);
      bucket.at = now;
      buckets.set(address, bucket);
      if (bucket.tokens < 1) {
        onReject('publish-rate');
        const waitSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerSecond));
        throw new ClientError(429, `publishing faster than ${ratePerSecond} messages per second; slow down`, { 'Retry-After': String(waitSeconds) });
      }
      bucket.tokens -= 1;
    },
  };
}

/** True when `presented` (an `Authorization` header, or a raw token) carries `token`; always true without a token. */
export function isAuthorized(token: string | undefined, presented: string | undefined): boolean {
  if (token === undefined || token === '') return true;
  if (presented === undefined) return false;
  const given = Buffer.from(presented.replace(/^Bearer\s+/i, ''));
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/**
 * The Origin policy: a request with no `Origin` (not a browser, or a same-origin GET) is
 * allowed; otherwise the origin must be the server's own (same host) or in `allowed`
 * (`*` allows any). Stops cross-site WebSocket hijacking and cross-site publishing.
 */
export function isOriginAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined || origin === '') return true;
  if (allowed.includes('*') || allowed.includes(origin)) return true;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false; // a malformed Origin (or "null" from a sandboxed frame) is not ours
  }
}
