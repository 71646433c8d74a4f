/**
 * The short-poll loop in a Web Worker: its timer and requests run off the page's main
 * thread, so a page busy rendering or running script does not delay the next poll. It keeps
 * its own copy of the cursor (the `cursor` of each answer) and hands every answer to the
 * page, which decides what to show. Bundled on its own as `/assets/short-poll-worker.js`.
 */
import { techniques } from '../../registry/techniques.ts';
import { backoffDelayMs } from './backoff.ts';
import { reasonOf, watchResourceBytes } from './resource-bytes.ts';
import type { PollBody } from './wire.ts';
import type { FromWorker, ToWorker } from './worker-protocol.ts';

type Config = Extract<ToWorker, { type: 'start' }>;

const route = techniques['short-poll'].route;

let config: Config | undefined;
let cursor: string | undefined;
let failures = 0;
let timer: ReturnType<typeof setTimeout> | undefined;
let controller: AbortController | undefined;
let stopBytes: () => void = () => {};

function post(message: FromWorker): void {
  self.postMessage(message);
}

function poll(): void {
  const current = config;
  if (current === undefined) return;
  const params = new URLSearchParams({ topic: current.topic });
  if (cursor !== undefined) params.set('since', cursor);
  const abort = new AbortController();
  controller = abort;
  const deadline = setTimeout(() => abort.abort(new Error('no answer before the client deadline')), current.deadlineMs);
  post({ type: 'request' });
  fetch(`${current.baseUrl}${route}?${params}`, { signal: abort.signal, cache: 'no-store' })
    .then(async (response) => {
      const text = await response.text();
      if (abort !== controller) return;
      post({ type: 'wire', text: `HTTP ${response.status} ${response.headers.get('content-type') ?? ''}\n\n${text}` });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      // The cursor (`"<epoch>:<id>"`) goes back verbatim; the page dedupes within its epoch.
      const body = JSON.parse(text) as PollBody;
      cursor = body.cursor;
      failures = 0;
      post({ type: 'answer', text });
      // A bounded answer that left messages for the next request: ask again at once.
      timer = setTimeout(poll, body.more === true ? 0 : current.intervalMs);
    })
    .catch((error: unknown) => {
      if (abort !== controller) return;
      failures++;
      const delayMs = backoffDelayMs(failures, current.reconnectMs, current.maxReconnectMs);
      post({ type: 'failure', reason: reasonOf(abort.signal.reason ?? error), delayMs });
      timer = setTimeout(poll, delayMs);
    })
    .finally(() => clearTimeout(deadline));
}

function stop(): void {
  config = undefined;
  if (timer !== undefined) clearTimeout(timer);
  controller?.abort(new Error('stopped'));
  controller = undefined;
  stopBytes();
}

self.addEventListener('message', (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  stop();
  config = message;
  cursor = message.since;
  failures = 0;
  stopBytes = watchResourceBytes(self, message.baseUrl, route, message.topic, (bytes) => post({ type: 'bytes', bytes }));
  poll();
});
