/**
 * The process's file-descriptor limit, and the connection cap derived from it.
 *
 * Node raises its own soft `RLIMIT_NOFILE` to the hard limit when it starts (node.cc,
 * `PlatformInit`), so the soft limit read here is already as high as this process may go;
 * Node has no `setrlimit` of its own to do more. Read from `/proc/self/limits` (Linux);
 * elsewhere the limit is unknown and the cap falls back to a fixed number.
 */
import { readFileSync } from 'node:fs';

/** The cap used where the descriptor limit cannot be read. */
export const fallbackMaxConnections = 10_000;

/** Open-file limits of this process: `soft` is the one that bites. */
export interface FdLimit {
  readonly soft: number;
  readonly hard: number;
}

/** Parses the "Max open files" line of `/proc/<pid>/limits`; undefined if absent or unlimited. */
export function parseFdLimit(limitsText: string): FdLimit | undefined {
  const match = /^Max open files\s+(\d+)\s+(\d+|unlimited)/m.exec(limitsText);
  if (match === null) return undefined;
  const soft = Number(match[1]);
  return { soft, hard: match[2] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[2]) };
}

/** This process's descriptor limit, or undefined where it cannot be read. */
export function readFdLimit(): FdLimit | undefined {
  try {
    return parseFdLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return undefined; // not Linux (no /proc): the caller falls back
  }
}

/**
 * Descriptors kept out of the held/streaming cap: for stdio, the listening socket, pages,
 * `/healthz`, `/metrics`, publishes and refusals, so those keep answering past the cap.
 * A tenth of the limit, at least 64.
 */
export function fdReserve(fdSoftLimit: number): number {
  return Math.max(64, Math.ceil(fdSoftLimit / 10));
}

/**
 * The default `maxConnections`: the soft descriptor limit less its reserve (at least 1), so
 * the cap answers `503` before descriptors run out; `fallbackMaxConnections` when unknown.
 */
export function defaultMaxConnections(limit: FdLimit | undefined): number {
  if (limit === undefined) return fallbackMaxConnections;
  return Math.max(1, limit.soft - fdReserve(limit.soft));
}
