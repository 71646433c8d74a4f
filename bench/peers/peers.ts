/**
 * The peer rows of issue #8: each peer id, the server program that serves it, and the
 * pushlab technique it stands beside in the report.
 */
import type { TechniqueId } from '../clients/client.ts';

/** The three peer server programs, each run as its own process: `bench/peers/<name>-server.ts`. */
export const peerServerNames = ['baseline', 'socketio', 'sockjs'] as const;
/** A peer server program's name. */
export type PeerServerName = (typeof peerServerNames)[number];

/** Every peer row: a server program spoken to over one of its transports. */
export const peerIds = [
  'baseline',
  'socketio-websocket',
  'socketio-polling',
  'sockjs-websocket',
  'sockjs-eventsource',
  'sockjs-htmlfile',
  'sockjs-jsonp-polling',
  'sockjs-xhr-polling',
  'sockjs-xhr-streaming',
] as const;
/** A peer row's id. */
export type PeerId = (typeof peerIds)[number];

/** What a peer row is: its server program and the pushlab technique it is compared with. */
export interface PeerInfo {
  readonly server: PeerServerName;
  readonly technique: TechniqueId;
}

/**
 * The peers and their pushlab counterparts. SockJS's `xhr-streaming` is a streamed XHR
 * response (as the iframe stream is a streamed document), so it stands beside `iframe`
 * as a second streaming peer; `htmlfile` is SockJS's own hidden-iframe stream.
 */
export const peers: Readonly<Record<PeerId, PeerInfo>> = {
  baseline: { server: 'baseline', technique: 'websocket' },
  'socketio-websocket': { server: 'socketio', technique: 'websocket' },
  'socketio-polling': { server: 'socketio', technique: 'long-poll' },
  'sockjs-websocket': { server: 'sockjs', technique: 'websocket' },
  'sockjs-eventsource': { server: 'sockjs', technique: 'sse' },
  'sockjs-htmlfile': { server: 'sockjs', technique: 'iframe' },
  'sockjs-jsonp-polling': { server: 'sockjs', technique: 'jsonp' },
  'sockjs-xhr-polling': { server: 'sockjs', technique: 'long-poll' },
  'sockjs-xhr-streaming': { server: 'sockjs', technique: 'iframe' },
};

/** Whether `value` is a peer id. */
export function isPeerId(value: string): value is PeerId {
  return (peerIds as readonly string[]).includes(value);
}

