/**
 * The peers, written once: other servers the benchmark measures beside pushlab, each with
 * the server program that serves it, the pushlab technique it stands beside, and its name in
 * the report. The order of `peerIds` is the order their rows follow a pushlab row; the
 * baseline, the machine's ceiling, comes last. Imports nothing but the technique ids.
 */
import type { TechniqueId } from './techniques.ts';

/** The three peer server programs, each run as its own process: `bench/peers/servers/<name>-server.ts`. */
export const peerServerNames = ['baseline', 'socketio', 'sockjs'] as const;
/** A peer server program's name. */
export type PeerServerName = (typeof peerServerNames)[number];

/** Every peer row: a server program spoken to over one of its transports, in reading order. */
export const peerIds = [
  'socketio-websocket',
  'socketio-polling',
  'sockjs-websocket',
  'sockjs-eventsource',
  'sockjs-htmlfile',
  'sockjs-xhr-streaming',
  'sockjs-jsonp-polling',
  'sockjs-xhr-polling',
  'baseline',
] as const;
/** A peer row's id. */
export type PeerId = (typeof peerIds)[number];

/** The peer id of the machine's ceiling: a raw `node:net` fan-out server. */
export const baselinePeer = 'baseline' satisfies PeerId;

/** What a peer row is: its server program, the pushlab technique it is compared with, and its name. */
export interface PeerInfo {
  readonly server: PeerServerName;
  readonly technique: TechniqueId;
  /** The name in the report: `Socket.IO (websocket)`. */
  readonly name: string;
}

/**
 * The peers and their pushlab counterparts. SockJS's `xhr-streaming` is a streamed XHR
 * response (as the iframe stream is a streamed document), so it stands beside `iframe`
 * as a second streaming peer; `htmlfile` is SockJS's own hidden-iframe stream. The baseline
 * stands beside every technique in the report; its client speaks one stream, so `websocket`.
 */
export const peers: Readonly<Record<PeerId, PeerInfo>> = {
  'socketio-websocket': { server: 'socketio', technique: 'websocket', name: 'Socket.IO (websocket)' },
  'socketio-polling': { server: 'socketio', technique: 'long-poll', name: 'Socket.IO (polling)' },
  'sockjs-websocket': { server: 'sockjs', technique: 'websocket', name: 'SockJS (websocket)' },
  'sockjs-eventsource': { server: 'sockjs', technique: 'sse', name: 'SockJS (eventsource)' },
  'sockjs-htmlfile': { server: 'sockjs', technique: 'iframe', name: 'SockJS (htmlfile)' },
  'sockjs-xhr-streaming': { server: 'sockjs', technique: 'iframe', name: 'SockJS (xhr-streaming)' },
  'sockjs-jsonp-polling': { server: 'sockjs', technique: 'jsonp', name: 'SockJS (jsonp-polling)' },
  'sockjs-xhr-polling': { server: 'sockjs', technique: 'long-poll', name: 'SockJS (xhr-polling)' },
  baseline: { server: 'baseline', technique: 'websocket', name: 'baseline (raw TCP)' },
};

/** Whether `value` is a peer id. */
export function isPeerId(value: string): value is PeerId {
  return (peerIds as readonly string[]).includes(value);
}

/** The peer ids one server program serves, in reading order. */
export function peersOn(server: PeerServerName): PeerId[] {
  return peerIds.filter((id) => peers[id].server === server);
}
