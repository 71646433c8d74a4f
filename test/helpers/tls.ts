/**
 * Clients for a pushlab server under `--tls`: HTTP/2 (node's `http2` client, one session,
 * streams multiplexed on it) and HTTP/1.1 over TLS (`node:https`, one kept-alive agent),
 * both accepting the self-signed certificate.
 */
import { connect, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
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

function h2Client(url: string): WireClient & { readonly session: ClientHttp2Session } {
  const session = connect(url, { rejectUnauthorized: false });
  session.on('error', () => undefined);
  function start(path: string, init: RequestInit = {}) {
    const stream = session.request({ ':path': path, ':method': init.method ?? 'GET', ...init.headers });
    stream.setEncoding('utf8');
    stream.end(init.body);
    return stream;
  }
  const client = {
    protocol: 'h2' as const,
    session,
    fetch(path: string, init?: RequestInit): Promise<Answer> {
      return new Promise((resolve, reject) => {
        const stream = start(path, init);
        let headers: IncomingHttpHeaders = {};
        let body = '';
        stream.on('response', (h) => (headers = h));
        stream.on('data', (chunk: string) => (body += chunk));
        stream.on('end', () => resolve({ status: Number(headers[':status']), headers, body, httpVersion: '2.0' }));
        stream.on('error', reject);
      });
    },
    open(path: string, init?: RequestInit): OpenStream {
      const stream = start(path, init);
      const chunks: string[] = [];
      const response = new Promise<IncomingHttpHeaders>((resolve, reject) => {
        stream.once('response', resolve);
        stream.once('error', reject);
      });
      stream.on('data', (chunk: string) => chunks.push(chunk));
      const ended = new Promise<void>((resolve, reject) => {
        stream.once('end', resolve);
        stream.once('error', reject);
        stream.once('close', () => (stream.rstCode !== 0 ? reject(new Error(`stream reset with code ${stream.rstCode}`)) : resolve()));
      });
      ended.catch(() => undefined);
      response.catch(() => undefined);
      return {
        status: response.then((h) => Number(h[':status'])),
        headers: response,
        chunks,
        text: () => chunks.join(''),
        ended,
        close: () => stream.close(),
      };
    },
    async publish(data: unknown, topic?: string): Promise<number> {
      const answer = await client.fetch('/api/publish', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(topic === undefined ? { data } : { topic, data }),
      });
      if (answer.status !== 202) throw new Error(`publish: ${answer.status} ${answer.body}`);
      return (JSON.parse(answer.body) as { id: number }).id;
    },
    close: () => session.close(),
  };
  return client;
}

function h1TlsClient(url: string): WireClient & { readonly agent: Agent } {
  const agent = new Agent({ rejectUnauthorized: false, keepAlive: true, ALPNProtocols: ['http/1.1'] });
  function start(path: string, init: RequestInit = {}) {
    const req = httpsRequest(new URL(path, url), { agent, method: init.method ?? 'GET', headers: init.headers });
    req.end(init.body);
    return req;
  }
  const client = {
    protocol: 'h1-tls' as const,
    agent,
    fetch(path: string, init?: RequestInit): Promise<Answer> {
      return new Promise((resolve, reject) => {
        const req = start(path, init);
        req.on('error', reject);
        req.on('response', (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, httpVersion: res.httpVersion }));
        });
      });
    },
    open(path: string, init?: RequestInit): OpenStream {
      const req = start(path, init);
      const chunks: string[] = [];
      const response = new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
        req.once('response', resolve);
        req.once('error', reject);
      });
      const ended = response.then(
        (res) =>
          new Promise<void>((resolve, reject) => {
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => chunks.push(chunk));
            res.once('end', resolve);
            res.once('aborted', () => reject(new Error('response aborted')));
            res.once('error', reject);
          }),
      );
      ended.catch(() => undefined);
      response.catch(() => undefined);
      return {
        status: response.then((res) => res.statusCode ?? 0),
        headers: response.then((res) => res.headers),
        chunks,
        text: () => chunks.join(''),
        ended,
        close: () => req.destroy(),
      };
    },
    async publish(data: unknown, topic?: string): Promise<number> {
      const answer = await client.fetch('/api/publish', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(topic === undefined ? { data } : { topic, data }),
      });
      if (answer.status !== 202) throw new Error(`publish: ${answer.status} ${answer.body}`);
      return (JSON.parse(answer.body) as { id: number }).id;
    },
    close: () => agent.destroy(),
  };
  return client;
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
