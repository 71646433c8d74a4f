/** Reconnect delays: exponential backoff with full jitter. */

/** The first ceiling, in ms. */
export const defaultReconnectMs = 500;
/** The largest ceiling, in ms. */
export const defaultMaxReconnectMs = 20_000;

/**
 * The delay before retry number `failures` (1 for the first): a uniform random value in
 * [0, min(maxMs, baseMs * 2^(failures-1))). Full jitter spreads a crowd of clients that lost
 * the same server, so they do not all come back in the same instant
 * (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
 */
export function backoffDelayMs(
  failures: number,
  baseMs = defaultReconnectMs,
  maxMs = defaultMaxReconnectMs,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  return Math.floor(random() * ceiling);
}
