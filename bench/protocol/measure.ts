/**
 * What HTTP/2 and TLS change per message, per technique, read from the server's /metrics:
 * requests, bytes written and read (HTTP/1.1 bytes, or the HTTP/2 frames of the technique's
 * session) and TLS bytes at the TCP socket. Each technique runs alone, on its own connection
 * (h1, h1-tls) or session (h2), while a publisher on another protocol sends the messages, so
 * every count belongs to that technique. /metrics is read in-process (a scrape over the wire
 * would add its own bytes). Loopback only; every loop is bounded.
 *
 *   npx tsx bench/protocol/measure.ts [--messages 40] [--interval-ms 100] [--payload-bytes 100] [--repeat 3]
 */
import { parseArgs } from 'node:util';
import { createParser } from 'eventsource-parser';
import { createPushServer } from '../../server/app.ts';
import { techniqueIds as techniques } from '../../registry/techniques.ts';
import { wireProtocols, type Technique, type WireProtocol } from '../../server/metrics.ts';
import { createSelfSignedCredentials } from '../../server/tls.ts';
import type { PollBody } from '../../client/lib/wire.ts';
import { createIframeParser } from '../clients/stream-parsers.ts';
import { parseMetrics } from '../processes/prometheus.ts';
import { openWireSession, type WireResponse, type WireSession } from './wire.ts';

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

type Samples = ReadonlyMap<string, number>;

/** A running technique client: counts the messages it got; `stop` ends it. */
interface Running {
  received(): number;
  stop(): void;
}

function runClient(technique: Technique, wire: WireSession, topic: string): Running {
  let count = 0;
  let running = true;
  let current: WireResponse | undefined;
  const base = `/api/${technique}?topic=${topic}`;
  const poll = async (path: (cursor: string) => string, unwrap: (body: string) => string): Promise<void> => {
    let cursor = '0';
    for (let i = 0; running && i < 100_000; i++) {
      current = wire.request(path(cursor));
      let body = '';
      current.onText((chunk) => (body += chunk));
      const status = await current.ended;
      if (!running) return;
      if (status !== 200) throw new Error(`${technique}: status ${status}`);
      const answer = JSON.parse(unwrap(body)) as PollBody;
      count += answer.messages.length;
      cursor = answer.cursor;
      if (technique === 'short-poll') await sleep(intervalMs);
    }
  };
  const stream = (feed: (chunk: string) => void): void => {
    current = wire.request(base);
    current.onText(feed);
  };
  if (technique === 'short-poll')
    poll(
      (cursor) => `${base}&since=${cursor}`,
      (body) => body,
    ).catch(report);
  else if (technique === 'long-poll')
    poll(
      (cursor) => `${base}&since=${cursor}&timeout=20000`,
      (body) => body,
    ).catch(report);
  else if (technique === 'jsonp')
    poll(
      (cursor) => `${base}&since=${cursor}&timeout=20000&callback=cb`,
      (body) => body.slice('/**/cb('.length, -2),
    ).catch(report);
  // Envelopes only: SSE's cursor and gap events are named, the iframe's carry a `type`.
  else if (technique === 'sse') {
    const parser = createParser({ onEvent: (event) => (count += event.event === undefined ? 1 : 0) });
    stream((chunk) => parser.feed(chunk));
  } else if (technique === 'iframe') stream(createIframeParser((value) => (count += 'type' in value ? 0 : 1)));
  else {
    const ws = wire.webSocket(`/api/ws?topic=${topic}`);
    ws.on('message', (data) => {
      if (String(data).startsWith('{"id":')) count++;
    });
    ws.on('error', report);
    return {
      received: () => count,
      stop: () => ws.terminate(),
    };
  }
  return {
    received: () => count,
    stop() {
      running = false;
      current?.close();
    },
  };
}

function report(error: unknown): void {
  console.error(`protocol-measure: ${(error as Error).message}`);
}

/** Per message, one technique under one protocol. */
interface Cost {
  requests: number;
  bytesWritten: number;
  bytesRead: number;
  tlsWritten: number;
}

async function measure(protocol: WireProtocol, technique: Technique, baseUrl: string, scrape: () => Promise<Samples>): Promise<Cost> {
  // WebSocket is an HTTP/1.1 upgrade even when the page came over HTTP/2.
  const clientWire: WireProtocol = technique === 'websocket' && protocol === 'h2' ? 'h1-tls' : protocol;
  // The publisher uses the other TLS protocol, so the client's TLS bytes are its own.
  const publisherWire: WireProtocol = protocol === 'h1' ? 'h1' : clientWire === 'h2' ? 'h1-tls' : 'h2';
  const client = openWireSession(clientWire, baseUrl);
  const publisher = openWireSession(publisherWire, baseUrl);
  const topic = `m-${technique}-${Date.now()}`;
  const running = runClient(technique, client, topic);
  try {
    const openKey = `pushlab_open_connections{technique="${technique}"}`;
    for (let i = 0; i < 200; i++) {
      const open = (await scrape()).get(openKey) ?? 0;
      if (
        technique === 'short-poll' ? ((await scrape()).get('pushlab_requests_total{technique="short-poll"}') ?? 0) > 0 && i > 2 : open >= 1
      )
        break;
      await sleep(25);
    }
    const before = await scrape();
    const body = JSON.stringify({ topic, data: { pad: 'x'.repeat(payloadBytes) } });
    for (let i = 0; i < messages; i++) {
      const answer = await publisher.text('/api/publish', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      if (answer.status !== 202) throw new Error(`publish: ${answer.status}`);
      await sleep(intervalMs);
    }
    for (let i = 0; i < 400 && running.received() < messages; i++) await sleep(25);
    if (running.received() < messages) throw new Error(`${protocol} ${technique}: got ${running.received()} of ${messages}`);
    const after = await scrape();
    const delta = (key: string): number => ((after.get(key) ?? 0) - (before.get(key) ?? 0)) / messages;
    const label = `{technique="${technique}"}`;
    return {
      requests: delta(`pushlab_requests_total${label}`),
      bytesWritten: delta(`pushlab_bytes_written_total${label}`),
      bytesRead: delta(`pushlab_bytes_read_total${label}`),
      tlsWritten: clientWire === 'h1' ? 0 : delta(`pushlab_tls_bytes_written_total{protocol="${clientWire}"}`),
    };
  } finally {
    running.stop();
    client.close();
    publisher.close();
  }
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
    const push = createPushServer({ publishRatePerSecond: 0, metricsCacheMs: 0, tls: protocol === 'h1' ? undefined : credentials });
    const baseUrl = await push.listen(0);
    // Read in-process: a scrape over the wire would add its own bytes to the TLS counts.
    const scrape = async (): Promise<Samples> => parseMetrics(await push.metrics.text()).samples;
    try {
      for (const technique of techniques) {
        const cost = await measure(protocol, technique, baseUrl, scrape);
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
