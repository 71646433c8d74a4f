/**
 * `createPeerClient(peer, options, handlers)`: a lean load client for any peer row, with the
 * `PushClient` shape of `bench/clients` (its `technique` is the pushlab technique the peer
 * stands beside; `peer` is its own id), so the benchmark drives peers as it drives pushlab.
 */
import type { ClientHandlers, ClientOptions, PushClient } from '../../clients/base.ts';
import { peerIds, type PeerId } from '../../../registry/peers.ts';
import { BaselineClient } from './baseline.ts';
import { SocketioClient } from './socketio.ts';
import { LeanSocketioClient } from './socketio-lean.ts';
import { createSockjsClient } from './sockjs.ts';

/** A peer's load client. `options.since` is ignored: no peer replays. */
export interface PeerClient extends PushClient {
  readonly peer: PeerId;
}

/** Which client to use where a peer has more than one. */
export interface PeerClientChoice {
  /**
   * For `socketio-websocket`: `official` is `socket.io-client` itself; `lean` speaks the
   * same wire protocol on the load generator's node:net WebSocket, fast path included (see socketio-lean.ts).
   * Default `official`.
   */
  socketio?: 'official' | 'lean';
}

/** Starts a client of `peer`; it runs until `close()`. */
export function createPeerClient(
  peer: PeerId,
  options: ClientOptions,
  handlers: ClientHandlers,
  choice: PeerClientChoice = {},
): PeerClient {
  switch (peer) {
    case 'baseline':
      return new BaselineClient(options, handlers).start();
    case 'socketio-websocket':
      if (choice.socketio === 'lean') return new LeanSocketioClient(options, handlers).start();
      return new SocketioClient(peer, options, handlers);
    case 'socketio-polling':
      return new SocketioClient(peer, options, handlers);
    case 'sockjs-websocket':
    case 'sockjs-eventsource':
    case 'sockjs-htmlfile':
    case 'sockjs-jsonp-polling':
    case 'sockjs-xhr-polling':
    case 'sockjs-xhr-streaming':
      return createSockjsClient(peer, options, handlers);
    default:
      throw new RangeError(`unknown peer "${String(peer)}"; one of ${peerIds.join(', ')}`);
  }
}
