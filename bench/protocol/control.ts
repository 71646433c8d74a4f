/**
 * The harness's own requests (publishing, `/metrics` reads) to a server under `--tls`: over
 * HTTP/1.1 on TLS (a kept-alive agent) or over one HTTP/2 session, self-signed certificates
 * accepted. A TLS row sends them over the *other* TLS protocol than its subscribers' sockets
 * (`controlProtocolOf`), so `pushlab_tls_bytes_*_total{protocol}` of the subscribers' protocol
 * counts their bytes alone.
 */
import { connect, type ClientHttp2Session } from 'node:http2';
import { Agent, request } from 'node:https';
import type { LoadProtocol } from '../clients/load/index.ts';
import type { TechniqueId } from '../clients/wire/index.ts';

/** A TLS protocol the harness can speak to the server. */
export type ControlProtocol = 'h1-tls' | 'h2';

/** An answer: status and body text. */
export interface ControlAnswer {
  status: number;
  body: string;
}

/** Requests to one server over one protocol. */
export interface ControlClient {
  readonly protocol: ControlProtocol;
  /** `method path` with an optional body; resolves with the answer, rejects on a transport error. */
  send(method: string, path: string, headers?: Record<string, string>, body?: string): Promise<ControlAnswer>;
  close(): void;
}

/**
 * The protocol whose TLS bytes a row's subscribers pay: theirs, except WebSocket, which is an
 * HTTP/1.1 upgrade over TLS under an HTTP/2 page too. Undefined for plaintext HTTP/1.1.
 */
export function socketProtocolOf(protocol: LoadProtocol, technique: TechniqueId): ControlProtocol | undefined {
  if (protocol === 'h1') return undefined;
  return technique === 'websocket' ? 'h1-tls' : protocol;
}

/** The protocol the harness's own requests use on a TLS row: the other one than the subscribers' sockets. */
export function controlProtocolOf(protocol: LoadProtocol, technique: TechniqueId): ControlProtocol | undefined {
  const socket = socketProtocolOf(protocol, technique);
  if (socket === undefined) return undefined;
  return socket === 'h2' ? 'h1-tls' : 'h2';
}

/** Opens a control client of `protocol` to `baseUrl` (`https://…`). */
export function openControlClient(protocol: ControlProtocol, baseUrl: string): ControlClient {
  if (protocol === 'h1-tls') {
    const agent = new Agent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    return {
      protocol,
      send: (method, path, headers = {}, body) =>
        new Promise((resolve, reject) => {
          const req = request(new URL(path, baseUrl), { method, agent, headers }, (response) => {
            let text = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => (text += chunk));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
            response.on('error', reject);
          });
          req.on('error', reject);
          req.end(body);
        }),
      close: () => agent.destroy(),
    };
  }
  let session: ClientHttp2Session | undefined;
  const current = (): ClientHttp2Session => {
    if (session !== undefined && !session.closed && !session.destroyed) return session;
    const opened = connect(baseUrl, { rejectUnauthorized: false });
    opened.on('error', () => {
      // Reported to the open requests by their own streams; the next request opens a new session.
    });
    session = opened;
    return opened;
  };
  return {
    protocol,
    send: (method, path, headers = {}, body) =>
      new Promise((resolve, reject) => {
        let stream: ReturnType<ClientHttp2Session['request']>;
        try {
          stream = current().request({ ':method': method, ':path': path, ...headers });
        } catch (error) {
          reject(error as Error);
          return;
        }
        let status = 0;
        let text = '';
        stream.setEncoding('utf8');
        stream.once('response', (response) => (status = Number(response[':status'])));
        stream.on('data', (chunk: string) => (text += chunk));
        stream.once('end', () => resolve({ status, body: text }));
        stream.once('error', reject);
        stream.once('close', () => reject(new Error(`${method} ${path}: the stream closed before its end`)));
        stream.end(body);
      }),
    close: () => session?.close(),
  };
}
