/**
 * Plain sockets of the load generator's fast path, read into one buffer that every such
 * socket shares (`net.connect`'s documented `onread` option) instead of through 'data'
 * events: no Buffer and no stream bookkeeping per read. Reading 1,000 sockets here cost
 * 10 µs of user CPU per read through 'data' and 4.6 µs with `onread` (plus 9.5 µs of
 * kernel time either way), and at saturation there is a read per subscriber per batch.
 *
 * The bytes handed to `onBytes` are valid only during the call (the next read overwrites
 * them): whatever a parser keeps past it, the start of an incomplete frame, goes through
 * `keep`, which copies exactly those.
 */
import { connect, type Socket } from 'node:net';

/** The read buffer: reads are handled one at a time, each synchronously, so one is enough. */
const shared = Buffer.alloc(64 * 1024);

/** Connects to `port` on `host`; every read's bytes go to `onBytes` (no 'data' events). */
export function connectReading(port: number, host: string, onBytes: (bytes: Buffer) => void): Socket {
  return connect({
    port,
    host,
    noDelay: true,
    onread: {
      buffer: shared,
      callback: (length, buffer) => {
        onBytes((buffer as Buffer).subarray(0, length));
        return true;
      },
    },
  });
}

/** `bytes` as a parser may keep them past the read: a copy when they are the shared read buffer's, else themselves. */
export function keep(bytes: Buffer): Buffer {
  return bytes.buffer === shared.buffer ? Buffer.from(bytes) : bytes;
}
