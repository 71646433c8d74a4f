/**
 * Hidden-iframe streaming ("forever frame"): a hidden `<iframe>` loads `/api/iframe`, a
 * document the server keeps open, whose `<script>`s call a function on this page. When the
 * document ends (`load`: the server's byte limit, a shutdown, or a failed request) or goes
 * silent, a new iframe resumes from the cursor.
 */
import { BaseClient, scriptJson } from './base.ts';
import { utf8Bytes } from './publish.ts';
import { watchResourceBytes } from './resource-bytes.ts';
import type { ClientHandlers, ClientOptions } from './types.ts';
import type { StreamValue } from './wire.ts';

/** Silence, in ms, after which a stream is given up when `stallMs` names none (the server beats an idle stream every 15 s, so it is silent 30 s at most). */
export const defaultStallMs = 45_000;
/** How long a new document may take to say anything, in ms. */
const firstCallMs = 10_000;
/** How often the watchdog looks at the document, in ms. */
const watchEveryMs = 5_000;
let clients = 0;

/** Hidden-iframe streaming; a document silent for `stallMs` (default 45 s) is replaced. */
export class IframeClient extends BaseClient {
  readonly technique = 'iframe';
  protected override readonly waitsForPageLoad = true;
  /**
   * Bytes already counted for each document not yet reported by Resource Timing (the scripts
   * that ran in it), by URL, oldest first; when its entry comes the rest is added.
   */
  private readonly counted = new Map<string, { bytes: number }[]>();
  /** The function the stream calls: `parent.<callbackName>(value)`. */
  private readonly callbackName = `pushlabIframe${++clients}`;
  private frame: HTMLIFrameElement | undefined;
  private watchdog: ReturnType<typeof setInterval> | undefined;
  private stopBytes: () => void = () => {};

  constructor(options: ClientOptions, handlers: ClientHandlers) {
    super(options, handlers);
    this.stats.bytesNote = 'the scripts of the open document as they run; headers and padding too once a document ends (Resource Timing)';
  }

  override start(): this {
    this.stopBytes = watchResourceBytes(window, this.baseUrl, this.route, this.topic, (bytes, url) => {
      const before = this.counted.get(url);
      const already = before?.shift()?.bytes ?? 0;
      if (before?.length === 0) this.counted.delete(url);
      this.stats.bytes += Math.max(0, bytes - already);
    });
    return super.start();
  }

  protected connect(): void {
    const frame = document.createElement('iframe');
    let heard = false;
    let lastChangeMs = performance.now();
    let lastNodes = -1;
    const src = new URL(`${this.baseUrl}${this.route}?${this.query({ callback: this.callbackName })}`).href;
    // This document's share of `counted`: the bytes of each script as it runs.
    const counted = { bytes: 0 };
    this.counted.set(src, [...(this.counted.get(src) ?? []), counted]);
    this.forgetOldDocuments();
    (window as unknown as Record<string, unknown>)[this.callbackName] = (value: StreamValue) => {
      if (frame !== this.frame) return;
      // The script running now is the server's own markup for this call: count it as it arrived.
      const script = frame.contentDocument?.currentScript;
      if (script !== null && script !== undefined) {
        const bytes = utf8Bytes(script.outerHTML) + 1; // and the newline after it
        this.stats.bytes += bytes;
        counted.bytes += bytes;
      }
      heard = true;
      lastChangeMs = performance.now();
      this.wire(`<script>c(${scriptJson(value)})</script>\n\n(re-serialized: what the iframe's script passed)`);
      this.receiveValue(value);
      this.opened();
    };
    frame.addEventListener('load', () => {
      if (frame !== this.frame) return;
      if (!heard) {
        this.fail('the iframe document ended without a word (server down, or an error status)');
        return;
      }
      // The server ended the document (its byte limit, or a shutdown): a new one resumes.
      this.disconnect();
      this.later(0);
    });
    this.watchdog = setInterval(() => {
      // Heartbeat comments add nodes to the document without calling us: count them.
      const nodes = frame.contentDocument?.body?.childNodes.length ?? -1;
      if (nodes !== lastNodes) {
        lastNodes = nodes;
        if (heard) lastChangeMs = performance.now();
      }
      const silentMs = performance.now() - lastChangeMs;
      if (!heard && silentMs > firstCallMs) this.fail('the iframe stream did not start');
      else if (silentMs > (this.options.stallMs ?? defaultStallMs)) this.fail('the iframe stream went silent');
    }, watchEveryMs);
    frame.hidden = true;
    frame.tabIndex = -1;
    frame.title = 'pushlab stream (hidden)';
    frame.setAttribute('aria-hidden', 'true');
    frame.src = src;
    this.frame = frame;
    this.stats.requests++;
    document.body.append(frame);
  }

  /** Documents that never reach Resource Timing (removed while open) must not pile up. */
  private forgetOldDocuments(): void {
    let documents = 0;
    for (const list of this.counted.values()) documents += list.length;
    for (const [url, list] of this.counted) {
      if (documents <= 8) break;
      documents -= list.length;
      this.counted.delete(url);
    }
  }

  protected disconnect(): void {
    if (this.watchdog !== undefined) clearInterval(this.watchdog);
    this.watchdog = undefined;
    this.frame?.remove();
    this.frame = undefined;
  }

  override close(): void {
    super.close();
    this.stopBytes();
    delete (window as unknown as Record<string, unknown>)[this.callbackName];
  }
}
