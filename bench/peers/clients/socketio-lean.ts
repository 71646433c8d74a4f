/**
 * A lean Socket.IO websocket client for the load generator: the Engine.IO 4 and Socket.IO 5
 * wire protocol spoken directly on `ws`, without `socket.io-client`'s Manager, Engine and
 * per-packet decoder for each of a thousand clients. Measured here on a shared two-core
 * machine, it was not clearly cheaper per delivery (13–17 µs either way at 1,000
 * subscribers, where the per-read cost of `ws` dominates); it is an option, not the default.
 *
 * The exchange: the server opens with `0{"sid",…,"pingInterval"}`; the client joins the
 * main namespace with `40`, answered `40{"sid"}`; events arrive as `42["message",value]`;
 * the server pings with `2`, the client answers `3`; `41` or `1` is a close.
 */
import { WebSocket } from 'ws';
import { BaseClient, type Attempt, type StreamValue } from '../../clients/base.ts';
import { socketioPath } from '../mounts.ts';

/** Subscribes to the Socket.IO peer with its handshake query `topic`, over a bare WebSocket. */
export class LeanSocketioClient extends BaseClient {
  readonly technique = 'websocket';
  readonly peer = 'socketio-websocket';

  protected override isStream(): boolean {
    return true;
  }

  protected connect(): Attempt {
    const query = new URLSearchParams({ EIO: '4', transport: 'websocket', topic: this.topic });
    const socket = new WebSocket(`${this.options.baseUrl.replace(/^http/, 'ws')}${socketioPath}?${query}`, { perMessageDeflate: false });
    const done = new Promise<void>((resolve, reject) => {
      socket.on('message', (data) => {
        const text = data.toString();
        try {
          switch (text[0]) {
            case '0':
              socket.send('40');
              break;
            case '2':
              socket.send('3');
              break;
            case '1':
              socket.close(1000);
              break;
            case '4':
              if (text[1] === '2') {
                const [event, value] = JSON.parse(text.slice(2)) as [string, StreamValue];
                if (event === 'message') this.receive(value);
              } else if (text[1] === '1' || text[1] === '4') {
                // 41: disconnected by the server; 44: the namespace refused the connection.
                throw new Error(`socket.io packet ${text.slice(0, 80)}`);
              }
              break;
            default:
              break;
          }
        } catch (error) {
          socket.terminate();
          reject(error as Error);
        }
      });
      socket.on('error', reject);
      socket.on('close', (code) =>
        code === 1000 || code === 1001 || code === 1005 || this.closed ? resolve() : reject(new Error(`websocket closed with ${code}`)),
      );
    });
    return { done, abort: () => socket.terminate() };
  }
}
