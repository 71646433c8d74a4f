/**
 * SockJS 0.3.24 as a peer, with its six transports (`websocket`, `eventsource`, `htmlfile`,
 * `jsonp-polling`, `xhr-polling`, `xhr-streaming`) under `/sockjs` and its defaults
 * otherwise (25 s heartbeat, 5 s disconnect delay, 128 KiB per streaming response). A
 * client subscribes by sending its topic as its first message and then gets
 * `{"type":"cursor","cursor":"<epoch>:<id>"}`; a publish writes the envelope's JSON, stringified once,
 * to each connection of the topic (SockJS then frames it per connection, as it does).
 *
 * `node --import tsx bench/peers/servers/sockjs-server.ts --port 0`
 */
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { pathToFileURL } from 'node:url';
import sockjs from 'sockjs';
import { closeServer, listenOn, runPeerMain, trackSockets, type PeerServer, type PeerServerFlags } from './command-line.ts';
import { peersOn } from '../../../registry/peers.ts';
import { sockjsPrefix } from '../mounts.ts';
import { countLabels, createPeerMetrics, meterRequests } from './metrics.ts';
import { Sequences, createSurface, cursorJson, surfaceLabel, topicErrorJson, topicPattern } from './surface.ts';

const labels = peersOn('sockjs');

/** The peer id of each SockJS receiving route; the `*_send` routes take their session's. */
const receivingRoutes: Record<string, string> = {
  websocket: 'sockjs-websocket',
  eventsource: 'sockjs-eventsource',
  htmlfile: 'sockjs-htmlfile',
  jsonp: 'sockjs-jsonp-polling',
  xhr: 'sockjs-xhr-polling',
  xhr_streaming: 'sockjs-xhr-streaming',
};

const sessionRoute = new RegExp(`^${sockjsPrefix}/[^/.]+/([^/.]+)/([a-z_]+)`);

/** Creates the SockJS peer (not yet listening). */
export function createSockjsServer(flags: PeerServerFlags = {}): PeerServer {
  const sequences = new Sequences();
  const topics = new Map<string, Map<sockjs.Connection, string>>();
  const connections = new Set<sockjs.Connection>();
  /** The peer id of each session, learnt from its receiving requests, for its sends. */
  const sessions = new Map<string, string>();

  const metrics = createPeerMetrics({
    labels,
    openConnections: () => countLabels(Array.from(connections, (conn) => `sockjs-${conn.protocol}`)),
  });

  function requestLabel(req: IncomingMessage): string {
    const url = req.url ?? '';
    const match = sessionRoute.exec(url);
    if (match === null) return url.startsWith(sockjsPrefix) ? 'other' : surfaceLabel(url);
    const [, session = '', route = ''] = match;
    const label = receivingRoutes[route];
    if (label !== undefined) {
      sessions.set(session, label);
      return label;
    }
    return sessions.get(session) ?? 'other';
  }

  const http = createHttpServer(
    { keepAliveTimeout: 65_000 },
    createSurface(sequences, metrics, (topic, _envelope, json) => {
      const subscribers = topics.get(topic);
      if (subscribers === undefined) return;
      for (const [conn, label] of subscribers) {
        conn.write(json);
        metrics.delivered(label, 1);
      }
    }),
  );

  const server = sockjs.createServer({
    prefix: sockjsPrefix,
    log: () => {},
    ...(flags.heartbeatMs === undefined ? {} : { heartbeat_delay: flags.heartbeatMs }),
    ...(flags.streamMaxBytes === undefined ? {} : { response_limit: flags.streamMaxBytes }),
  });
  server.on('connection', (conn: sockjs.Connection | null) => {
    // SockJS emits null for a connection that closed before it opened.
    if (conn === null) return;
    connections.add(conn);
    let topic: string | undefined;
    conn.on('data', (message: string) => {
      if (topic !== undefined) return;
      if (!topicPattern.test(message)) {
        conn.end(topicErrorJson);
        return;
      }
      topic = message;
      let subscribers = topics.get(topic);
      if (subscribers === undefined) {
        subscribers = new Map();
        topics.set(topic, subscribers);
      }
      subscribers.set(conn, `sockjs-${conn.protocol}`);
      conn.write(cursorJson(sequences.wireCursor(topic)));
    });
    conn.once('close', () => {
      connections.delete(conn);
      if (topic !== undefined) topics.get(topic)?.delete(conn);
      const session = sessionRoute.exec(conn.url)?.[1];
      if (session !== undefined) sessions.delete(session);
    });
  });
  server.installHandlers(http, { prefix: sockjsPrefix });

  // Registered after SockJS wrapped the request listeners, so they see its requests too.
  trackSockets(http);
  meterRequests(http, metrics, requestLabel);

  return {
    listen: (port, host) => listenOn(http, port, host),
    close: () =>
      new Promise((resolve) => {
        // A close frame ends each session (`c[1000,"Normal closure"]`); held requests are answered with it.
        for (const conn of connections) conn.close();
        void closeServer(http).then(resolve);
      }),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runPeerMain(
    'sockjs',
    'SockJS 0.3.24 (six transports under /sockjs) as a peer: a first message names the topic, publish over HTTP.',
    createSockjsServer,
  );
}
