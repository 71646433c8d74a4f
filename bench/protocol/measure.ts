/**
 * What HTTP/2 and TLS change per message, per technique, read from the server's /metrics:
 * requests, bytes written and read (HTTP/1.1 bytes, or the HTTP/2 frames of the technique's
 * session) and TLS bytes at the TCP socket. Each technique runs alone, on its own connection
 * (h1, h1-tls) or session (h2) — the benchmark's load clients — while messages are published
 * in-process through the hub and /metrics is read in-process, so no other request shares the
 * server's sockets and every count belongs to that technique, to the byte. The benchmark's
 * `--protocol` rows measure the same with many clients under load; this stays a script for the
 * exact figure. Loopback only; every loop is bounded.
 *
 *   npx tsx bench/protocol/measure.ts [--messages 40] [--interval-ms 100] [--payload-bytes 100] [--repeat 3]
 */
import { parseArgs } from 'node:util';
import { createPushServer, type PushServer } from '../../server/app.ts';
import { techniqueIds as techniques } from '../../registry/techniques.ts';
import { wireProtocols, type Technique, type WireProtocol } from '../../server/metrics.ts';
import { createSelfSignedCredentials } from '../../server/tls.ts';
import { createBrowserLoadClient, createLoadClient, openLoadBrowser } from '../clients/load/index.ts';
import { parseMetrics, sample, type MetricsSnapshot } from '../processes/prometheus.ts';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '40' },
    'interval-ms': { type: 'string', default: '100' },
    'payload-bytes': { type: 'string', default: '100' },
    repeat: { type: 'string', default: '3' },
  },
});
const messages = positive('messages', values.messages);
const intervalMs = positive('interval-ms', values['interval-ms']);
const payloadBytes = positive('payload-bytes', values['payload-bytes']);
const repeat = positive('repeat', values.repeat);

function positive(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) {
    console.error(`protocol-measure: --${name} must be an integer from 1 to 100000`);
    process.exit(2);
  }
  return n;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Per message, one technique under one protocol. */
interface Cost {
  requests: number;
  bytesWritten: number;
  bytesRead: number;
  tlsWritten: number;
}

/**
 * One technique alone: the benchmark's own load client (on a simulated browser for h1-tls and
 * h2), while messages are published in-process through the hub, so no publish or scrape
 * traffic shares the server's sockets and every count is the client's.
 */
async function measure(protocol: WireProtocol, technique: Technique, push: PushServer, baseUrl: string): Promise<Cost> {
  // WebSocket is an HTTP/1.1 upgrade even when the page came over HTTP/2.
  const socketProtocol: WireProtocol = technique === 'websocket' && protocol === 'h2' ? 'h1-tls' : protocol;
  const topic = `m-${technique}-${Date.now()}`;
  let received = 0;
  const options = { baseUrl, topic, intervalMs, holdMs: 20_000 };
  const handlers = { onMessage: () => received++, onError: report };
  const browser = protocol === 'h1' ? undefined : openLoadBrowser(protocol, baseUrl);
  const client =
    browser === undefined
      ? createLoadClient(technique, options, handlers)
      : createBrowserLoadClient(technique, { ...options, browser }, handlers);
  const scrape = async (): Promise<MetricsSnapshot> => parseMetrics(await push.metrics.text());
  try {
    await Promise.race([client.ready, sleep(5000)]);
    // A held poll or stream is in place again after the first answer (a poll's cursor).
    await sleep(100);
    const before = await scrape();
    for (let i = 0; i < messages; i++) {
      await push.hub.publish(topic, { pad: 'x'.repeat(payloadBytes) });
      await sleep(intervalMs);
    }
    for (let i = 0; i < 400 && received < messages; i++) await sleep(25);
    if (received < messages) throw new Error(`${protocol} ${technique}: got ${received} of ${messages}`);
    const after = await scrape();
    const per = (name: string, label?: string): number => (sample(after, name, label) - sample(before, name, label)) / messages;
    const tls = (name: string): number =>
      ((after.samples.get(`${name}{protocol="${socketProtocol}"}`) ?? 0) -
        (before.samples.get(`${name}{protocol="${socketProtocol}"}`) ?? 0)) /
      messages;
    return {
      requests: per('pushlab_requests_total', technique),
      bytesWritten: per('pushlab_bytes_written_total', technique),
      bytesRead: per('pushlab_bytes_read_total', technique),
      tlsWritten: socketProtocol === 'h1' ? 0 : tls('pushlab_tls_bytes_written_total'),
    };
  } finally {
    client.close();
    browser?.close();
  }
}

function report(error: unknown): void {
  console.error(`protocol-measure: ${(error as Error).message}`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const credentials = await createSelfSignedCredentials();
const results = new Map<string, Cost[]>();
for (let round = 0; round < repeat; round++) {
  for (const protocol of wireProtocols) {
    // Every read fresh: a cached /metrics text would put one technique's "after" in the next one's "before".
    const push = createPushServer({ publishRatePerSecond: 0, metricsCacheMs: 0, tls: protocol === 'h1' ? undefined : credentials });
    const baseUrl = await push.listen(0);
    try {
      for (const technique of techniques) {
        const cost = await measure(protocol, technique, push, baseUrl);
        const key = `${protocol} ${technique}`;
        results.set(key, [...(results.get(key) ?? []), cost]);
      }
    } finally {
      await push.close();
    }
  }
}

const fmt = (n: number, digits = 0): string => n.toFixed(digits);
console.log(
  `per message, median of ${repeat} runs; ${messages} messages of ${payloadBytes} B payload, ${intervalMs} ms apart; short poll every ${intervalMs} ms`,
);
console.log('| technique | protocol | requests/msg | bytes written/msg | bytes read/msg | TLS bytes written/msg |');
console.log('|---|---|---:|---:|---:|---:|');
for (const technique of techniques) {
  for (const protocol of wireProtocols) {
    const costs = results.get(`${protocol} ${technique}`) ?? [];
    const m = (pick: (cost: Cost) => number): number => median(costs.map(pick));
    const tls = protocol === 'h1' ? '–' : fmt(m((c) => c.tlsWritten));
    const shown = technique === 'websocket' && protocol === 'h2' ? 'h2 page (ws is h1-tls)' : protocol;
    console.log(
      `| ${technique} | ${shown} | ${fmt(
        m((c) => c.requests),
        2,
      )} | ${fmt(m((c) => c.bytesWritten))} | ${fmt(m((c) => c.bytesRead))} | ${tls} |`,
    );
  }
}
