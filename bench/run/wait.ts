/** Waiting in a run: a plain sleep, a wait until an hrtime with progress ticks, and a deadline on a promise. */

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the hrtime `ns`, ticking `onTick(elapsedMs)` every 200 ms from `fromNs`. */
export async function waitUntil(ns: bigint, fromNs: bigint, onTick: (elapsedMs: number) => void): Promise<void> {
  for (;;) {
    const now = process.hrtime.bigint();
    onTick(Math.min(Number(ns - fromNs), Number(now - fromNs)) / 1e6);
    if (now >= ns) return;
    await sleep(Math.min(200, Math.ceil(Number(ns - now) / 1e6)));
  }
}

/** `promise`, or a rejection naming `what` after `ms` milliseconds. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
