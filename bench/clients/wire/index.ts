/** `createClient(technique, options, handlers)`: a lean Node client for any of the six techniques. */
import type { BaseClient, ClientHandlers, ClientOptions, PushClient, TechniqueId } from '../base.ts';
import { JsonpClient, LongPollClient, ShortPollClient } from './polling.ts';
import { IframeClient, SseClient, WebSocketClient } from './streams.ts';

export * from '../base.ts';

const classes: Record<TechniqueId, new (options: ClientOptions, handlers: ClientHandlers) => BaseClient> = {
  'short-poll': ShortPollClient,
  'long-poll': LongPollClient,
  jsonp: JsonpClient,
  iframe: IframeClient,
  sse: SseClient,
  websocket: WebSocketClient,
};

/** Starts a client of `technique`; it runs until `close()`. */
export function createClient(technique: TechniqueId, options: ClientOptions, handlers: ClientHandlers): PushClient {
  const Client = classes[technique];
  if (Client === undefined) throw new RangeError(`unknown technique "${technique}"`);
  return new Client(options, handlers).start();
}
