/**
 * Bytes of finished requests as the browser reports them (Resource Timing `transferSize`:
 * response headers plus the encoded body). Same-origin only, and only once a response has
 * ended, so it suits requests that end (polls, JSONP scripts, finished iframe documents).
 */

/** Calls `onBytes` with the bytes and URL of each finished request to `path` (such as `/api/jsonp`) on `topic`; returns the stop. */
export function watchResourceBytes(
  scope: { PerformanceObserver?: typeof PerformanceObserver },
  baseUrl: string,
  path: string,
  topic: string,
  onBytes: (bytes: number, url: string) => void,
): () => void {
  const Observer = scope.PerformanceObserver;
  if (Observer === undefined) return () => {};
  const prefix = `${baseUrl}${path}?`;
  const observer = new Observer((list) => {
    for (const entry of list.getEntries() as PerformanceResourceTiming[]) {
      if (!entry.name.startsWith(prefix)) continue;
      if (new URL(entry.name).searchParams.get('topic') !== topic) continue;
      onBytes(entry.transferSize > 0 ? entry.transferSize : entry.encodedBodySize, entry.name);
    }
  });
  observer.observe({ type: 'resource', buffered: false });
  return () => observer.disconnect();
}

/** Says why a fetch failed, in words a page can show. */
export function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
