/** Messages between a page and the short-poll Web Worker. */

/** Page → worker: start polling (a new start replaces the last; the page ends the worker with `terminate()`). */
export type ToWorker = {
  type: 'start';
  /** The server's origin. */
  baseUrl: string;
  topic: string;
  /** The cursor to resume after (`"<epoch>:<id>"`), as the server sent it. */
  since: string | undefined;
  intervalMs: number;
  reconnectMs: number;
  maxReconnectMs: number;
  /** A request unanswered for this long is aborted, in ms. */
  deadlineMs: number;
};

/** Worker → page: what happened, in order. */
export type FromWorker =
  | { type: 'request' }
  | { type: 'wire'; text: string }
  | { type: 'answer'; text: string }
  | { type: 'failure'; reason: string; delayMs: number }
  | { type: 'bytes'; bytes: number };
