/**
 * What the server does with a networked hub's health: refuse new API requests with `503` +
 * `Retry-After` while its store is away, end open streams and held polls when it goes
 * (clients come back with their cursors once it is back), and report it on `/healthz`.
 * The in-memory hub has no health and is always ready.
 */
import type { Hub } from './hub.ts';
import type { Closable } from './transports/context.ts';
import { ClientError } from './input.ts';

/** Thrown by a networked hub while its store (Redis) cannot be reached; answered `503` with `Retry-After`. */
export class HubUnavailableError extends ClientError {
  constructor() {
    super(503, 'the message store (Redis) is unavailable; retry shortly', { 'Retry-After': String(hubRetryAfterSeconds) });
    this.name = 'HubUnavailableError';
  }
}

/** Seconds a client is told to wait while Redis is away. */
export const hubRetryAfterSeconds = 2;

/** True when `hub` says its store is unreachable. */
export function isHubDown(hub: Hub): boolean {
  return hub.health?.().state === 'down';
}

/** Refuses an `/api/` request (a 503, `HubUnavailableError`) while the hub is down; the server's first middleware calls it. */
export function refuseWhileHubDown(hub: Hub): void {
  if (isHubDown(hub)) throw new HubUnavailableError();
}

/** Ends every open connection whenever the hub loses its store; returns the removal. */
export function endConnectionsWhenHubDown(hub: Hub, connections: Set<Closable>): () => void {
  return (
    hub.onDown?.(() => {
      for (const connection of [...connections]) connection.shutdown();
    }) ?? (() => undefined)
  );
}

/** `/healthz`: `ok` (memory hub), or `ok`/`unavailable` plus a line naming the hub and its state. */
export function healthOf(hub: Hub): { status: number; text: string } {
  const health = hub.health?.();
  if (health === undefined) return { status: 200, text: 'ok' };
  const line = `hub: ${health.kind} ${health.state}${health.where === undefined ? '' : ` ${health.where}`}`;
  return health.state === 'ready' ? { status: 200, text: `ok\n${line}\n` } : { status: 503, text: `unavailable\n${line}\n` };
}
