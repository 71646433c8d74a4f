/**
 * The command line every peer server program shares: `--port` (0 picks a free one),
 * `--host` (default 127.0.0.1), `--heartbeat <ms>`, `--ping <ms>` (as pushlab's), `--stream-max-bytes <bytes>` (as
 * pushlab's `--iframe-max-bytes`, for the peer's streaming responses that end by size); prints `<name> listening on <url>` as
 * its first line; closes gracefully on SIGTERM or SIGINT (exit 0), or exits 1 after 5 s.
 */
import { Command } from 'commander';
import { integerOption } from '../../cli-options.ts';
import { collectGarbageOnSignal } from '../../../server/gc-on-signal.ts';

/** What a peer server program runs. */
export interface PeerServer {
  /** Listens; resolves with `http://host:port`. */
  listen(port: number, host: string): Promise<string>;
  /** Closes every connection and the listener. */
  close(): Promise<void>;
}

/** pushlab's `--heartbeat` and `--ping`, mapped to what each peer has; unset keeps the library's default. */
export interface PeerServerFlags {
  /** Stream heartbeat: SockJS's `heartbeat_delay` (every transport); Socket.IO's `pingInterval` unless `pingMs` is set. */
  heartbeatMs?: number;
  /** WebSocket ping: Socket.IO's `pingInterval`. */
  pingMs?: number;
  /** Where a streaming response ends by size: SockJS's `response_limit`. */
  streamMaxBytes?: number;
}

/** Parses the command line, starts the server made by `create`, and handles signals. */
export async function runPeerMain(name: string, description: string, create: (flags: PeerServerFlags) => PeerServer): Promise<void> {
  const flags = new Command(`${name}-server`)
    .description(description)
    .option('-p, --port <port>', 'port to listen on; 0 picks a free one', integerOption(0, 65535), 0)
    .option('-H, --host <host>', 'address to listen on', '127.0.0.1')
    .option('--heartbeat <ms>', 'stream heartbeat, where the peer has one (default the library default)', integerOption(1))
    .option('--ping <ms>', 'WebSocket ping, where the peer has one (default the library default)', integerOption(1))
    .option(
      '--stream-max-bytes <bytes>',
      'bytes after which a streaming response ends, where the peer has a limit (default the library default)',
      integerOption(1),
    )
    .showHelpAfterError()
    .parse()
    .opts<{ port: number; host: string; heartbeat?: number; ping?: number; streamMaxBytes?: number }>();

  const server = create({
    ...(flags.heartbeat === undefined ? {} : { heartbeatMs: flags.heartbeat }),
    ...(flags.ping === undefined ? {} : { pingMs: flags.ping }),
    ...(flags.streamMaxBytes === undefined ? {} : { streamMaxBytes: flags.streamMaxBytes }),
  });
  try {
    const url = await server.listen(flags.port, flags.host);
    console.log(`${name} listening on ${url}`);
  } catch (error) {
    console.error(`${name}: cannot listen: ${String(error)}`);
    process.exit(1);
  }

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`${name}: ${signal}, shutting down`);
    setTimeout(() => process.exit(1), 5000).unref();
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`${name}: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  collectGarbageOnSignal();
}

/** Listens on `port` and `host`; resolves with the URL it answers on (for `PeerServer.listen`). */
export function listenOn(server: import('node:net').Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(urlOf(server.address(), host)));
  });
}

/** The URL a listening server answers on. */
export function urlOf(address: ReturnType<import('node:net').Server['address']>, host: string): string {
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Closes `server`: stops listening, lets open sockets finish what they were told to end,
 * and destroys those still open after `graceMs` (default 1000), upgraded ones included
 * (which `closeAllConnections` does not reach). Resolves once every socket has closed.
 */
export function closeServer(server: import('node:net').Server, graceMs = 1000): Promise<void> {
  const sockets = openSockets.get(server) ?? new Set();
  return new Promise((resolve) => {
    server.close(() => resolve());
    if ('closeIdleConnections' in server && typeof server.closeIdleConnections === 'function') server.closeIdleConnections();
    setTimeout(() => {
      for (const socket of sockets) socket.destroy();
    }, graceMs).unref();
  });
}

const openSockets = new WeakMap<import('node:net').Server, Set<import('node:net').Socket>>();

/** Keeps the set of `server`'s open sockets, for `closeServer`. */
export function trackSockets(server: import('node:net').Server): void {
  const sockets = new Set<import('node:net').Socket>();
  openSockets.set(server, sockets);
  server.on('connection', (socket: import('node:net').Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
}
