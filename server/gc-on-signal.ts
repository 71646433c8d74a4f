/**
 * With `node --expose-gc` (the benchmark starts every server it measures so), SIGUSR2 runs a
 * full garbage collection: the harness then reads memory per connection without the garbage
 * that connecting left behind, the same way for pushlab and for each peer. Started without
 * the flag (as `npm start` is), a server installs nothing and SIGUSR2 keeps Node's default.
 */
export function collectGarbageOnSignal(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') return;
  process.on('SIGUSR2', () => {
    // The second pass frees what the first one's finalizers and weak references let go.
    gc();
    gc();
  });
}
