/**
 * The load clients of a simulated browser (`browser.ts`): HTTP/1.1 over TLS, HTTP/2, and
 * plain HTTP/1.1 under a browser's 6-connection pool (the `tabs` scenario). Each is the lean
 * client of its technique (`http.ts`, `websocket.ts`) with only its transport swapped: the
 * requests, resume rules and frame parsing are the lean clients' own, so all three protocols
 * read the wire the same way. Polls are streams of the browser's HTTP/2 session (or requests
 * on its pooled HTTP/1.1 connections); SSE and the iframe are long-lived streams; WebSocket
 * stays an HTTP/1.1 upgrade, over TLS (`wss:`) when the browser speaks TLS.
 */
import type { Socket } from 'node:net';
import type { Attempt, BaseClient, ClientHandlers, ClientOptions, PushClient, TechniqueId } from '../base.ts';
import type { Fetch, LoadBrowser } from './browser.ts';
import { LeanIframeClient, LeanJsonpClient, LeanLongPollClient, LeanShortPollClient, LeanSseClient } from './http.ts';
import { LeanWebSocketClient } from './websocket.ts';

/** A load client's options with the browser whose connections it uses. */
export interface BrowserClientOptions extends ClientOptions {
  browser: LoadBrowser;
}

/** The simulated browser a client was made with (`createBrowserLoadClient` passes it in the options). */
const browserOf = (options: ClientOptions): LoadBrowser => (options as BrowserClientOptions).browser;

class BrowserSseClient extends LeanSseClient {
  protected override streamsBytes(): boolean {
    return false;
  }
  protected override openStream(url: URL, headers: Record<string, string>, onText: (text: string) => void): Attempt {
    return browserOf(this.options).stream(url, headers, onText);
  }
}

class BrowserIframeClient extends LeanIframeClient {
  protected override streamsBytes(): boolean {
    return false;
  }
  protected override openStream(url: URL, headers: Record<string, string>, onText: (text: string) => void): Attempt {
    return browserOf(this.options).stream(url, headers, onText);
  }
}

class BrowserShortPollClient extends LeanShortPollClient {
  protected override request(path: string): Fetch {
    return browserOf(this.options).get(path);
  }
}

class BrowserLongPollClient extends LeanLongPollClient {
  protected override request(path: string): Fetch {
    return browserOf(this.options).get(path);
  }
}

class BrowserJsonpClient extends LeanJsonpClient {
  protected override request(path: string): Fetch {
    return browserOf(this.options).get(path);
  }
}

class BrowserWebSocketClient extends LeanWebSocketClient {
  protected override openSocket(url: URL, onBytes: (bytes: Buffer) => void): Socket {
    return browserOf(this.options).webSocketSocket(url, onBytes);
  }
}

const browserClients: Record<TechniqueId, new (options: BrowserClientOptions, handlers: ClientHandlers) => BaseClient> = {
  'short-poll': BrowserShortPollClient,
  'long-poll': BrowserLongPollClient,
  jsonp: BrowserJsonpClient,
  iframe: BrowserIframeClient,
  sse: BrowserSseClient,
  websocket: BrowserWebSocketClient,
};

/** Starts the load client of `technique` on `options.browser`'s connections; it runs until `close()` (the browser stays open). */
export function createBrowserLoadClient(technique: TechniqueId, options: BrowserClientOptions, handlers: ClientHandlers): PushClient {
  const Client = browserClients[technique];
  if (Client === undefined) throw new RangeError(`unknown technique "${technique}"`);
  return new Client(options, handlers).start();
}
