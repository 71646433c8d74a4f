/**
 * Parsing of what every push route takes (`topic`, `since`, `timeout`, `callback`), shared by
 * Koa routes and the WebSocket upgrade. Bad input throws a `ClientError`, whose message
 * never repeats the input: an error body must not become a reflection vector.
 */
import { ClientError, checkTopic } from '../input.ts';

/** A dotted JavaScript identifier path, such as `cb` or `ns.cb`; at most 64 characters. */
export const callbackPattern = /^[A-Za-z_$][A-Za-z0-9_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)*$/;
export const maxCallbackLength = 64;

/** The one value of query parameter `name`, or undefined; a repeated parameter is an error. */
function single(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name);
  if (values.length > 1) throw new ClientError(400, `${name} must be given at most once`);
  return values[0];
}

export function parseTopic(query: URLSearchParams): string {
  const topic = single(query, 'topic');
  return checkTopic(topic);
}

/** A cursor as clients send it: `<epoch>:<id>`, or a bare integer id (checked by its id alone). */
export const cursorPattern = /^(?:([a-z0-9]{1,32}):)?(\d{1,15})$/;

/**
 * Parses a cursor (`since` or `Last-Event-ID`): `"<epoch>:<id>"` or a bare non-negative
 * integer; undefined for "from now on".
 */
export function parseCursor(value: string | undefined, name = 'since'): { epoch?: string; id: number } | undefined {
  if (value === undefined || value === '') return undefined;
  const match = cursorPattern.exec(value);
  if (match === null)
    throw new ClientError(400, `${name} must be a cursor "<epoch>:<id>" (as the server sent it) or a non-negative integer`);
  const id = Number(match[2]);
  return match[1] === undefined ? { id } : { epoch: match[1], id };
}

export function parseSince(query: URLSearchParams): { epoch?: string; id: number } | undefined {
  return parseCursor(single(query, 'since'));
}

/** `timeout` in milliseconds, 0 to `maxMs`; `defaultMs` when absent. */
export function parseTimeout(query: URLSearchParams, defaultMs: number, maxMs: number): number {
  const value = single(query, 'timeout');
  if (value === undefined || value === '') return defaultMs;
  if (!/^\d{1,9}$/.test(value) || Number(value) > maxMs) {
    throw new ClientError(400, `timeout must be an integer number of milliseconds from 0 to ${maxMs}`);
  }
  return Number(value);
}

/** A JSONP or iframe callback name; `fallback` when absent (undefined means required). */
export function parseCallback(query: URLSearchParams, fallback?: string): string {
  const callback = single(query, 'callback');
  if (callback === undefined || callback === '') {
    if (fallback !== undefined) return fallback;
    throw new ClientError(400, 'callback is required');
  }
  if (callback.length > maxCallbackLength || !callbackPattern.test(callback)) {
    throw new ClientError(400, `callback must be a dotted JavaScript identifier path of at most ${maxCallbackLength} characters`);
  }
  return callback;
}
