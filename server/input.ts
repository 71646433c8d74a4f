/**
 * The input rules every way in shares: the client-error type that the publish path, the
 * transports and the limits throw, and the topic rule. Kept apart from `transports/` so that
 * the publish path, the limits and the app take them from one place.
 */

/**
 * A refusal the client caused or must wait out (4xx, or 503 at a limit): answered with
 * `status`, `headers` and `{"error": message}`, never a 500.
 */
export class ClientError extends Error {
  /** Koa answers errors with `expose` set using their own message. */
  readonly expose = true;
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'ClientError';
  }
}

/** 1–64 characters of `[A-Za-z0-9_.-]`. */
export const topicPattern = /^[A-Za-z0-9_.-]{1,64}$/;
/** The topic of a request that names none. */
export const defaultTopic = 'lobby';

/** A topic as a client gave it (absent: `defaultTopic`); throws a `ClientError` (400) unless it is 1–64 characters of `[A-Za-z0-9_.-]`. */
export function checkTopic(value: unknown): string {
  if (value === undefined) return defaultTopic;
  if (typeof value !== 'string' || !topicPattern.test(value))
    throw new ClientError(400, 'topic must be 1-64 characters of A-Z a-z 0-9 _ . -');
  return value;
}
