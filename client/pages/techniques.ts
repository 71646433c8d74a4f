/** How each technique works and what it costs, for the pages (rendered on the server); its name is in `registry/techniques.ts`. */
import type { TechniqueId } from '../lib/types.ts';

/** The words about one technique. */
export interface TechniqueText {
  /** One line for the playground and the navigation. */
  summary: string;
  /** Paragraphs: how it works. */
  how: string[];
  /** Bullet points: what it costs. */
  costs: string[];
  /** The knobs the demo page offers. */
  knobs: ('interval' | 'worker' | 'hold')[];
}

/** The words about each technique. */
export const techniqueTexts: Record<TechniqueId, TechniqueText> = {
  'short-poll': {
    summary: 'asks every interval; the server answers at once',
    how: [
      'The page asks <code>GET /api/short-poll?since=N</code> every interval. The server answers at once with whatever arrived after id N, usually nothing, and the new cursor; the page waits one interval and asks again.',
      'With the worker option the timer and the requests run in a Web Worker, so a page that is busy running script does not delay the next poll.',
    ],
    costs: [
      'One full HTTP request and response (a few hundred bytes of headers) per interval per client, whether or not anything happened.',
      'A message waits for the next poll: half an interval on average, a whole one at worst.',
      'Shorter intervals buy latency with load; simple, and it passes every proxy.',
    ],
    knobs: ['interval', 'worker'],
  },
  'long-poll': {
    summary: 'the server holds each request until a message arrives',
    how: [
      'The page asks <code>GET /api/long-poll?since=N&amp;timeout=T</code>. The server holds the request until a message after N exists or T ms pass, then answers; the page asks again at once.',
      'The first request has <code>timeout=0</code>: it learns where "now" is without waiting, so nothing published meanwhile can slip between two requests.',
    ],
    costs: [
      'One request and response per message (or per hold when quiet): headers travel with every message.',
      'One held connection per client on the server; a burst that arrives between two requests comes in one answer.',
      'Latency is about one round trip, more when messages come faster than the requests can turn around.',
    ],
    knobs: ['hold'],
  },
  jsonp: {
    summary: 'long polling by &lt;script&gt; tag, one at a time',
    how: [
      'The page adds <code>&lt;script src="/api/jsonp?callback=…&amp;since=N"&gt;</code>. The server holds it like a long poll and answers JavaScript that calls the named callback with the messages. The page removes the script and adds the next one.',
      'Before <code>fetch</code>, XHR and CORS this was the way to push across origins. A script cannot be aborted and shows no status, so <code>onerror</code> catches a failed load and a client-side deadline a server that never answers.',
    ],
    costs: [
      'The costs of long polling: a request and headers per message, a held connection per client.',
      'The page runs whatever the server sends: it must trust that server completely.',
      'No status codes or error bodies reach the page, and the bytes shown count only finished scripts.',
    ],
    knobs: ['hold'],
  },
  iframe: {
    summary: 'a never-ending HTML document calls this page',
    how: [
      'A hidden <code>&lt;iframe&gt;</code> loads <code>/api/iframe?since=N</code>, an HTML document the server never finishes. Each message arrives as a <code>&lt;script&gt;</code> that calls a function on this page; 1 KiB of padding first makes the browser start running them at once.',
      'The document keeps growing, so the server ends it after 256 KiB; the iframe fires <code>load</code> and the page opens a new one from its cursor. The same happens when the stream dies.',
    ],
    costs: [
      'One request carries many messages: little overhead per message, stream-like latency.',
      'One held connection per client; the document and its script elements grow until the server ends it.',
      'The channel is one way (sends go by POST), and the page only sees calls, not bytes, until a document ends.',
    ],
    knobs: [],
  },
  sse: {
    summary: 'EventSource over one text/event-stream response',
    how: [
      '<code>new EventSource("/api/sse")</code> opens a <code>text/event-stream</code> response that stays open; each message is an <code>id:</code> line and a <code>data:</code> line. The browser parses it and fires events.',
      "When a stream that worked drops, the browser reconnects by itself once the server's <code>retry:</code> delay has passed, sending <code>Last-Event-ID</code>. If that attempt fails too, this page closes the <code>EventSource</code> and retries with its own backoff and <code>since=</code> its cursor until a stream opens. Either way the server resumes from the cursor; a <code>gap</code> event says it could not.",
    ],
    costs: [
      'One held connection per client. Over HTTP/1.1 a browser opens at most 6 connections to one host, shared by all its tabs; HTTP/2 lifts that.',
      'A few bytes of framing per message; text only; server to browser only (sends go by POST).',
    ],
    knobs: [],
  },
  websocket: {
    summary: 'one upgraded connection, both ways',
    how: [
      'One HTTP request upgrades to a WebSocket: a full-duplex connection with 2 to 14 bytes of framing per message. The server writes each message as a text frame.',
      "This page also publishes over the same socket and shows the server's ack with the id it assigned. Reconnecting and resuming are the client's job: it retries with backoff and <code>since=</code> its cursor.",
    ],
    costs: [
      'The least overhead per message, and the lowest latency of the six.',
      'One held connection and a ping/pong heartbeat per client; some proxies and firewalls break upgrades.',
    ],
    knobs: [],
  },
};
