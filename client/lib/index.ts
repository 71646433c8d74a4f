/** The browser clients: `createClient(technique | 'auto', options, handlers)`. */
import { AutoClient } from './auto.ts';
import { IframeClient } from './iframe.ts';
import { JsonpClient } from './jsonp.ts';
import { LongPollClient, ShortPollClient } from './polling.ts';
import { WorkerShortPollClient } from './short-poll-in-worker.ts';
import { SseClient } from './sse.ts';
import { WebSocketClient } from './websocket.ts';
import type { ClientHandlers, ClientOptions, PushClient, TechniqueId } from './types.ts';

export type { ClientHandlers, ClientOptions, ClientStatus, PushClient, TechniqueId } from './types.ts';
export type { Envelope } from './wire.ts';
export { techniqueIds } from './types.ts';

/** A technique id, or `auto` to pick the best one that works. */
export type ClientKind = TechniqueId | 'auto';

/** Creates and starts a client; it connects at once and reconnects until `close()`. */
export function createClient(kind: ClientKind, options: ClientOptions, handlers: ClientHandlers): PushClient {
  switch (kind) {
    case 'auto':
      return new AutoClient(options, handlers, (technique, inner, innerHandlers) => createClient(technique, inner, innerHandlers)).start();
    case 'short-poll':
      return options.useWorker === true && typeof Worker === 'function'
        ? new WorkerShortPollClient(options, handlers).start()
        : new ShortPollClient(options, handlers).start();
    case 'long-poll':
      return new LongPollClient(options, handlers).start();
    case 'jsonp':
      return new JsonpClient(options, handlers).start();
    case 'iframe':
      return new IframeClient(options, handlers).start();
    case 'sse':
      return new SseClient(options, handlers).start();
    case 'websocket':
      return new WebSocketClient(options, handlers).start();
  }
}
