/** Koa plumbing shared by the HTTP transports: client-gone detection and streaming bodies. */
import type { Context } from 'koa';
import { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Replay } from '../hub.ts';
import type { Technique } from '../metrics.ts';
import type { TransportContext } from './context.ts';
import type { PollAnswer, PollFraming } from './shared.ts';
import { answersAtOnce, hold, pollAnswer } from './shared.ts';
import { parseSince, parseTimeout, parseTopic } from './query.ts';
import type { StreamSink, WireForm } from './push-stream.ts';

/**
 * Admits a held or streaming request under the connection limits (a 503 with
 * `Retry-After` past them); the slot is released when the response closes.
 */
export function admit(context: TransportContext, ctx: Context): void {
  const release = context.limiter.admit(ctx.ip);
  ctx.res.once('close', release);
}

/** Returns a watcher for `ctx`'s response closing before it was answered (the client left). */
export function onResponseClose(ctx: Context): (listener: () => void) => () => void {
  return (listener) => {
    ctx.res.once('close', listener);
    return () => ctx.res.off('close', listener);
  };
}

/** Poll answer types, set as the header itself: `ctx.type` looks the name up in a MIME table each time. */
export const jsonType = 'application/json; charset=utf-8';
export const scriptType = 'application/javascript; charset=utf-8';

/**
 * The query of `ctx`, parsed for this call only: `ctx.URL` would keep a URL, its search
 * params and their strings on the context (about 0.5 KiB) for as long as a held or
 * streaming response stays open.
 */
export function queryOf(ctx: Context): URLSearchParams {
  return new URLSearchParams(ctx.querystring);
}

/** Counts a poll answer: a gap, an empty answer, the messages it carries. */
export function countAnswer(context: TransportContext, technique: Technique, answer: Pick<PollAnswer, 'gap' | 'messages'>): void {
  if (answer.gap) context.metrics.gap(technique);
  if (answer.messages === 0) context.metrics.empty(technique);
  context.metrics.delivered(technique, answer.messages);
}

/**
 * Bytes of poll answers queued behind an earlier answer on their socket and not yet sent.
 * Node's server reads a whole chunk of pipelined requests (about a thousand short ones in
 * 64 KiB) before it stops reading from a socket whose client does not read, and queues
 * every answer in memory: without this count, one socket could queue a thousand answers.
 */
const queuedPollBytes = new WeakMap<Socket, number>();

/**
 * Answers a poll with `replay`, bounded by `maxPollBytes` (see `pollAnswer`), and counts
 * it. A socket that already holds more than `maxBufferedBytes` of earlier answers unsent (a
 * client pipelining polls and not reading them) is a slow consumer: it is dropped, as a
 * stream would be, before anything more is built for it.
 *
 * Unsent is the socket's own buffer (`writableLength`) and the answers queued behind the
 * one it is sending. An answer that has its socket (every answer but a pipelined one) goes
 * to that buffer when Koa sends it, so it needs no listener to be counted.
 */
export function answerPoll(context: TransportContext, technique: Technique, ctx: Context, replay: Replay, framing: PollFraming = {}): void {
  const socket = ctx.req.socket as Socket;
  if (socket.destroyed) return;
  const queued = queuedPollBytes.get(socket) ?? 0;
  // HTTP/1.1 only: an HTTP/2 request's socket is its session's, shared with every stream on
  // it (their bytes are not this poll's), and HTTP/2 has no pipelining to queue answers.
  const inSocket = ctx.req.httpVersionMajor === 1 ? socket.writableLength : 0;
  if (queued + inSocket > context.options.maxBufferedBytes) {
    context.metrics.slowConsumer(technique);
    socket.destroy();
    return;
  }
  const answer = pollAnswer(replay, context.options.maxPollBytes, framing);
  countAnswer(context, technique, answer);
  ctx.body = answer.body;
  if (ctx.res.socket !== socket) queueAnswer(ctx.res, socket, queued, Buffer.byteLength(answer.body));
}

/** Counts `bytes` of an answer queued on `socket` until it was sent ('finish') or never will be ('close'). */
function queueAnswer(res: Context['res'], socket: Socket, queued: number, bytes: number): void {
  queuedPollBytes.set(socket, queued + bytes);
  let counted = true;
  const settle = (): void => {
    if (!counted) return;
    counted = false;
    const left = (queuedPollBytes.get(socket) ?? bytes) - bytes;
    if (left > 0) queuedPollBytes.set(socket, left);
    else queuedPollBytes.delete(socket);
  };
  res.once('finish', settle);
  res.once('close', settle);
}

/**
 * What long polling and JSONP share (JSONP is long polling with another wrapper, as in
 * engine.io): parse `topic`/`since`/`timeout`, admit under the connection and topic caps,
 * look once, and answer at once what is there (its slot is given back then); otherwise hold
 * until there is an answer (the slot is given back when the response closes). `answerPoll`
 * sends and counts it.
 */
