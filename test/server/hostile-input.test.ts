/**
 * Property-based: whatever goes into a route's query, headers or body, a WebSocket frame,
 * or a raw request line and upgrade, the server never answers 5xx, never crashes, never
 * reflects input into script or HTML, and answers a normal request afterwards. Run twice:
 * bound to loopback as by default, and in the exposed posture (`--host 0.0.0.0` with a
 * publish token).
 */
import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { CreateOptions } from '../../server/app.ts';
import { callbackPattern } from '../../server/transports/query.ts';
import { rawRequest } from '../helpers/raw.ts';
import { startServer, type ListenOptions, type TestServer } from '../helpers/server.ts';

/** How the server is started: its options, where it listens, and the publish token a client must send. */
interface Posture {
  readonly name: string;
  readonly options: CreateOptions;
  readonly listen: ListenOptions;
  readonly token?: string;
}

const exposedToken = 'exposed-posture-token';
const postures: readonly Posture[] = [
  { name: 'bound to loopback', options: {}, listen: {} },
  {
    name: 'exposed (0.0.0.0, publish token set)',
    // The WebSocket frames below publish without the token; the failed-token limit has its
    // own test, and here must not lock out the final publish that proves the server lives.
    options: { publishToken: exposedToken, authFailuresPerMinute: 1_000_000 },
    listen: { host: '0.0.0.0' },
    token: exposedToken,
  },
];

let server: TestServer;
let port: number;

const hostileStrings = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '</script><script>alert(1)</script>',
    'alert(1)',
    'a.b',
    '-1',
    '1e9',
    '99999999999999999999',
    '0',
    '',
    '%00',
    '\u2028',
    '__proto__',
    'constructor.prototype',
    '"><img src=x onerror=alert(1)>',
    '../../etc/passwd',
  ),
);
const query = fc.dictionary(fc.constantFrom('topic', 'since', 'timeout', 'callback', 'x', '__proto__'), hostileStrings, { maxKeys: 4 });
const headers = fc.record(
  {
    'last-event-id': hostileStrings,
    origin: fc.constantFrom('null', 'https://evil.example', 'not a url', 'http://127.0.0.1'),
    accept: fc.constantFrom('*/*', 'text/html', 'text/event-stream', 'application/json;q=0'),
    'content-type': fc.constantFrom(
      'application/json',
      'text/plain',
      'application/json; charset=utf-16',
      'multipart/form-data; boundary=x',
    ),
  },
  { requiredKeys: [] },
);

/** Characters that are harmless if echoed; anything else must not come back in a response. */
const dangerous = (value: string): boolean => value.length >= 3 && /[<>"'()\u2028\u2029]/.test(value);

/** Sends a request and reads at most 8 KiB or 300 ms of it (streams never end by themselves). */
function send(
  method: string,
  path: string,
  head: Record<string, string>,
  body?: string,
): Promise<{ status: number; type: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: head }, (response) => {
      let text = '';
      const finish = (): void => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type'] ?? ''), text });
      };
      const timer = setTimeout(finish, 300);
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
        if (text.length > 8192) finish();
      });
      response.on('end', finish);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function encodeQuery(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
    .join('&');
}

const routes = [
  '/api/short-poll',
  '/api/long-poll',
  '/api/jsonp',
  '/api/iframe',
  '/api/sse',
  '/api/ws',
  '/',
  '/demo/sse',
  '/metrics',
  '/api/nope',
];

