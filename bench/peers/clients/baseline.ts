/** The baseline's load client: raw `node:net`, one `SUB <topic>\n` line, then one JSON value per line. */
import { connect } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { BaseClient, type Attempt, type StreamValue } from '../../clients/base.ts';
import { createLineSplitter } from '../../clients/stream-parsers.ts';

/** Subscribes to the baseline server and reads its newline-delimited envelopes. */
export class BaselineClient extends BaseClient {
  readonly technique = 'websocket';
  readonly peer = 'baseline';

  protected override isStream(): boolean {
    return true;
  }

  protected connect(): Attempt {
    const url = new URL(this.options.baseUrl);
    const socket = connect({ host: url.hostname, port: Number(url.port), noDelay: true });
    const decoder = new StringDecoder('utf8');
    const feed = createLineSplitter((line) => this.receive(JSON.parse(line) as StreamValue));
    const done = new Promise<void>((resolve, reject) => {
      socket.on('connect', () => socket.write(`SUB ${this.topic}\n`));
      socket.on('data', (chunk: Buffer) => {
        try {
          feed(decoder.write(chunk));
        } catch (error) {
          socket.destroy();
          reject(error as Error);
        }
      });
      socket.on('error', reject);
      socket.on('close', () => resolve());
    });
    return { done, abort: () => socket.destroy() };
  }
}
