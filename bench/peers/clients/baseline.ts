/**
 * The baseline's load client: raw `node:net`, one `SUB <topic>\n` line, then one JSON value
 * per line. With a sink in its handlers (the benchmark's subscribers), lines are read in
 * place on the fast path of `bench/clients/load/scan.ts`, as the lean WebSocket client does.
 */
import { StringDecoder } from 'node:string_decoder';
import { BaseClient, type Attempt, type StreamValue } from '../../clients/base.ts';
import { createLineSplitter } from '../../clients/stream-parsers.ts';
import { FrameReader } from '../../clients/load/scan.ts';
import { keep } from '../../clients/load/reads.ts';
import { openPlain } from '../../clients/load/raw-http.ts';

const newline = 0x0a;
const empty: Buffer = Buffer.alloc(0);

/** Subscribes to the baseline server and reads its newline-delimited envelopes. */
export class BaselineClient extends BaseClient {
  readonly technique = 'websocket';
  readonly peer = 'baseline';

  protected override isStream(): boolean {
    return true;
  }

  protected connect(): Attempt {
    const url = new URL(this.options.baseUrl);
    const { sink } = this.handlers;
    let onBytes = (_bytes: Buffer): void => {};
    // Reads go into the load generator's shared buffer (`reads.ts`): what is kept past one is copied.
    const socket = openPlain(url, (bytes) => onBytes(bytes));
    const done = new Promise<void>((resolve, reject) => {
      socket.on('connect', () => socket.write(`SUB ${this.topic}\n`));
      if (sink !== undefined) {
        const reader = new FrameReader(
          {
            topic: this.topic,
            scannedDelivery: (id) => this.deliverScanned(id),
            parsed: (value) => this.receive(value as StreamValue),
          },
          sink,
        );
        let pending: Buffer = empty;
        onBytes = (chunk) => {
          const buf = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
          sink.chunkStart();
          let start = 0;
          let end = buf.indexOf(newline);
          while (end !== -1) {
            reader.frame(buf, start, end);
            start = end + 1;
            end = buf.indexOf(newline, start);
          }
          sink.chunkEnd();
          pending = start === buf.length ? empty : keep(buf.subarray(start));
        };
      } else {
        const decoder = new StringDecoder('utf8');
        const feed = createLineSplitter((line) => this.receive(JSON.parse(line) as StreamValue));
        onBytes = (chunk) => {
          try {
            feed(decoder.write(chunk));
          } catch (error) {
            socket.destroy();
            reject(error as Error);
          }
        };
      }
      socket.on('error', reject);
      socket.on('close', () => resolve());
    });
    return { done, abort: () => socket.destroy() };
  }
}