describe.each(postures)('$name', (posture) => {
  beforeAll(async () => {
    server = await startServer({ holdMs: 50, maxHoldMs: 200, ...posture.options }, posture.listen);
    port = Number(new URL(server.url).port);
    // Stored, not reflected: a message every replay carries, for the script/HTML routes to escape.
    // Unlike any hostile query value below, so a JSON answer that replays it (served as
    // application/json, never run) is not mistaken for a reflection of the request.
    await server.push.hub.publish('lobby', '</script><script>alert("stored")</script>\u2028');
  });
  afterAll(() => server.close());

  describe('hostile HTTP input', () => {
    it.each(routes)('GET %s: never 5xx, never reflected', async (route) => {
      // What the route answers a plain request: a value found in it (`l><` is in `<html><head>`) is the page's own text, not a reflection.
      const plain = (await send('GET', route, {})).text;
      await fc.assert(
        fc.asyncProperty(query, headers, async (values, head) => {
          const cleanHead = Object.fromEntries(Object.entries(head).filter(([, v]) => /^[\t\x20-\x7e]*$/.test(v)));
          const { status, type, text } = await send('GET', `${route}?${encodeQuery(values)}`, cleanHead);
          expect(status).toBeLessThan(500);
          for (const value of Object.values(values)) {
            if (!dangerous(value) || plain.includes(value)) continue;
            expect(text.includes(value), `${route} reflected ${JSON.stringify(value)}`).toBe(false);
          }
          if (status === 200 && route === '/api/jsonp') {
            const callback = /^\/\*\*\/([^(]*)\(/.exec(text)?.[1] ?? '';
            expect(callback).toMatch(callbackPattern);
          }
          if (/html|javascript/.test(type) && route.startsWith('/api/')) expect(text).not.toMatch(/<script>alert/);
        }),
        { numRuns: 60 },
      );
    });

    it('POST /api/publish: never 5xx, whatever the body and headers', async () => {
      const body = fc.oneof(
        fc.string({ maxLength: 200 }),
        fc.json({ maxDepth: 3 }),
        fc.jsonValue({ maxDepth: 3 }).map((data) => JSON.stringify({ data })),
        fc.record({ topic: hostileStrings, data: fc.jsonValue({ maxDepth: 2 }) }).map((value) => JSON.stringify(value)),
      );
      await fc.assert(
        fc.asyncProperty(body, headers, async (text, head) => {
          const cleanHead = Object.fromEntries(Object.entries(head).filter(([k, v]) => k !== 'origin' && /^[\t\x20-\x7e]*$/.test(v)));
          if (posture.token !== undefined) cleanHead.authorization = `Bearer ${posture.token}`;
          const { status } = await send('POST', '/api/publish', cleanHead, text);
          expect(status).toBeLessThan(500);
          expect([202, 400, 413, 415]).toContain(status);
        }),
        { numRuns: 150 },
      );
    });
  });

  describe('hostile WebSocket frames', () => {
    it('never crash the server; bad frames close with 1003, 1008 or 1009, or get an error frame', async () => {
      const frame = fc.oneof(
        fc.string({ maxLength: 200 }).map((text) => ({ text, binary: false })),
        fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ text: Buffer.from(bytes).toString('latin1'), binary: true })),
        fc
          .record({
            type: fc.constantFrom('publish', 'subscribe', 1),
            topic: hostileStrings,
            data: fc.jsonValue({ maxDepth: 2 }),
            ref: fc.oneof(fc.string(), fc.integer()),
          })
          .map((value) => ({ text: JSON.stringify(value), binary: false })),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 5 }), async (frames) => {
          const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/ws`);
          await new Promise((resolve, reject) => {
            ws.once('open', resolve);
            ws.once('error', reject);
          });
          const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
          for (const { text, binary } of frames)
            if (ws.readyState === WebSocket.OPEN) ws.send(binary ? Buffer.from(text, 'latin1') : text, { binary });
          const code = await Promise.race([closed, new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 100))]);
          if (code !== 'open') expect([1003, 1008, 1009]).toContain(code);
          ws.terminate();
        }),
        { numRuns: 60 },
      );
    });
  });

  const targetUnit = fc.constantFrom(
    '/',
    '/',
    'a',
    'z',
    '9',
    ':',
    '[',
    ']',
    '%',
    '@',
    '?',
    '#',
    '.',
    '\\',
    '&',
    '=',
    '~',
    'x',
    '*',
    '"',
    '<',
  );
  const requestTarget = fc
    .tuple(
      fc.constantFrom(
        '',
        '/',
        '//',
        '/api/ws',
        '/api/ws?topic=',
        '/api/ws?since=',
        'http://',
        'http://a',
        'ws://x',
        '*',
        '/api/sse?',
        '/demo/',
      ),
      fc.string({ unit: targetUnit, maxLength: 30 }),
    )
    .map(([prefix, rest]) => prefix + rest);

  /** The part of an upgrade refusal's body a target could match without being echoed: the route it names. */
  const ownRefusalText = 'no WebSocket endpoint here; use /api/ws"}';

  describe('hostile raw requests', () => {
    it('upgrade requests of any target and headers, reset or not, never get a 5xx or crash the server', async () => {
      const upgrade = fc.record({
        target: requestTarget,
        upgrade: fc.constantFrom('websocket', 'WebSocket', 'foo', '', 'h2c'),
        version: fc.constantFrom('13', '8', 'x', undefined),
        key: fc.constantFrom('dGhlIHNhbXBsZSBub25jZQ==', 'short', '', undefined),
        origin: fc.constantFrom(undefined, 'https://evil.example', 'null', '%', 'http://127.0.0.1', 'http://localhost/'),
        host: fc.constantFrom('localhost', '127.0.0.1', 'rebind.evil.example', '', '[', 'localhost:99999'),
        reset: fc.boolean(),
      });
      await fc.assert(
        fc.asyncProperty(upgrade, async (u) => {
          const lines = [`GET ${u.target} HTTP/1.1`, `Host: ${u.host}`, 'Connection: Upgrade', `Upgrade: ${u.upgrade}`];
          if (u.version !== undefined) lines.push(`Sec-WebSocket-Version: ${u.version}`);
          if (u.key !== undefined) lines.push(`Sec-WebSocket-Key: ${u.key}`);
          if (u.origin !== undefined) lines.push(`Origin: ${u.origin}`);
          const answer = await rawRequest(port, `${lines.join('\r\n')}\r\n\r\n`, { reset: u.reset, ms: 200 });
          expect(answer.status).toBeLessThan(500);
          // Not reflected: the refusal's body never repeats the target. A target that is a piece
          // of what the server writes anyway (its 404 names the route: `use /api/ws"}`) says nothing.
          const body = answer.text.slice(answer.text.indexOf('\r\n\r\n') + 4);
          if (answer.status >= 400 && u.target.length >= 3 && !ownRefusalText.includes(u.target)) expect(body).not.toContain(u.target);
        }),
        { numRuns: 150 },
      );
    });

    it('request lines of any method and target never get a 5xx or crash the server', async () => {
      const line = fc.record({
        method: fc.constantFrom('GET', 'POST', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'BREW'),
        target: requestTarget,
        reset: fc.boolean(),
      });
      await fc.assert(
        fc.asyncProperty(line, async ({ method, target, reset }) => {
          const body = method === 'POST' ? 'Content-Type: application/json\r\nContent-Length: 10\r\n\r\n{"data":1}' : '\r\n';
          const answer = await rawRequest(port, `${method} ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${body}`, {
            reset,
            ms: 200,
          });
          expect(answer.status).toBeLessThan(500);
        }),
        { numRuns: 150 },
      );
    });
  });

  it('answers a normal request after all of the above', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).text()).toBe('ok');
    const response = await fetch(`${server.url}/api/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(posture.token === undefined ? {} : { authorization: `Bearer ${posture.token}` }) },
      body: '{"data":"still here"}',
    });
    expect(response.status).toBe(202);
    expect(((await response.json()) as { id: number }).id).toBeGreaterThan(1);
  });
});
