/**
 * Clients for a pushlab server under `--tls`: HTTP/2 (node's `http2` client, one session,
 * streams multiplexed on it) and HTTP/1.1 over TLS (`node:https`, one kept-alive agent),
 * both accepting the self-signed certificate.
 */
import { connect, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import type { IncomingMessage } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { createPushServer, type CreateOptions, type PushServer } from '../../server/app.ts';
import { createSelfSignedCredentials, type TlsCredentials } from '../../server/tls.ts';

export type TlsProtocol = 'h2' | 'h1-tls';

let credentials: Promise<TlsCredentials> | undefined;

/** One self-signed certificate per test file. */
export function testCredentials(): Promise<TlsCredentials> {
  credentials ??= createSelfSignedCredentials();
  return credentials;
}

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  /** `2.0` or `1.1`, as the response came. */
  readonly httpVersion: string;
}

/** A response still streaming: its chunks as they came. */
export interface OpenStream {
  readonly status: Promise<number>;
  readonly headers: Promise<Record<string, string | string[] | undefined>>;
  readonly chunks: string[];
  text(): string;
  /** Resolves when the server ended the response cleanly; rejects if it was reset. */
  readonly ended: Promise<void>;
  /** Closes it from the client side (RST_STREAM on h2, socket destroyed on h1). */
  close(): void;
}

export interface RequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** A client of one protocol: h2 multiplexes on one session; h1-tls pools kept-alive sockets. */
export interface WireClient {
  readonly protocol: TlsProtocol;
  fetch(path: string, init?: RequestInit): Promise<Answer>;
  open(path: string, init?: RequestInit): OpenStream;
  publish(data: unknown, topic?: string): Promise<number>;
  close(): void;
}

/** One request as either protocol carries it: its head, its text as it streams, and how it ended. */
interface Exchange {
  readonly head: Promise<Omit<Answer, 'body'>>;
  onText(listener: (chunk: string) => void): void;
  /** Resolves when the server ended the response cleanly; rejects if it was reset or aborted. */
  readonly ended: Promise<void>;
  close(): void;
}

/** `fetch`, `open` and `publish`, written once over a protocol's way to start an exchange. */
function clientOver(protocol: TlsProtocol, exchange: (path: string, init?: RequestInit) => Exchange, close: () => void): WireClient {
  const client: WireClient = {
    protocol,
    async fetch(path, init) {
      const started = exchange(path, init);
      let body = '';
      started.onText((chunk) => (body += chunk));
      const [head] = await Promise.all([started.head, started.ended]);
      return { ...head, body };
    },
    open(path, init) {
      const started = exchange(path, init);
      const chunks: string[] = [];
      started.onText((chunk) => chunks.push(chunk));
      started.ended.catch(() => undefined);
      started.head.catch(() => undefined);
      return {
        status: started.head.then((head) => head.status),
        headers: started.head.then((head) => head.headers),
        chunks,
        text: () => chunks.join(''),
        ended: started.ended,
        close: () => started.close(),
      };
    },
    async publish(data, topic) {
      const answer = await client.fetch('/api/publish', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(topic === undefined ? { data } : { topic, data }),
      });
      if (answer.status !== 202) throw new Error(`publish: ${answer.status} ${answer.body}`);
      return (JSON.parse(answer.body) as { id: number }).id;
    },
    close,
  };
  return client;
}

/** HTTP/2: every exchange a stream of one session; closing one sends RST_STREAM. */
function h2Client(url: string): WireClient & { readonly session: ClientHttp2Session } {
  const session = connect(url, { rejectUnauthorized: false });
  session.on('error', () => undefined);
  const exchange = (path: string, init: RequestInit = {}): Exchange => {
    const stream = session.request({ ':path': path, ':method': init.method ?? 'GET', ...init.headers });
    stream.setEncoding('utf8');
    stream.end(init.body);
    const head = new Promise<Omit<Answer, 'body'>>((resolve, reject) => {
      stream.once('response', (headers: IncomingHttpHeaders) =>
        resolve({ status: Number(headers[':status']), headers, httpVersion: '2.0' }),
      );
      stream.once('error', reject);
    });
    const ended = new Promise<void>((resolve, reject) => {
      stream.once('end', resolve);
      stream.once('error', reject);
      stream.once('close', () => (stream.rstCode !== 0 ? reject(new Error(`stream reset with code ${stream.rstCode}`)) : resolve()));
    });
    return { head, onText: (listener) => stream.on('data', listener), ended, close: () => stream.close() };
  };
  return { ...clientOver('h2', exchange, () => session.close()), session };
}

/** HTTP/1.1 over TLS: kept-alive sockets of one agent; closing an exchange destroys its socket. */
function h1TlsClient(url: string): WireClient {
  const agent = new Agent({ rejectUnauthorized: false, keepAlive: true, ALPNProtocols: ['http/1.1'] });
  const exchange = (path: string, init: RequestInit = {}): Exchange => {
    const req = httpsRequest(new URL(path, url), { agent, method: init.method ?? 'GET', headers: init.headers });
    req.end(init.body);
    const listeners: ((chunk: string) => void)[] = [];
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      req.once('response', resolve);
      req.once('error', reject);
    });
    const ended = response.then(
      (res) =>
        new Promise<void>((resolve, reject) => {
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            for (const listener of listeners) listener(chunk);
          });
          res.once('end', resolve);
          res.once('aborted', () => reject(new Error('response aborted')));
          res.once('error', reject);
        }),
    );
    return {
      head: response.then((res) => ({ status: res.statusCode ?? 0, headers: res.headers, httpVersion: res.httpVersion })),
      onText: (listener) => listeners.push(listener),
      ended,
      close: () => req.destroy(),
    };
  };
  return clientOver('h1-tls', exchange, () => agent.destroy());
}

/** A client of `protocol` for `url`. */
export function wireClient(protocol: TlsProtocol, url: string): WireClient {
  return protocol === 'h2' ? h2Client(url) : h1TlsClient(url);
}

/** An HTTP/2 client whose session the test can watch (GOAWAY, close). */
export function http2Client(url: string): ReturnType<typeof h2Client> {
  return h2Client(url);
}

export interface TlsTestServer {
  readonly push: PushServer;
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  /** One sample of /metrics, such as `pushlab_tls_bytes_written_total{protocol="h2"}`. */
  metric(key: string): Promise<number>;
  close(): Promise<void>;
}

/** Starts a real pushlab server under TLS on an ephemeral port (publish rate limit and the /metrics render cache off unless set). */
export async function startTlsServer(options: CreateOptions = {}): Promise<TlsTestServer> {
  const push = createPushServer({ publishRatePerSecond: 0, metricsCacheMs: 0, tls: await testCredentials(), ...options });
  const url = await push.listen(0);
  return {
    push,
    url,
    async metric(key) {
      // Its own short-lived h1-tls client, so scraping never charges an h2 test session.
      const scraper = h1TlsClient(url);
      try {
        const text = (await scraper.fetch('/metrics')).body;
        const line = text.split('\n').find((l) => l.startsWith(`${key} `));
        if (line === undefined) throw new Error(`no metric ${key}`);
        return Number(line.slice(key.length + 1));
      } finally {
        scraper.close();
      }
    },
    close: () => push.close(),
  };
}
