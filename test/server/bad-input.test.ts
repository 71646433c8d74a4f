/** Bad input on every route gets the status of docs/DESIGN.md, is never echoed into script, and changes nothing. */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type RawAnswer, rawRequest } from '../helpers/raw.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ holdMs: 1000 });
});
afterAll(() => server.close());

/** A GET that reads the body until it ends or matches `enough` (streams never end by themselves). */
function get(
  path: string,
  enough: RegExp = /[\s\S]{4096}/,
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      const done = (): void => {
        req.destroy();
        resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type']), body });
      };
      response.on('data', (chunk: string) => {
        body += chunk;
        if (enough.test(body)) done();
      });
      response.on('end', done);
    });
    req.on('error', reject);
    req.end();
  });
}

async function head(topic = 'lobby'): Promise<number> {
  const { cursor } = (await (await fetch(`${server.url}/api/short-poll?topic=${topic}&since=0`)).json()) as { cursor: string };
  return Number(cursor.split(':')[1]);
}

const httpRoutes = ['/api/short-poll?', '/api/long-poll?timeout=0&', '/api/jsonp?callback=cb&timeout=0&', '/api/iframe?', '/api/sse?'];
const badQueries: [string, RegExp][] = [
  ['topic=a%20b', /topic/],
  [`topic=${'x'.repeat(65)}`, /topic/],
  ['topic=', /topic/],
  ['topic=a&topic=b', /topic/],
  ['topic=%3Cscript%3E', /topic/],
  ['since=-1', /since/],
  ['since=1.5', /since/],
  ['since=abc', /since/],
  ['since=1e3', /since/],
  ['since=9999999999999999', /since/],
  ['since=k3x9q2%3A', /since/],
  ['since=%3A5', /since/],
  ['since=K3X9Q2%3A5', /since/],
  ['since=a%3Ab%3A5', /since/],
  ['since=k3x9q2%3A-5', /since/],
  ['since=%3Cscript%3E%3A5', /since/],
];

describe('query parameters', () => {
  it.each(httpRoutes.flatMap((route) => badQueries.map(([query, pattern]) => [route + query, pattern] as const)))(
    'GET %s is a 400 naming the parameter',
    async (path, pattern) => {
      const { status, type, body } = await get(path);
      expect(status).toBe(400);
      expect(type).toMatch(/application\/json/);
      expect(JSON.parse(body).error).toMatch(pattern);
      // The error never echoes what was sent.
      const sent = decodeURIComponent(path.slice(path.lastIndexOf('=') + 1));
      if (sent.length > 2) expect(body).not.toContain(sent);
    },
  );

  it.each(['/api/long-poll?', '/api/jsonp?callback=cb&'])('%s rejects a bad timeout', async (route) => {
    for (const timeout of ['-1', '60001', 'abc', '1.5']) {
      const { status, body } = await get(`${route}timeout=${timeout}`);
      expect(status).toBe(400);
      expect(JSON.parse(body).error).toMatch(/timeout/);
    }
  });
});

