/**
 * Minimal clients of the six techniques over one protocol (`h1`, `h1-tls`, `h2`), for
 * measuring what a protocol costs per message: HTTP/1.1 on a kept-alive agent (plain or TLS),
 * HTTP/2 on one session whose streams are multiplexed, WebSocket as an HTTP/1.1 upgrade
 * (`ws` has no WebSocket over HTTP/2). Self-signed certificates are accepted.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect, type ClientHttp2Session } from 'node:http2';
import WebSocket from 'ws';
import type { WireProtocol } from '../../server/metrics.ts';

/** A response as it streams: text chunks, then its end. */
export interface WireResponse {
  onText(listener: (text: string) => void): void;
  readonly ended: Promise<number>;
  close(): void;
}

/** One simulated browser's connections to the server over one protocol. */
export interface WireSession {
  readonly protocol: WireProtocol;
  request(path: string, init?: { method?: string; headers?: Record<string, string>; body?: string }): WireResponse;
  /** GETs `path` and resolves with the status and whole body. */
  text(
    path: string,
    init?: { method?: string; headers?: Record<string, string>; body?: string },
  ): Promise<{ status: number; body: string }>;
  webSocket(path: string): WebSocket;
  close(): void;
}

/** Opens a session of `protocol` to `baseUrl` (`http://` for h1, `https://` otherwise). */
export function openWireSession(protocol: WireProtocol, baseUrl: string): WireSession {
  const wsUrl = baseUrl.replace(/^http/, 'ws');
  let session: ClientHttp2Session | undefined;
  let agent: HttpAgent | HttpsAgent | undefined;
  if (protocol === 'h2') {
    session = connect(baseUrl, { rejectUnauthorized: false });
    session.on('error', () => undefined);
  } else {
    agent =
      protocol === 'h1'
        ? new HttpAgent({ keepAlive: true })
        : new HttpsAgent({ keepAlive: true, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
  }

  function request(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): WireResponse {
    const listeners: ((text: string) => void)[] = [];
    const emit = (chunk: string): void => {
      for (const listener of listeners) listener(chunk);
    };
    if (session !== undefined) {
      const stream = session.request({ ':path': path, ':method': init.method ?? 'GET', ...init.headers });
      stream.setEncoding('utf8');
      stream.end(init.body);
      let status = 0;
      stream.on('response', (headers) => (status = Number(headers[':status'])));
      stream.on('data', emit);
      const ended = new Promise<number>((resolve) => {
        stream.once('close', () => resolve(status));
      });
      return { onText: (listener) => listeners.push(listener), ended, close: () => stream.close() };
    }
    const make = protocol === 'h1' ? httpRequest : httpsRequest;
    const req = make(new URL(path, baseUrl), { agent, method: init.method ?? 'GET', headers: init.headers });
    req.end(init.body);
    const ended = new Promise<number>((resolve) => {
      req.once('error', () => resolve(0));
      req.once('response', (res: IncomingMessage) => {
        res.setEncoding('utf8');
        res.on('data', emit);
        res.once('close', () => resolve(res.statusCode ?? 0));
      });
    });
    return { onText: (listener) => listeners.push(listener), ended, close: () => req.destroy() };
  }

  return {
    protocol,
    request,
    async text(path, init) {
      const response = request(path, init);
      let body = '';
      response.onText((chunk) => (body += chunk));
      const status = await response.ended;
      return { status, body };
    },
    webSocket: (path) => new WebSocket(`${wsUrl}${path}`, { rejectUnauthorized: false }),
    close() {
      session?.close();
      agent?.destroy();
    },
  };
}
