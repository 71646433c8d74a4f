/**
 * A lean Socket.IO websocket client for the load generator: the Engine.IO 4 and Socket.IO 5
 * wire protocol spoken on the load generator's own WebSocket client (`node:net`, RFC 6455
 * frames read in place; `bench/clients/load/websocket.ts`), without `socket.io-client`'s
 * Manager, Engine and per-packet decoder, and without `ws`. An event
 * `42["message",<envelope>]` goes to the same fast path as pushlab's WebSocket frames
 * (`scan.ts`: the envelope scanned, one in 64 parsed), so both rows pay the same client cost.
 *
 * The exchange: the server opens with `0{"sid",…,"pingInterval"}`; the client joins the
 * main namespace with `40`, answered `40{"sid"}`; events arrive as `42["message",value]`;
 * the server pings with `2`, the client answers `3`; `41` or `1` is a close.
 */
import type { StreamValue } from '../../clients/base.ts';
import type { FrameReader } from '../../clients/load/scan.ts';
import { LeanWebSocketClient, type WebSocketLink } from '../../clients/load/websocket.ts';
import { socketioPath } from '../mounts.ts';

const eventPrefix = Buffer.from('42["message",');
const closeBracket = 0x5d;

/** Subscribes to the Socket.IO peer with its handshake query `topic`, over a lean WebSocket. */
export class LeanSocketioClient extends LeanWebSocketClient {
  readonly peer = 'socketio-websocket';

  protected override wsPath(): string {
    return `${socketioPath}?${new URLSearchParams({ EIO: '4', transport: 'websocket', topic: this.topic })}`;
  }

  protected override onFastText(reader: FrameReader, buf: Buffer, start: number, end: number, link: WebSocketLink): void {
    if (end - start > eventPrefix.length + 1 && buf[end - 1] === closeBracket) {
      let event = true;
      for (let i = 0; i < eventPrefix.length; i++)
        if (buf[start + i] !== eventPrefix[i]) {
          event = false;
          break;
        }
      if (event) {
        reader.frame(buf, start + eventPrefix.length, end - 1);
        return;
      }
    }
    this.onText(buf.toString('utf8', start, end), link);
  }

  protected override onText(text: string, link: WebSocketLink): void {
    switch (text[0]) {
      case '0':
        link.send('40');
        return;
      case '2':
        link.send('3');
        return;
      case '1':
        link.end();
        return;
      case '4':
        if (text[1] === '2') {
          const [event, value] = JSON.parse(text.slice(2)) as [string, StreamValue];
          if (event === 'message') this.receive(value);
        } else if (text[1] === '1' || text[1] === '4') {
          // 41: disconnected by the server; 44: the namespace refused the connection.
          link.end(new Error(`socket.io packet ${text.slice(0, 80)}`));
        }
        return;
      default:
        return;
    }
  }
}