export async function heldPoll(context: TransportContext, technique: Technique, ctx: Context, query = queryOf(ctx)): Promise<Replay> {
  const topic = parseTopic(query);
  const since = parseSince(query);
  const holdMs = parseTimeout(query, context.options.holdMs, context.options.maxHoldMs);
  const release = context.limiter.admit(ctx.ip);
  let first: Replay;
  try {
    // The cap a new topic would pass is checked before looking, as the hold would subscribe.
    context.hub.checkTopic(topic);
    first = await context.hub.since(topic, since);
  } catch (error) {
    release();
    throw error;
  }
  if (answersAtOnce(first, holdMs)) {
    release();
    return first;
  }
  ctx.res.once('close', release);
  return hold(context, technique, onResponseClose(ctx), topic, first, holdMs);
}

/**
 * Starts a streaming response of `type` and returns its sink. Headers go out at once;
 * caching and proxy buffering are turned off (`X-Accel-Buffering: no` is nginx's switch,
 * https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_buffering).
 *
 * Frames go straight to the `ServerResponse` (`ctx.respond = false`, which docs/STYLE.md
 * allows only here, for this reason), not through a `PassThrough` that Koa pipes: the pipe's streams, listeners and
 * abort signal cost about 10 KiB per idle connection, a third of what a stream held (the
 * `idle` scenario). A batch's frames, prepared once as one chunk for every stream
 * (`StreamSink.direct`), go straight to the socket: `res.write` would frame the chunk again
 * for each client, in four socket writes. The bytes on the wire are the same.
 */
export function openStream(ctx: Context, type: string, onClose: () => void): StreamSink {
  const { res } = ctx;
  const socket = ctx.req.socket as Socket;
  socket.setNoDelay(true);
  ctx.status = 200;
  ctx.type = type;
  ctx.set('Cache-Control', 'no-store');
  ctx.set('X-Accel-Buffering', 'no');
  ctx.respond = false;
  res.flushHeaders();
  forgetKoaErrorHandler(res);
  res.once('close', onClose);
  // A HEAD request gets the headers only (as Koa would answer it); its stream closes with it.
  if (ctx.method === 'HEAD') res.end();
  return new ResponseSink(res, socket);
}

/**
 * Koa waits for every response to finish (`on-finished`) to pass a late error to
 * `ctx.onerror`; that one listener keeps the whole context (ctx, request, response, state,
 * the router's captures) alive for as long as a stream stays open: about 1 KiB of heap per
 * idle SSE or iframe connection (a heap snapshot of 2,000 SSE connections before and after).
 * A stream no longer answers through Koa (`ctx.respond = false`): its errors and its end are
 * the stream's `close` handler, so Koa's waiting listener is dropped from on-finished's queue
 * (`res.__onFinished.queue`, on-finished 2.x). If that shape ever changes, nothing is dropped
 * and the stream costs the kilobyte again, nothing worse.
 */
function forgetKoaErrorHandler(res: ServerResponse): void {
  const finished = (res as { __onFinished?: { queue?: unknown[] | null } }).__onFinished;
  if (Array.isArray(finished?.queue)) finished.queue.length = 0;
}

/**
 * A streaming response as a sink. A class, not an object of arrow functions: its methods
 * are shared by every connection rather than made for each (and under tsx, which keeps
 * function names, each such arrow also carried a name property: about 1 KiB a connection).
 */
class ResponseSink implements StreamSink {
  /**
   * Whether the response is an HTTP/1.1 chunked body, known once its headers are out (they
   * are, before a sink is made): `direct` then checks only what can change per write.
   */
  private readonly chunked: boolean;

  constructor(
    private readonly res: ServerResponse,
    readonly socket: Socket,
  ) {
    this.chunked = res instanceof ServerResponse && res.headersSent && res.chunkedEncoding;
  }

  write(chunk: Buffer | string): void {
    if (!this.res.writableEnded) this.res.write(chunk);
  }

  /**
   * `chunked` while the response is an HTTP/1.1 chunked body that owns its socket with
   * nothing of its own still buffered, so bytes written to the socket now follow what the
   * response wrote; otherwise (HTTP/2's compatibility response, HTTP/1.0, a response still
   * queued behind a pipelined one, an ended one) frames go through `res.write`.
   */
  direct(): WireForm | undefined {
    const { res, socket } = this;
    if (!this.chunked || res.writableEnded || res.socket !== socket) return undefined;
    return res.writableLength === socket.writableLength ? 'chunked' : undefined;
  }

  /** Only right after `direct()` named a form, which checked the response is open. */
  writeDirect(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The response's own buffer and the socket's (`writableLength` adds the two). */
  pending(): number {
    return this.res.writableLength;
  }

  end(): void {
    this.res.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
