/** One HTTP request for the peer clients: any method, an optional body, the response as a stream of text or whole. */
import { request, type Agent, type IncomingMessage } from 'node:http';

/** A request in flight. */
export interface HttpCall {
  /** Resolves with the body ('' when streamed through `onChunk`) on a 2xx; rejects otherwise. */
  done: Promise<string>;
  /** Drops the request; `done` resolves with ''. */
  abort(): void;
}

/** How to send a request. */
export interface HttpOptions {
  /** Default GET. */
  method?: string;
  /** Default a fresh connection (`false`). */
  agent?: Agent | false;
  /** Default none. */
  headers?: Record<string, string>;
  /** Default none. */
  body?: string;
  /** Hands each chunk of a 2xx body over as it arrives; an error it throws rejects `done` and drops the connection. */
  onChunk?: (chunk: string) => void;
}

/** Sends one request to `url`. */
export function httpRequest(url: string, options: HttpOptions = {}): HttpCall {
  let abort = (): void => {};
  const done = new Promise<string>((resolve, reject) => {
    const headers = { ...options.headers };
    if (options.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(options.body));
    const req = request(url, { method: options.method ?? 'GET', agent: options.agent ?? false, headers }, (response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      const ok = status >= 200 && status < 300;
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (!ok || options.onChunk === undefined) {
          text += chunk;
          return;
        }
        try {
          options.onChunk(chunk);
        } catch (error) {
          req.destroy();
          reject(error as Error);
        }
      });
      response.on('end', () => (ok ? resolve(text) : reject(new Error(`${options.method ?? 'GET'} ${url}: ${status} ${text}`))));
      response.on('aborted', () => reject(new Error(`${options.method ?? 'GET'} ${url}: the server closed the response early`)));
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
    abort = () => {
      req.destroy();
      resolve('');
    };
  });
  return { done, abort: () => abort() };
}
