/**
 * HTTP/1.1 on a bare `node:net` socket, for the load generator's lean clients: a response
 * decoder (chunked, Content-Length or close-delimited bodies), a streaming GET on its own
 * socket, and a keep-alive connection for polls.
 */
import type { Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import type { Attempt } from '../base.ts';
import { connectReading, keep } from './reads.ts';

/**
 * Opens the TCP (or TLS) socket a request goes over, its reads to `onData`. Plain `node:net`
 * by default, reading into the load generator's shared buffer (`reads.ts`): what a reader
 * keeps past a call, it copies.
 */
export type OpenSocket = (url: URL, onData: (bytes: Buffer) => void) => Socket;

export const openPlain: OpenSocket = (url, onData) => connectReading(Number(url.port), url.hostname, onData);

const crlfcrlf = Buffer.from('\r\n\r\n');

/** The value of an ASCII hex digit, or -1. */
function hexDigit(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  return -1;
}

/**
 * Decodes an HTTP/1.1 response arriving in pieces: the head, then a chunked, Content-Length
 * or close-delimited body handed on as text. `feed` returns false once the body has ended.
 */
export class ResponseDecoder {
  status = 0;
  private head: Buffer | undefined = Buffer.alloc(0);
  private chunked = false;
  /** Body bytes still expected when the response has a Content-Length; -1 otherwise. */
  private length = -1;
  /** Bytes left in the current chunk; -1 while reading a chunk-size line. */
  private remaining = -1;
  /** A chunk's trailing CRLF still to skip. */
  private skip = 0;
  /** The chunk size read so far, its hex digits, and whether its digits have ended (`;`, CR). */
  private size = 0;
  private sizeDigits = 0;
  private sizeDone = false;
  private ended = false;
  private readonly decoder = new StringDecoder('utf8');

  /** `onBytes`, when given, takes the body's bytes as they come (a piece per chunk) instead of `onText`. */
  constructor(
    private readonly onText: (text: string) => void,
    private readonly onBytes?: (bytes: Buffer) => void,
  ) {}

  /** Feeds raw bytes; returns false once the response has ended. Throws on a malformed response. */
  feed(data: Buffer): boolean {
    if (this.ended) return false;
    let body = data;
    if (this.head !== undefined) {
      const buffered: Buffer = this.head.length === 0 ? data : Buffer.concat([this.head, data]);
      const end = buffered.indexOf(crlfcrlf);
      if (end === -1) {
        if (buffered.length > 64 * 1024) throw new Error('response head over 64 KiB');
        this.head = keep(buffered);
        return true;
      }
      this.parseHead(buffered.subarray(0, end).toString('latin1'));
      this.head = undefined;
      body = buffered.subarray(end + 4);
    }
    if (!this.chunked) {
      if (this.length === -1) {
        if (body.length > 0) this.emit(body);
        return true;
      }
      const n = Math.min(this.length, body.length);
      if (n > 0) this.emit(body.subarray(0, n));
      this.length -= n;
      if (this.length === 0) this.ended = true;
      return !this.ended;
    }
    let at = 0;
    while (at < body.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, body.length - at);
        this.skip -= n;
        at += n;
      } else if (this.remaining === -1) {
        // The chunk-size line, read as hex digits straight from the bytes (it may span reads);
        // an extension after `;` and the CR are skipped to the line's end.
        const newline = body.indexOf(10, at);
        const lineEnd = newline === -1 ? body.length : newline;
        for (; at < lineEnd; at++) {
          const byte = body[at] as number;
          if (this.sizeDone) continue;
          const digit = hexDigit(byte);
          if (digit !== -1) {
            this.size = this.size * 16 + digit;
            this.sizeDigits++;
          } else if (byte === 0x3b || byte === 0x0d || byte === 0x20 || byte === 0x09) this.sizeDone = true;
          else throw new Error('malformed chunk size');
        }
        if (newline === -1) break;
        at = newline + 1;
        const size = this.size;
        const digits = this.sizeDigits;
        this.size = 0;
        this.sizeDigits = 0;
        this.sizeDone = false;
        if (digits === 0 || digits > 12) throw new Error('malformed chunk size');
        if (size === 0) {
          this.ended = true;
          return false;
        }
        this.remaining = size;
      } else {
        const n = Math.min(this.remaining, body.length - at);
        this.emit(body.subarray(at, at + n));
        this.remaining -= n;
        at += n;
        if (this.remaining === 0) {
          this.remaining = -1;
          this.skip = 2;
        }
      }
    }
    return true;
  }

  private parseHead(head: string): void {
    const lines = head.split('\r\n');
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (status?.[1] === undefined) throw new Error(`not an HTTP response: ${lines[0]}`);
    this.status = Number(status[1]);
    this.chunked = lines.some((line) => /^transfer-encoding:\s*chunked\s*$/i.test(line));
    const length = lines.find((line) => /^content-length:/i.test(line));
    if (!this.chunked && length !== undefined) {
      this.length = Number(length.slice(length.indexOf(':') + 1).trim());
      if (!Number.isInteger(this.length) || this.length < 0) throw new Error(`bad Content-Length: ${length}`);
      if (this.length === 0) this.ended = true;
    }
  }

  /** Whether the whole response has arrived (a Content-Length or chunked body ended). */
  get complete(): boolean {
    return this.ended;
  }

  private emit(bytes: Buffer): void {
    if (this.onBytes !== undefined && this.status === 200) {
      this.onBytes(bytes);
      return;
    }
    const text = this.decoder.write(bytes);
    if (text !== '') this.onText(text);
  }
}

