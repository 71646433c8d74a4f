/**
 * The Origin and Host policy: which browser origins may use the API, and which `Host`
 * names a server bound to loopback answers (against DNS rebinding: a page on
 * `rebind.evil.example` that resolves to 127.0.0.1 sends its own name as `Host`).
 */

/**
 * `scheme://host[:port]` of an http(s) origin, lower-cased, default port dropped (as
 * `URL.origin` writes it); undefined for anything else: another scheme, userinfo, a path,
 * query or fragment, `null`, or text that is no URL.
 */
export function normalizeOrigin(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') return undefined;
  if (url.pathname !== '/' || /^[a-z]+:\/\/[^/]*\/./i.test(value)) return undefined;
  return url.origin;
}

/**
 * The Origin policy: a request with no `Origin` (not a browser, or a same-origin GET) is
 * allowed; otherwise the origin, compared by scheme, host and port, must be the server's own
 * (`selfOrigin`: the request's scheme and `Host`) or in `allowed` (`*` allows any).
 * Stops cross-site WebSocket hijacking and cross-site publishing.
 */
export function isOriginAllowed(origin: string | undefined, selfOrigin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined || origin === '') return true;
  const normal = normalizeOrigin(origin);
  if (normal === undefined) return allowed.includes('*'); // malformed, or "null" from a sandboxed frame: not ours
  if (allowed.includes('*') || allowed.includes(normal)) return true;
  return selfOrigin !== undefined && normalizeOrigin(selfOrigin) === normal;
}

/** Host names a loopback-bound server always answers. */
export const loopbackHosts: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

/** True for an address the server may listen on that only this machine can reach. */
export function isLoopbackAddress(address: string): boolean {
  return address === 'localhost' || address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address) || address === '::ffff:127.0.0.1';
}

/** The name of a `Host` header without its port, lower-cased; undefined if malformed. */
export function hostName(host: string): string | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::\d{1,5})?$/i.exec(host);
  return match?.[1]?.toLowerCase();
}

/**
 * The Host policy of a loopback-bound server: `Host` must name a loopback host (any port:
 * a local proxy in front keeps its own) or one in `allowed`. A server bound elsewhere
 * answers any `Host`.
 */
export function isHostAllowed(host: string | undefined, boundToLoopback: boolean, allowed: readonly string[]): boolean {
  if (!boundToLoopback) return true;
  if (host === undefined) return false;
  const name = hostName(host);
  return name !== undefined && (loopbackHosts.includes(name) || allowed.includes(name));
}

/** Host names of `origins` (for a loopback server that must accept its allowed origins' names). */
export function hostsOfOrigins(origins: readonly string[]): string[] {
  return origins.filter((origin) => origin !== '*').map((origin) => new URL(origin).hostname.toLowerCase());
}
