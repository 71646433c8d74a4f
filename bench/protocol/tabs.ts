/**
 * One simulated browser with K tabs of the same streaming technique (K = 1 … 10) on one host:
 * over HTTP/1.1 (a per-host pool of 6 connections, as browsers keep) and over HTTP/2 (one
 * session, a stream per tab). Prints, for each K, how many tabs get a published message and
 * how many TCP connections the server accepted: where HTTP/1.1 stalls and HTTP/2 does not.
 *
 *   npx tsx bench/protocol/tabs.ts [--technique sse|iframe|long-poll] [--max-tabs 10]
 */
import type { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import { connect } from 'node:http2';
import { parseArgs } from 'node:util';
import { createPushServer } from '../../server/app.ts';
import { createSelfSignedCredentials } from '../../server/tls.ts';

/** Connections a browser keeps per host over HTTP/1.1 (Chromium, Firefox and Safari all use 6). */
export const browserConnectionsPerHost = 6;

const { values } = parseArgs({ options: { technique: { type: 'string', default: 'sse' }, 'max-tabs': { type: 'string', default: '10' } } });
const technique = values.technique ?? 'sse';
if (!['sse', 'iframe', 'long-poll'].includes(technique)) {
  console.error('tabs: --technique must be sse, iframe or long-poll');
  process.exit(2);
}
const maxTabs = Number(values['max-tabs']);
if (!Number.isInteger(maxTabs) || maxTabs < 1 || maxTabs > 50) {
  console.error('tabs: --max-tabs must be an integer from 1 to 50');
  process.exit(2);
}
/** How long a tab may take to get the message before it counts as stalled. */
const waitMs = 2000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Tab {
  got(): boolean;
  close(): void;
}

function path(topic: string): string {
  return technique === 'long-poll' ? `/api/long-poll?topic=${topic}&since=0&timeout=20000` : `/api/${technique}?topic=${topic}`;
}

function h1Tabs(baseUrl: string, count: number, topic: string): { tabs: Tab[]; close(): void } {
  const agent = new Agent({
    keepAlive: true,
    maxSockets: browserConnectionsPerHost,
    rejectUnauthorized: false,
    ALPNProtocols: ['http/1.1'],
  });
  const tabs = Array.from({ length: count }, (): Tab => {
    let got = false;
    const req = request(new URL(path(topic), baseUrl), { agent });
    req.on('error', () => undefined);
    req.on('response', (res: IncomingMessage) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (chunk.includes('"data":"hello"')) got = true;
      });
      res.on('error', () => undefined);
    });
    req.end();
    return { got: () => got, close: () => req.destroy() };
  });
  return { tabs, close: () => agent.destroy() };
}

function h2Tabs(baseUrl: string, count: number, topic: string): { tabs: Tab[]; close(): void } {
  const session = connect(baseUrl, { rejectUnauthorized: false });
  session.on('error', () => undefined);
  const tabs = Array.from({ length: count }, (): Tab => {
    let got = false;
    const stream = session.request({ ':path': path(topic) });
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      if (chunk.includes('"data":"hello"')) got = true;
    });
    stream.on('error', () => undefined);
    return { got: () => got, close: () => stream.close() };
  });
  return { tabs, close: () => session.close() };
}

const push = createPushServer({ publishRatePerSecond: 0, tls: await createSelfSignedCredentials() });
const baseUrl = await push.listen(0);
const accepted = async (protocol: string): Promise<number> => {
  const line = (await push.metrics.text())
    .split('\n')
    .find((l) => l.startsWith(`pushlab_connections_accepted_total{protocol="${protocol}"} `));
  return Number(line?.split(' ')[1] ?? 0);
};
console.log(`one simulated browser, K tabs of ${technique} on one host; a tab is live when it gets the message within ${waitMs} ms`);
console.log('| tabs | HTTP/1.1 live | HTTP/1.1 connections | HTTP/2 live | HTTP/2 connections |');
console.log('|---:|---:|---:|---:|---:|');
try {
  for (let count = 1; count <= maxTabs; count++) {
    const row: string[] = [String(count)];
    for (const [protocol, open] of [
      ['h1-tls', h1Tabs],
      ['h2', h2Tabs],
    ] as const) {
      const topic = `tabs-${protocol}-${count}`;
      const before = await accepted(protocol);
      const browser = open(baseUrl, count, topic);
      // Let the tabs connect (or queue) before the message.
      for (
        let i = 0;
        i < 40 &&
        push.metrics.openConnections(technique === 'long-poll' ? 'long-poll' : technique === 'iframe' ? 'iframe' : 'sse') <
          Math.min(count, protocol === 'h2' ? count : browserConnectionsPerHost);
        i++
      )
        await sleep(25);
      await push.hub.publish(topic, 'hello');
      for (let i = 0; i < waitMs / 25 && browser.tabs.some((tab) => !tab.got()); i++) await sleep(25);
      row.push(String(browser.tabs.filter((tab) => tab.got()).length), String((await accepted(protocol)) - before));
      for (const tab of browser.tabs) tab.close();
      browser.close();
      await sleep(50);
    }
    console.log(`| ${row.join(' | ')} |`);
  }
} finally {
  await push.close();
}