/** A 200 body taken as bytes (the load generator's fast path), with each socket read marked. */
export interface ByteStream {
  onBytes(bytes: Buffer): void;
  /** A socket read begins (before its bytes are handed on). */
  readStart(): void;
  /** The read's bytes have all been handed on. */
  readEnd(): void;
}

/**
 * A GET on its own socket whose 200 body is streamed as text to `onText` (or, with `bytes`, as bytes). `done` resolves
 * when the server ends the body, rejects on any other status, an error, or a close before
 * the end; `abort` closes it and resolves `done`.
 */
export function streamGet(
  url: URL,
  headers: Record<string, string>,
  onText: (text: string) => void,
  openSocket: OpenSocket = openPlain,
  bytes?: ByteStream,
): Attempt {
  let socket: Socket | undefined;
  let abort = (): void => {};
  const done = new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      socket?.destroy();
      if (error === undefined) resolve();
      else reject(error);
    };
    abort = () => finish();
    let errorBody = '';
    const decoder = new ResponseDecoder((text) => {
      if (decoder.status === 200) onText(text);
      else errorBody += text;
    }, bytes?.onBytes);
    const onData = (data: Buffer): void => {
      if (settled) return;
      try {
        bytes?.readStart();
        const more = decoder.feed(data);
        bytes?.readEnd();
        if (decoder.status !== 0 && decoder.status !== 200 && (!more || errorBody.length > 0)) {
          finish(new Error(`GET ${url.pathname}: ${decoder.status} ${errorBody}`));
        } else if (!more) finish();
      } catch (error) {
        finish(error as Error);
      }
    };
    socket = openSocket(url, onData);
    socket.once('connect', () => {
      let request = `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n`;
      for (const [name, value] of Object.entries(headers)) request += `${name}: ${value}\r\n`;
      socket?.write(`${request}\r\n`);
    });
    socket.setNoDelay(true);
    socket.on('error', (error) => finish(error));
    socket.on('close', () => finish(new Error(`GET ${url.pathname}: the server closed the response early`)));
  });
  return { done, abort: () => abort() };
}

/**
 * One keep-alive socket for one poll client, as a browser tab would mostly use: requests go
 * one at a time; a socket the server closed (its keep-alive timeout) is replaced on the next.
 */
export class KeepAliveConnection {
  private socket: Socket | undefined;
  /** The reader of the request in flight (one at a time); reads between requests are dropped. */
  private onData: ((bytes: Buffer) => void) | undefined;

  constructor(
    private readonly baseUrl: URL,
    private readonly openSocket: OpenSocket = openPlain,
  ) {}

  /** GETs `path`; `done` resolves with the body of a 200 and rejects on anything else. */
  get(path: string): { done: Promise<string>; abort(): void } {
    let abort = (): void => {};
    const done = new Promise<string>((resolve, reject) => {
      const socket = this.socket ?? this.open();
      let settled = false;
      let body = '';
      const decoder = new ResponseDecoder((text) => (body += text));
      const finish = (error?: Error): void => {
        if (settled) return;
        settled = true;
        if (this.onData === onData) this.onData = undefined;
        socket.off('close', onClose);
        socket.off('error', onClose);
        if (error === undefined) resolve(body);
        else reject(error);
      };
      const onData = (data: Buffer): void => {
        try {
          decoder.feed(data);
        } catch (error) {
          socket.destroy();
          finish(error as Error);
          return;
        }
        if (!decoder.complete) return;
        if (decoder.status === 200) finish();
        else finish(new Error(`GET ${path}: ${decoder.status} ${body}`));
      };
      const onClose = (error?: unknown): void => {
        finish(error instanceof Error ? error : new Error(`GET ${path}: the server closed the connection`));
      };
      this.onData = onData;
      socket.once('close', onClose);
      socket.once('error', onClose);
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${this.baseUrl.host}\r\n\r\n`);
      abort = () => {
        this.close();
        settled = true;
        resolve('');
      };
    });
    return { done, abort: () => abort() };
  }

  private open(): Socket {
    const socket = this.openSocket(this.baseUrl, (bytes) => this.onData?.(bytes));
    socket.setNoDelay(true);
    // Writes before the connection is up are buffered by the socket.
    socket.once('close', () => {
      if (this.socket === socket) this.socket = undefined;
    });
    socket.on('error', () => {
      // Reported to the pending request by its own listener; a socket with none just goes.
    });
    this.socket = socket;
    return socket;
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}