describe('JSONP and iframe callbacks', () => {
  it('JSONP without a callback is a 400', async () => {
    expect((await get('/api/jsonp?timeout=0')).status).toBe(400);
  });

  const hostile = ['alert(1)', 'a..b', '1a', 'a.', '.a', 'a-b', '<script>x</script>', 'a b', 'x'.repeat(65), 'a;alert(1)//', 'a[0]'];
  it.each(hostile)('callback %j is refused and never echoed', async (callback) => {
    for (const route of ['/api/jsonp?timeout=0&', '/api/iframe?']) {
      const { status, type, body } = await get(`${route}callback=${encodeURIComponent(callback)}`);
      expect(status).toBe(400);
      expect(type).toMatch(/application\/json/);
      expect(body).not.toContain(callback);
    }
  });

  it('a good dotted callback of 64 characters is taken, with nosniff and the /**/ guard', async () => {
    const callback = `a.${'b'.repeat(62)}`;
    const response = await fetch(`${server.url}/api/jsonp?timeout=0&callback=${callback}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/javascript/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toMatch(new RegExp(`^/\\*\\*/${callback.replace('.', '\\.')}\\(`));
  });

  it('a payload with </script>, <!-- and U+2028 cannot break out of the JSONP or iframe script', async () => {
    const data = '</script><script>alert(1)</script><!--\u2028\u2029';
    const id = await server.publish(data, 'xss');
    const jsonp = await get(`/api/jsonp?callback=cb&topic=xss&since=${id - 1}`);
    expect(jsonp.body).not.toMatch(/[<\u2028\u2029]/);
    const iframe = await get(`/api/iframe?topic=xss&since=${id - 1}`, /"id":1,[^\n]*\n/);
    const scripts = iframe.body.match(/<script>/g)?.length ?? 0;
    expect(scripts).toBeGreaterThanOrEqual(2);
    expect(iframe.body.match(/<\/script>/g)?.length).toBe(scripts);
    expect(iframe.body).not.toMatch(/[\u2028\u2029]/);
    expect(iframe.body).not.toContain('<script>alert');
  });
});

describe('publish', () => {
  const post = (body: string, type = 'application/json'): Promise<Response> =>
    fetch(`${server.url}/api/publish`, { method: 'POST', headers: { 'content-type': type }, body });

  it('answers 202 with the id and topic', async () => {
    const response = await post(JSON.stringify({ topic: 'pub', data: { a: 1 } }));
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ id: 1, topic: 'pub' });
  });

  it.each([
    ['not JSON', '{"data":', 400],
    ['no data field', '{"topic":"bad"}', 400],
    ['an array', '[1,2]', 400],
    ['a bare string', '"data"', 400],
    ['a bad topic', '{"topic":"a b","data":1}', 400],
    ['a topic that is not a string', '{"topic":5,"data":1}', 400],
    ['a body over 64 KiB', JSON.stringify({ topic: 'bad', data: 'x'.repeat(64 * 1024) }), 413],
  ])('%s is refused (%s) and changes nothing', async (_, body, status) => {
    const response = await post(body);
    expect(response.status).toBe(status);
    expect((await response.json()).error).toEqual(expect.any(String));
    expect(await head('bad')).toBe(0);
  });

  it('a body that is not JSON by its Content-Type is a 415', async () => {
    const response = await post('{"topic":"bad","data":1}', 'text/plain');
    expect(response.status).toBe(415);
    expect(await head('bad')).toBe(0);
  });

  it('a method a route does not take is a JSON 405 naming the ones it takes; OPTIONS lists them; HEAD is a GET without a body', async () => {
    const port = Number(new URL(server.url).port);
    const ask = (method: string, target: string): Promise<RawAnswer> =>
      rawRequest(port, `${method} ${target} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    for (const [method, target, allow] of [
      ['GET', '/api/publish', 'POST'],
      ['PUT', '/api/publish', 'POST'],
      ['POST', '/api/short-poll?topic=a', 'HEAD, GET'],
      ['DELETE', '/api/sse?topic=a', 'HEAD, GET'],
      ['PROPFIND', '/api/long-poll?topic=a', 'HEAD, GET'],
      ['POST', '/api/ws', 'HEAD, GET'],
    ]) {
      const answer = await ask(method as string, target as string);
      expect(answer.status, `${method} ${target}`).toBe(405);
      expect(answer.text, `${method} ${target}`).toMatch(new RegExp(`\r\nAllow: ${allow}\r\n`));
      expect(JSON.parse(answer.text.split('\r\n\r\n')[1] as string), `${method} ${target}`).toEqual({ error: `this route takes ${allow}` });
    }
    const options = await ask('OPTIONS', '/api/publish');
    expect(options.status).toBe(200);
    expect(options.text).toMatch(/\r\nAllow: POST\r\n/);
    const head = await ask('HEAD', '/api/short-poll?topic=head-only');
    expect(head.status).toBe(200);
    expect(head.text).toMatch(/\r\nContent-Type: application\/json; charset=utf-8\r\n/);
    expect(head.text.endsWith('\r\n\r\n')).toBe(true);
    // A path outside the API is still the router's: an unknown method there is its 501.
    expect((await ask('PROPFIND', '/metrics')).status).toBe(501);
  });
});

describe('unknown routes and upgrades', () => {
  it('an unknown route is a JSON 404', async () => {
    const { status, body } = await get('/api/nope');
    expect(status).toBe(404);
    expect(JSON.parse(body)).toEqual({ error: 'not found' });
  });

  it('/api/ws without an upgrade is a 426, counted as a WebSocket request in /metrics', async () => {
    const websocket = await server.metric('pushlab_requests_total', 'websocket');
    const other = await server.metric('pushlab_requests_total', 'other');
    expect((await get('/api/ws')).status).toBe(426);
    expect(await server.metric('pushlab_requests_total', 'websocket')).toBe(websocket + 1);
    // Only the two reads of /metrics in between (themselves "other") add to "other", not the 426.
    expect(await server.metric('pushlab_requests_total', 'other')).toBe(other + 2);
  });

  const upgrade = (path: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}${path}`);
      ws.on('unexpected-response', (_req, response) => {
        resolve(response.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('open', () => reject(new Error(`${path} was upgraded`)));
      ws.on('error', () => undefined);
    });

  it('an upgrade on another path is an HTTP 404, not a silent close', async () => {
    expect(await upgrade('/api/sse')).toBe(404);
    expect(await upgrade('/nope')).toBe(404);
  });

  it('an upgrade with a bad topic or since is an HTTP 400', async () => {
    expect(await upgrade('/api/ws?topic=a%20b')).toBe(400);
    expect(await upgrade('/api/ws?since=-4')).toBe(400);
  });
});

describe('WebSocket frames', () => {
  const connect = async (): Promise<WebSocket> => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/ws?topic=wsbad`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return ws;
  };
  const closeCode = (ws: WebSocket): Promise<number> => new Promise((resolve) => ws.once('close', (code) => resolve(code)));

  it.each([
    ['a frame over 64 KiB', 'x'.repeat(64 * 1024 + 1), false, 1009],
    ['a binary frame', Buffer.from('{"type":"publish","data":1}'), true, 1003],
    ['a frame that is not JSON', '{"type":', false, 1008],
    ['a frame that is not a publish', '{"type":"subscribe"}', false, 1008],
  ])('%s closes with %s and publishes nothing', async (_, frame, binary, code) => {
    const ws = await connect();
    const closed = closeCode(ws);
    ws.send(frame, { binary });
    expect(await closed).toBe(code);
    expect(await head('wsbad')).toBe(0);
  });

  it('a publish with a bad topic gets an error frame and the socket stays open', async () => {
    const ws = await connect();
    const frames: unknown[] = [];
    ws.on('message', (data) => frames.push(JSON.parse(data.toString())));
    ws.send(JSON.stringify({ type: 'publish', topic: '../etc', data: 1, ref: 'r1' }));
    ws.send(JSON.stringify({ type: 'publish', data: 2, ref: 'r2' }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(frames).toContainEqual({ type: 'error', ref: 'r1', status: 400, error: expect.stringMatching(/topic/) });
    expect(frames).toContainEqual({ type: 'ack', ref: 'r2', id: expect.any(Number), topic: 'lobby' });
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
  });
});

describe('request targets', () => {
  // `URL` reads `//` and `/\\` as the start of an authority, so these are not paths; a plain
  // path with odd bytes in it is one (and is routed, or not found).
  it.each([
    ['//x[', 400],
    ['/\\x[', 400],
    ['//x[/api/short-poll', 400],
    ['ws://x[', 400],
    ['/%', 404],
    ['/a[b]@:', 404],
  ])('GET %s answers %i', async (target, status) => {
    const { port } = new URL(server.url);
    const answer = await rawRequest(Number(port), `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    expect(answer.status).toBe(status);
    if (status === 400) expect(answer.text).toContain('the request target is not a valid path');
  });
});

it('counts each request and each empty answer by technique, as the next scrape shows them', async () => {
  const count = (name: string, technique: string): Promise<number> => server.metric(name, technique);
  const before = [await count('pushlab_requests_total', 'short-poll'), await count('pushlab_empty_responses_total', 'short-poll')];
  const beforeLong = await count('pushlab_empty_responses_total', 'long-poll');
  for (let i = 0; i < 3; i++) await (await fetch(`${server.url}/api/short-poll?topic=counted`)).text();
  await (await fetch(`${server.url}/api/long-poll?topic=counted&timeout=0`)).text();
  expect(await count('pushlab_requests_total', 'short-poll')).toBe((before[0] ?? 0) + 3);
  expect(await count('pushlab_empty_responses_total', 'short-poll')).toBe((before[1] ?? 0) + 3);
  expect(await count('pushlab_empty_responses_total', 'long-poll')).toBe(beforeLong + 1);
});

it('still answers a normal request after all of the above', async () => {
  expect(await (await fetch(`${server.url}/healthz`)).text()).toBe('ok');
});
