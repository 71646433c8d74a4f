/**
 * The publish policy over the wire: nesting depth, the bearer token and failed-token
 * limits, a bounded WebSocket `ref`, and acks under the slow-consumer bound.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startServer, until, type TestServer } from '../helpers/server.ts';

let server: TestServer;
afterEach(() => server?.close());

const wsUrl = (): string => `${server.url.replace('http', 'ws')}/api/ws?topic=quiet`;
const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
/** Objects in objects, `depth` deep, with strings and numbers beside each level (which add no depth). */
const nestedObjects = (depth: number): string => `${'{"s":"x","a":'.repeat(depth - 1)}{"n":1}${'}'.repeat(depth - 1)}`;
/** Arrays and objects in turn, `depth` deep, the deep branch after a shallow sibling. */
const nestedMixed = (depth: number): string =>
  Array.from({ length: depth - 1 }, (_, i) => (i % 2 === 0 ? '[{"x":[1]},' : '{"k":[],"a":')).join('') +
  '[]' +
  Array.from({ length: depth - 1 }, (_, i) => (i % 2 === 0 ? ']' : '}'))
    .reverse()
    .join('');
const post = (body: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${server.url}/api/publish`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

async function openWs(): Promise<{ ws: WebSocket; frames: Record<string, unknown>[]; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(wsUrl());
  const frames: Record<string, unknown>[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(data.toString()) as Record<string, unknown>));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, frames, closed };
}

describe('nesting depth', () => {
  it('an HTTP body nested past the limit is a 400 that says so, checked before encoding; at the limit it publishes', async () => {
    server = await startServer({ maxJsonDepth: 64 });
    const deep = await post(`{"data":${nested(5000)}}`);
    expect(deep.status).toBe(400);
    expect(((await deep.json()) as { error: string }).error).toMatch(/deeper than 64/);
    expect((await post(`{"data":${nested(64)}}`)).status).toBe(400);
    expect((await post(`{"data":${nested(63)}}`)).status).toBe(202);
    expect((await post(`{"messages":[{"data":${nested(100)}}]}`)).status).toBe(400);
    expect(await server.metric('pushlab_messages_published_total')).toBe(1);
    // Objects count as arrays do, and so does a mix of both.
    expect((await post(`{"data":${nestedObjects(64)}}`)).status).toBe(400);
    expect((await post(`{"data":${nestedObjects(63)}}`)).status).toBe(202);
    expect((await post(`{"data":${nestedMixed(64)}}`)).status).toBe(400);
    expect((await post(`{"data":${nestedMixed(63)}}`)).status).toBe(202);
    expect(await server.metric('pushlab_messages_published_total')).toBe(3);
  });

  it('a WebSocket frame nested past the limit closes with 1008, not 1011', async () => {
    server = await startServer();
    const { ws, closed } = await openWs();
    ws.send(`{"type":"publish","data":${nested(5000)}}`);
    expect(await closed).toEqual({ code: 1008, reason: expect.stringMatching(/deeper than 64/) });
    expect(await server.metric('pushlab_messages_published_total')).toBe(0);
  });
});

describe('the publish token', () => {
  it('only `Authorization: Bearer <token>` passes; a bare token or another scheme is a 401', async () => {
    server = await startServer({ publishToken: 's3cret' });
    expect((await post('{"data":1}', { Authorization: 's3cret' })).status).toBe(401);
    expect((await post('{"data":1}', { Authorization: 'Basic s3cret' })).status).toBe(401);
    expect((await post('{"data":1}', { Authorization: 'Bearer s3cret extra' })).status).toBe(401);
    expect((await post('{"data":1}', { Authorization: 'Bearer s3cre' })).status).toBe(401);
    expect((await post('{"data":1}', { Authorization: 'Bearer s3cret' })).status).toBe(202);
    expect((await post('{"data":1}', { Authorization: 'bearer s3cret' })).status).toBe(202);
  });

  it('failed attempts are counted per address: past the limit, 429 with Retry-After, even for the right token', async () => {
    server = await startServer({ publishToken: 's3cret', authFailuresPerMinute: 5 });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await post('{"data":1}', { Authorization: `Bearer guess${i}` })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    const locked = await post('{"data":1}', { Authorization: 'Bearer s3cret' });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await server.metric('pushlab_rejected_total{reason="auth-failures"}')).toBe(4);
    expect(await server.metric('pushlab_messages_published_total')).toBe(0);
  });

  it('over a WebSocket the "token" field is the raw token ("Bearer x" is wrong), and a few wrong ones close with 1008', async () => {
    server = await startServer({ publishToken: 's3cret' });
    const { ws, frames, closed } = await openWs();
    ws.send(JSON.stringify({ type: 'publish', data: 1, ref: 'ok', token: 's3cret' }));
    ws.send(JSON.stringify({ type: 'publish', data: 1, ref: 'bearer', token: 'Bearer s3cret' }));
    await until(() => frames.some((f) => f.ref === 'bearer'), 'two answers');
    expect(frames).toContainEqual(expect.objectContaining({ type: 'ack', ref: 'ok' }));
    expect(frames).toContainEqual(expect.objectContaining({ type: 'error', ref: 'bearer', status: 401 }));
    for (let i = 0; i < 100; i++)
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'publish', data: 1, ref: i, token: `guess${i}` }));
    expect((await closed).code).toBe(1008);
    // The first wrong token and two of the guesses were answered; the rest never compared.
    expect(frames.filter((f) => f.type === 'error')).toHaveLength(2);
    expect(await server.metric('pushlab_rejected_total{reason="unauthorized"}')).toBe(3);
  });
});

describe('WebSocket answers', () => {
  it('a ref longer than 64 characters closes with 1008 and is never echoed', async () => {
    server = await startServer();
    const { ws, frames, closed } = await openWs();
    ws.send(JSON.stringify({ type: 'publish', data: 1, ref: 'r'.repeat(65) }));
    expect((await closed).code).toBe(1008);
    expect(frames.every((f) => f.type === 'cursor')).toBe(true);
    expect(await server.metric('pushlab_messages_published_total')).toBe(0);
  });

  it('acks go out under the slow-consumer bound: a client that publishes but never reads is cut off', async () => {
    server = await startServer({ maxBufferedBytes: 64 * 1024, wsMaxPayloadBytes: 256 * 1024 });
    const { ws } = await openWs();
    // A client that sends but does not read: its acks pile up in the server's buffers.
    (ws as unknown as { _socket: { pause(): void } })._socket.pause();
    // Each ack names 1,000 ids and a 64-character topic 1,000 times (~70 KB), so a few hundred
    // fill the kernel's buffers on both ends and then the server's own.
    const topic = 't'.repeat(64);
    const frame = JSON.stringify({ type: 'publish', messages: Array.from({ length: 1000 }, () => ({ topic, data: 0 })) });
    let sent = 0;
    for (; sent < 600 && (await server.metric('pushlab_slow_consumer_disconnects_total', 'websocket')) === 0; sent++) {
      ws.send(frame);
      if (sent % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await until(
      async () => (await server.metric('pushlab_slow_consumer_disconnects_total', 'websocket')) === 1,
      'the slow consumer to be cut off',
    );
    await until(async () => (await server.metric('pushlab_open_connections', 'websocket')) === 0, 'the socket to be closed');
    ws.terminate();
  });
});
