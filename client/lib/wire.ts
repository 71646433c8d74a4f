/**
 * The wire format of docs/DESIGN.md as types, written once: the envelope, the poll answer,
 * the control frames of the streams and the WebSocket's publish, ack and error frames, and
 * the cursor's two forms. It imports nothing, so the page bundle (client/lib) and the Node
 * clients (bench/clients, bench/peers) both take it from here.
 */

/** The message envelope: `id` is the per-topic integer, `t` the publish time. */
export interface Envelope {
  id: number;
  topic: string;
  data: unknown;
  /** Publish time in epoch milliseconds (fractional). */
  t: number;
}

/** A poll answer (short poll, long poll, JSONP); `cursor` is `"<epoch>:<id>"`. */
export interface PollBody {
  messages: Envelope[];
  cursor: string;
  /** The server no longer had every message after the asked-for cursor. */
  gap?: boolean;
  /** The server had more after `cursor` than one answer carries: ask again at once. */
  more?: boolean;
}

/** A control frame of the iframe and WebSocket streams (and the peers'); `cursor` is `"<epoch>:<id>"`. */
export interface Control {
  type: 'cursor' | 'gap';
  cursor: string;
}

/** What a stream carries: an envelope or a control frame. */
export type StreamValue = Envelope | Control;

/** Client → server over the WebSocket: one message (`data`) or a batch (`messages`); the answer echoes `ref` as sent. */
export interface PublishFrame {
  type: 'publish';
  topic?: string;
  data?: unknown;
  messages?: { topic?: string; data: unknown }[];
  /** A string of at most 64 characters or a safe integer. */
  ref?: string | number;
  /** The raw publish token, when the server has one. */
  token?: string;
}

/** Server → client: a publish was taken; `id`/`topic` for one message, `ids`/`topics` for a batch. */
export interface AckFrame {
  type: 'ack';
  /** The publish frame's `ref`; absent when it had none. */
  ref?: string | number;
  id?: number;
  topic?: string;
  ids?: number[];
  topics?: string[];
}

/** Server → client: a publish was refused, with the HTTP status it would have had. */
export interface ErrorFrame {
  type: 'error';
  ref?: string | number;
  status?: number;
  error: string;
}

/** Every text frame a WebSocket client can receive. */
export type WebSocketFrame = StreamValue | AckFrame | ErrorFrame;

/** A cursor taken apart: the stream's epoch (undefined for a bare integer) and the id. */
export interface CursorParts {
  epoch: string | undefined;
  id: number;
}

/**
 * Splits a cursor as the server sends it (`"<epoch>:<id>"`) or a bare integer; a number
 * stands for a bare integer. Throws on anything else.
 */
export function splitCursor(cursor: string | number): CursorParts {
  if (typeof cursor === 'number') return { epoch: undefined, id: cursor };
  const colon = cursor.lastIndexOf(':');
  const id = Number(cursor.slice(colon + 1));
  if (!Number.isSafeInteger(id) || id < 0 || cursor.slice(colon + 1) === '') throw new Error(`not a cursor: ${cursor.slice(0, 40)}`);
  return { epoch: colon === -1 ? undefined : cursor.slice(0, colon), id };
}

/** The wire form of a cursor: `"<epoch>:<id>"`, or the bare id when the epoch is not known yet. */
export function joinCursor(epoch: string | undefined, id: number): string {
  return epoch === undefined ? String(id) : `${epoch}:${id}`;
}
