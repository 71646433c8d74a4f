/**
 * One simulated browser's connections to one host, which its tabs (the load clients of
 * `browser-clients.ts`) share, as a browser shares them:
 *
 * - HTTP/1.1, plain or over TLS: a pool of at most `connectionsPerHost` connections (6, as
 *   Chromium, Firefox and Safari keep). A request waits for a free one; a poll's kept-alive
 *   socket goes back to the pool after its answer; a stream holds its connection until it ends.
 * - HTTP/2: one session (made again when it has closed), every request a stream on it.
 *
 * WebSocket is apart from both (browsers count WebSockets apart from the 6-per-host pool, and
 * `ws` has no WebSocket over HTTP/2): its own socket, TLS (`wss:`) unless the browser is plain.
 * Self-signed certificates are accepted (the server's `--tls` makes one at start).
 */
import { connect as connectH2, constants, type ClientHttp2Session } from 'node:http2';
import { isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { Attempt } from '../base.ts';
import { KeepAliveConnection, openPlain, streamGet, type OpenSocket } from './raw-http.ts';

/** The protocols a simulated browser speaks: plaintext HTTP/1.1, HTTP/1.1 over TLS, HTTP/2 (over TLS). */
export const loadProtocols = ['h1', 'h1-tls', 'h2'] as const;

/** The protocol a simulated browser speaks. */
export type LoadProtocol = (typeof loadProtocols)[number];

/** Connections a browser keeps per host over HTTP/1.1 (Chromium, Firefox and Safari all use 6). */
export const browserConnectionsPerHost = 6;

/** A poll's answer: `done` resolves with the body of a 200 and rejects on anything else. */
export interface Fetch {
  done: Promise<string>;
  abort(): void;
}

/** What the tabs of one simulated browser share. */
export interface LoadBrowser {
  readonly protocol: LoadProtocol;
  /** A GET whose 200 body streams as text to `onText` (SSE, the iframe). */
  stream(url: URL, headers: Record<string, string>, onText: (text: string) => void): Attempt;
  /** A GET of `path`, its whole body (a poll). */
  get(path: string): Fetch;
  /** The socket of a WebSocket upgrade to `url`, its reads to `onData`: TLS unless the browser speaks plain HTTP/1.1. */
  webSocketSocket(url: URL, onData: (bytes: Buffer) => void): Socket;
  /** Connections opened so far: TCP (or TLS) sockets, an HTTP/2 session counting as one. */
  readonly opened: number;
  close(): void;
}

/** Options of `openLoadBrowser`. */
export interface BrowserOptions {
  /** HTTP/1.1 connections per host. Default `browserConnectionsPerHost` (6). */
  connectionsPerHost?: number;
}

/** A TLS socket offering only `http/1.1` by ALPN, accepting a self-signed certificate. */
const openTls: OpenSocket = (url, onData) =>
  connectTls({
    host: url.hostname,
    port: Number(url.port),
    ALPNProtocols: ['http/1.1'],
    rejectUnauthorized: false,
    // SNI takes a host name only (an IP there is refused by Node).
    ...(isIP(url.hostname) === 0 ? { servername: url.hostname } : {}),
  }).on('data', onData);

/** Opens a simulated browser speaking `protocol` to `baseUrl` (`https://` for h1-tls and h2). */
export function openLoadBrowser(protocol: LoadProtocol, baseUrl: string, options: BrowserOptions = {}): LoadBrowser {
  if (protocol === 'h2') return new H2Browser(baseUrl);
  return new H1Browser(protocol, new URL(baseUrl), options.connectionsPerHost ?? browserConnectionsPerHost);
}

/** A place in the connection pool: granted at once or when one frees; `cancel` gives it up (granted or waiting). */
interface Slot {
  readonly ready: Promise<void>;
  /** Gives the connection back (or stops waiting for one). Idempotent. */
  release(): void;
}

class H1Browser implements LoadBrowser {
  private busy = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly idle: KeepAliveConnection[] = [];
  private readonly open: OpenSocket;
  private closed = false;
  opened = 0;

  constructor(
    readonly protocol: 'h1' | 'h1-tls',
    private readonly baseUrl: URL,
    private readonly connectionsPerHost: number,
  ) {
    const open = protocol === 'h1-tls' ? openTls : openPlain;
    this.open = (url, onData) => {
      this.opened++;
      return open(url, onData);
    };
  }

  private take(): Slot {
    let granted = false;
    let done = false;
    let grant = (): void => {};
    const ready = new Promise<void>((resolve) => {
      grant = () => {
        granted = true;
        this.busy++;
        resolve();
      };
    });
    if (this.busy < this.connectionsPerHost) grant();
    else this.waiting.push(grant);
    return {
      ready,
      release: () => {
        if (done) return;
        done = true;
        if (!granted) {
          const at = this.waiting.indexOf(grant);
          if (at !== -1) this.waiting.splice(at, 1);
          grant(); // settles `ready`; the caller sees it gave up and makes no request
          this.busy--;
          return;
        }
        this.busy--;
        const next = this.waiting.shift();
        if (next !== undefined && !this.closed) next();
      },
    };
  }

  stream(url: URL, headers: Record<string, string>, onText: (text: string) => void): Attempt {
    const slot = this.take();
    let inner: Attempt | undefined;
    let aborted = false;
    const done = slot.ready
      .then(() => {
        if (aborted) return undefined;
        inner = streamGet(url, headers, onText, this.open);
        return inner.done;
      })
      .finally(() => slot.release());
    return {
      done,
      abort: () => {
        aborted = true;
        inner?.abort();
        slot.release();
      },
    };
  }

  get(path: string): Fetch {
    const slot = this.take();
    let connection: KeepAliveConnection | undefined;
    let inner: Fetch | undefined;
    let aborted = false;
    const done = slot.ready
      .then(async () => {
        if (aborted) return '';
        connection = this.idle.pop() ?? new KeepAliveConnection(this.baseUrl, this.open);
        inner = connection.get(path);
        const body = await inner.done;
        // Kept alive for the next request, as a browser keeps it, within the pool's size.
        if (!aborted && !this.closed && this.idle.length + this.busy <= this.connectionsPerHost) this.idle.push(connection);
        else connection.close();
        return body;
      })
      .catch((error: unknown) => {
        connection?.close();
        throw error;
      })
      .finally(() => slot.release());
    return {
      done,
      abort: () => {
        aborted = true;
        inner?.abort();
        slot.release();
      },
    };
  }

  webSocketSocket(url: URL, onData: (bytes: Buffer) => void): Socket {
    return this.open(url, onData);
  }

  close(): void {
    this.closed = true;
    for (const connection of this.idle.splice(0)) connection.close();
  }
}

class H2Browser implements LoadBrowser {
  readonly protocol = 'h2' as const;
  private session: ClientHttp2Session | undefined;
  private closed = false;
  opened = 0;

  constructor(private readonly baseUrl: string) {}

  /** The browser's one session; a new one once the last has closed (a server restart, a GOAWAY). */
  private current(): ClientHttp2Session {
    const live = this.session;
    if (live !== undefined && !live.closed && !live.destroyed) return live;
    const session = connectH2(this.baseUrl, { rejectUnauthorized: false });
    this.opened++;
    session.on('error', () => {
      // Reported to each open stream by its own listener; the next request opens a new session.
    });
    session.once('close', () => {
      if (this.session === session) this.session = undefined;
    });
    this.session = session;
    return session;
  }

  /** One stream: `onText` gets a 200's body as it comes; `done` resolves at its end, rejects on another status or a reset. */
  private request(path: string, headers: Record<string, string>, onText: (text: string) => void): Attempt {
    let abort = (): void => {};
    const done = new Promise<void>((resolve, reject) => {
      if (this.closed) {
        resolve();
        return;
      }
      let settled = false;
      const lowered: Record<string, string> = {};
      for (const [name, value] of Object.entries(headers)) lowered[name.toLowerCase()] = value;
      let stream: ReturnType<ClientHttp2Session['request']>;
      try {
        stream = this.current().request({ ':path': path, ...lowered }, { endStream: true });
      } catch (error) {
        reject(error as Error);
        return;
      }
      const finish = (error?: Error): void => {
        if (settled) return;
        settled = true;
        if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
        if (error === undefined) resolve();
        else reject(error);
      };
      abort = () => finish();
      let status = 0;
      let errorBody = '';
      let ended = false;
      stream.setEncoding('utf8');
      stream.once('response', (response) => {
        status = Number(response[':status']);
      });
      stream.on('data', (chunk: string) => {
        if (settled) return;
        if (status !== 200) {
          errorBody += chunk;
          return;
        }
        try {
          onText(chunk);
        } catch (error) {
          finish(error as Error);
        }
      });
      stream.once('end', () => {
        ended = true;
        finish(status === 200 ? undefined : new Error(`GET ${path.split('?')[0]}: ${status} ${errorBody}`));
      });
      stream.on('error', (error) => finish(error));
      stream.once('close', () => {
        if (!ended) finish(new Error(`GET ${path.split('?')[0]}: the stream closed before its end (code ${stream.rstCode})`));
      });
    });
    return { done, abort: () => abort() };
  }

  stream(url: URL, headers: Record<string, string>, onText: (text: string) => void): Attempt {
    return this.request(`${url.pathname}${url.search}`, headers, onText);
  }

  get(path: string): Fetch {
    let body = '';
    const attempt = this.request(path, {}, (text) => (body += text));
    return { done: attempt.done.then(() => body), abort: attempt.abort };
  }

  webSocketSocket(url: URL, onData: (bytes: Buffer) => void): Socket {
    this.opened++;
    return openTls(url, onData);
  }

  close(): void {
    this.closed = true;
    this.session?.close();
    this.session = undefined;
  }
}
