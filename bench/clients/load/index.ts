/** The load generator's client per technique: the lean one (node:net) for each of the six. */
import type { BaseClient, ClientHandlers, ClientOptions, PushClient, TechniqueId } from '../base.ts';
import { LeanIframeClient, LeanJsonpClient, LeanLongPollClient, LeanShortPollClient, LeanSseClient } from './http.ts';
import { LeanWebSocketClient } from './websocket.ts';

const leanClients: Record<TechniqueId, new (options: ClientOptions, handlers: ClientHandlers) => BaseClient> = {
  'short-poll': LeanShortPollClient,
  'long-poll': LeanLongPollClient,
  jsonp: LeanJsonpClient,
  iframe: LeanIframeClient,
  sse: LeanSseClient,
  websocket: LeanWebSocketClient,
};

/** Starts the load generator's client of `technique`; it runs until `close()`. */
export function createLoadClient(technique: TechniqueId, options: ClientOptions, handlers: ClientHandlers): PushClient {
  const Client = leanClients[technique];
  if (Client === undefined) throw new RangeError(`unknown technique "${technique}"`);
  return new Client(options, handlers).start();
}

export { createBrowserLoadClient } from './browser-clients.ts';
export { loadProtocols, openLoadBrowser, type LoadBrowser, type LoadProtocol } from './browser.ts';
