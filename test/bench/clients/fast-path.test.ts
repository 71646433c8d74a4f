/**
 * The load generator's fast path (`bench/clients/load/scan.ts`) over the wire: deliveries
 * scanned from the bytes, never parsed, are still counted exactly (a lost, duplicated or
 * reordered message inside one read is seen), one in 64 is parsed in full and a damaged one
 * is caught, and latency is recorded once per scheduled time with a count.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { makePayload, startPublisher } from '../../../bench/run/publisher.ts';
import { openSubscribers, type Subscribers } from '../../../bench/run/subscribers.ts';
import { startPeerProcess } from '../../../bench/peers/process.ts';
import { envelopeMiddle, scanEnvelope, scanned } from '../../../bench/clients/load/scan.ts';
import { startServer, until, type TestServer } from '../../helpers/server.ts';

const closers: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const cursorJson = '{"type":"cursor","cursor":"e1:0"}';

/** An unmasked server text frame of `text`, as RFC 6455 frames it (payloads under 64 KiB). */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const head =
    payload.length < 126 ? Buffer.from([0x81, payload.length]) : Buffer.from([0x81, 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([head, payload]);
}

/**
 * A stand-in for the baseline server (`line`), or for pushlab's WebSocket (`websocket`: it
 * answers the upgrade), whose subscriber gets exactly the bytes a test writes after the cursor.
 */
async function lineServer(kind: 'line' | 'websocket' | 'sse' = 'line'): Promise<{ url: string; socket: Promise<Socket> }> {
  let got!: (socket: Socket) => void;
  const socket = new Promise<Socket>((resolve) => (got = resolve));
  const server: Server = createServer((s) => {
    s.once('data', (request: Buffer) => {
      if (kind === 'line') s.write(`${cursorJson}\n`);
      else if (kind === 'sse')
        // A close-delimited event stream, as a server without chunking sends it.
        s.write('HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\nevent: cursor\nid: e1:0\ndata: {"cursor":"e1:0"}\n\n');
      else {
        const key = /sec-websocket-key: *(\S+)/i.exec(request.toString())?.[1] ?? '';
        const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
        s.write(textFrame(cursorJson));
      }
      got(s);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        void socket.then((s) => s.destroy());
      }),
  );
  return { url: `http://127.0.0.1:${address.port}`, socket };
}

const scheduled = process.hrtime.bigint();
const line = (id: number, at = scheduled, payload = makePayload(at, 64)): string =>
  `${JSON.stringify({ id, topic: 'lobby', data: payload, t: Date.now() })}\n`;

async function subscribe(
  url: string,
  peer?: 'baseline' | 'socketio-websocket',
  technique: 'websocket' | 'sse' | 'iframe' = 'websocket',
): Promise<Subscribers> {
  const subs = await openSubscribers({
    baseUrl: url,
    technique,
    ...(peer === undefined ? {} : { peer }),
    clients: 1,
    topics: ['lobby'],
    intervalMs: 1000,
    holdMs: 1000,
  });
  closers.push(() => subs.close());
  subs.measure({ startNs: 0n, endNs: scheduled + 3_600_000_000_000n });
  return subs;
}

describe('the fast path', () => {
  it('counts a lost, a duplicated and a reordered message inside one read, and records latency once per scheduled time', async () => {
    const fake = await lineServer();
    const subs = await subscribe(fake.url, 'baseline');
    const socket = await fake.socket;
    const recorded: number[] = [];
    const record = subs.histogram.recordValueWithCount.bind(subs.histogram);
    subs.histogram.recordValueWithCount = (value: number, count: number) => {
      recorded.push(count);
      record(value, count);
    };
    const later = scheduled + 5_000_000n;
    // One write, so one read: 1 2 3 5 4 4 7 (6 lost, 4 late, 4 twice); 1-3 share a scheduled time, 5 4 4 7 another.
    socket.write([1, 2, 3].map((id) => line(id)).join('') + [5, 4, 4, 7].map((id) => line(id, later)).join(''));
    const { checker } = subs.list[0] ?? expect.fail('one subscriber');
    await until(() => checker.received === 7, 'seven arrivals');
    expect(checker.duplicated).toBe(1);
    expect(checker.outOfOrder).toBe(1);
    expect(checker.count([1, 2, 3, 4, 5, 6, 7])).toEqual({ delivered: 6, lost: 1 });
    expect(subs.list[0]?.client.cursor).toBe('e1:7');
    // Six first arrivals, recorded as two groups of one scheduled time each.
    expect(subs.histogram.totalCount).toBe(6);
    expect(recorded).toEqual([3, 3]);
    expect(subs.corrupt).toBe(0);
  });

  it('parses one delivery in 64 in full and catches a damaged one; a frame that is not JSON is caught too', async () => {
    const fake = await lineServer();
    const subs = await subscribe(fake.url, 'baseline');
    const socket = await fake.socket;
    const damaged = { ...makePayload(scheduled, 64) };
    damaged.p = `${damaged.p.slice(0, -1)}y`;
    let bytes = '';
    for (let id = 1; id <= 63; id++) bytes += line(id);
    bytes += line(64, scheduled, damaged); // the 64th scanned delivery: sampled
    for (let id = 65; id <= 70; id++) bytes += line(id);
    socket.write(bytes);
    const { checker } = subs.list[0] ?? expect.fail('one subscriber');
    await until(() => checker.received === 69, '69 arrivals');
    expect(subs.corrupt).toBe(1);
    expect(subs.corruptReasons[0]).toMatch(/padding/);
    // The damaged frame is not delivered: it counts as lost.
    expect(checker.count([64]).lost).toBe(1);
    socket.write('{"id":71,"topic":"lobby","data":{"t":"12\n');
    await until(() => subs.corrupt === 2, 'the broken frame caught');
  });

  it('a sampled frame whose id disagrees with the scan is caught', async () => {
    const fake = await lineServer();
    const subs = await subscribe(fake.url, 'baseline');
    const socket = await fake.socket;
    let bytes = '';
    for (let id = 1; id <= 63; id++) bytes += line(id);
    // The scan reads the first "id"; a duplicated key makes JSON.parse keep the last.
    bytes += `{"id":64,"topic":"lobby","data":${JSON.stringify(makePayload(scheduled, 64))},"id":99}\n`;
    socket.write(bytes);
    await until(() => subs.corrupt === 1, 'the disagreement caught');
    expect(subs.corruptReasons[0]).toMatch(/id 99 is not the 64 scanned/);
  });

  it("a stream that carries another topic's envelopes is caught by the sampled parse", async () => {
    const fake = await lineServer();
    const subs = await subscribe(fake.url, 'baseline');
    const socket = await fake.socket;
    // The scan reads an envelope's layout, not its topic (a topic of the same length scans
    // alike): the one delivery in 64 that is parsed in full names it.
    let bytes = '';
    for (let id = 1; id <= 64; id++) bytes += line(id).replace('"topic":"lobby"', '"topic":"lobbz"');
    socket.write(bytes);
    await until(() => subs.corrupt === 1, 'the foreign topic caught');
    expect(subs.corruptReasons[0]).toMatch(/topic lobbz, not lobby/);
  });

  it('an SSE event whose envelope spans two data lines is joined as the EventSource spec joins it, and delivered', async () => {
    const fake = await lineServer('sse');
    const subs = await subscribe(fake.url, undefined, 'sse');
    const socket = await fake.socket;
    // The fast path takes an event whose data is one line; the 64th (the one the fast path
    // would sample and find not JSON) goes the text way.
    const event = (id: number): string => `id: e1:${id}\ndata: ${line(id).slice(0, -1)}\n\n`;
    let bytes = '';
    for (let id = 1; id <= 65; id++) bytes += id === 64 ? event(id).replace(',"data":', ',\ndata: "data":') : event(id);
    socket.write(bytes);
    const { checker } = subs.list[0] ?? expect.fail('one subscriber');
    await until(() => checker.received === 65, '65 arrivals');
    const ids = Array.from({ length: 65 }, (_, i) => i + 1);
    expect(checker.count(ids)).toEqual({ delivered: 65, lost: 0 });
    expect(subs.corrupt + subs.foreign).toBe(0);
    expect(subs.list[0]?.client.cursor).toBe('e1:65');
  });

  it('an SSE stream cut anywhere between reads (inside the id line, the data line, before the blank line) loses nothing', async () => {
    const fake = await lineServer('sse');
    const subs = await subscribe(fake.url, undefined, 'sse');
    const socket = await fake.socket;
    const event = (id: number): string => `id: e1:${id}\ndata: ${line(id).slice(0, -1)}\n\n`;
    const bytes = Array.from({ length: 40 }, (_, i) => event(i + 1)).join('');
    const first = event(1);
    // Cut points inside every part of an event: the id line, the data line, its newline, the blank line.
    const cuts = [4, first.indexOf('data') + 2, first.length - 30, first.length - 2, first.length - 1];
    let at = 0;
    for (let piece = 0; at < bytes.length; piece++) {
      const next = Math.min(bytes.length, at + (cuts[piece % cuts.length] ?? 1) + first.length * (piece % 3));
      socket.write(bytes.slice(at, next));
      at = next;
      // Apart in time, so each piece is a read of its own.
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const { checker } = subs.list[0] ?? expect.fail('one subscriber');
    await until(() => checker.received === 40, '40 arrivals');
    expect(checker.count(Array.from({ length: 40 }, (_, i) => i + 1))).toEqual({ delivered: 40, lost: 0 });
    expect(checker.duplicated + checker.outOfOrder).toBe(0);
    expect(subs.corrupt + subs.foreign).toBe(0);
  });

  it('reads an envelope whose fields come in another order, by searching for the scheduled time', async () => {
    const fake = await lineServer();
    const subs = await subscribe(fake.url, 'baseline');
    const socket = await fake.socket;
    const counts: number[] = [];
    const record = subs.histogram.recordValueWithCount.bind(subs.histogram);
    subs.histogram.recordValueWithCount = (value: number, count: number) => {
      counts.push(count);
      record(value, count);
    };
    const payload = makePayload(scheduled, 64);
    socket.write(`${line(1)}{"id":2,"data":${JSON.stringify(payload)},"topic":"lobby","t":1}\n${line(3)}`);
    const { checker } = subs.list[0] ?? expect.fail('one subscriber');
    await until(() => checker.received === 3, 'three arrivals');
    expect(checker.count([1, 2, 3])).toEqual({ delivered: 3, lost: 0 });
    // All three scanned (one read, one scheduled time: one record with a count), none parsed.
    expect(counts).toEqual([3]);
    expect(subs.corrupt).toBe(0);
  });

  it.each([
    ['baseline', 'line', (id: number) => Buffer.from(line(id))],
    ['websocket', 'websocket', (id: number) => textFrame(line(id).slice(0, -1))],
  ] as const)(
    'the %s client reassembles a frame split across reads, though every read lands in the one shared buffer',
    async (client, kind, frame) => {
      const fake = await lineServer(kind);
      const subs = await subscribe(fake.url, client === 'baseline' ? 'baseline' : undefined);
      const socket = await fake.socket;
      const { checker } = subs.list[0] ?? expect.fail('one subscriber');
      const [one, two, three] = [frame(1), frame(2), frame(3)] as [Buffer, Buffer, Buffer];
      // Part of a frame (its header cut too), then (a read later, over the same bytes of the
      // buffer) the rest and more, then the end.
      for (const piece of [one.subarray(0, 1), Buffer.concat([one.subarray(1), two, three.subarray(0, 30)]), three.subarray(30)]) {
        socket.write(piece);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await until(() => checker.received === 3, 'three arrivals');
      expect(checker.count([1, 2, 3])).toEqual({ delivered: 3, lost: 0 });
      expect(checker.duplicated + checker.outOfOrder).toBe(0);
      expect(subs.corrupt).toBe(0);
    },
  );

  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it.each(['websocket', 'sse', 'iframe'] as const)(
    'the lean %s client reads messages larger than a read whole, every one once and in order',
    async (technique) => {
      server = await startServer({ publishRatePerSecond: 0 });
      const subs = await subscribe(server.url, undefined, technique);
      const { checker } = subs.list[0] ?? expect.fail('one subscriber');
      // 40 KB each, in one batch the server writes at once: reads of the 64 KiB shared buffer split them.
      const at = process.hrtime.bigint();
      await server.push.hub.publishBatch(Array.from({ length: 12 }, () => ({ topic: 'lobby', data: makePayload(at, 40_000) })));
      await until(() => checker.has(12), 'the twelfth message');
      expect(checker.count(Array.from({ length: 12 }, (_, i) => i + 1))).toEqual({ delivered: 12, lost: 0 });
      expect(checker.duplicated + checker.outOfOrder).toBe(0);
      expect(subs.corrupt + subs.foreign).toBe(0);
    },
  );

  it.each(['websocket', 'sse', 'iframe'] as const)(
    'the lean %s client delivers every message of batches from the real server, once and in order, on the fast path',
    async (technique) => {
      server = await startServer({ publishRatePerSecond: 0 });
      const subs = await subscribe(server.url, undefined, technique);
      const counts: number[] = [];
      const record = subs.histogram.recordValueWithCount.bind(subs.histogram);
      subs.histogram.recordValueWithCount = (value: number, count: number) => {
        counts.push(count);
        record(value, count);
      };
      const publisher = startPublisher({ baseUrl: server.url, topics: ['lobby'], ratePerSecond: 1000, payloadBytes: 256, burst: 10 });
      await publisher.stopAt(publisher.startNs + 300_000_000n);
      expect(publisher.errors).toBe(0);
      const ids = publisher.published.map((m) => m.id);
      expect(ids.length).toBe(300);
      const { checker } = subs.list[0] ?? expect.fail('one subscriber');
      await until(() => checker.has(300), 'the last message');
      expect(checker.count(ids)).toEqual({ delivered: 300, lost: 0 });
      expect(checker.duplicated + checker.outOfOrder).toBe(0);
      expect(subs.histogram.totalCount).toBe(300);
      // Scanned, not parsed: a batch's deliveries share one read and one scheduled time, so latency is recorded with a count.
      expect(Math.max(...counts)).toBeGreaterThan(1);
      expect(subs.corrupt).toBe(0);
      expect(subs.foreign).toBe(0);
    },
  );

  it("the lean Socket.IO client reads the peer's events on the same fast path, every message once and in order", {
    timeout: 30_000,
  }, async () => {
    const peer = await startPeerProcess('socketio');
    closers.push(async () => {
      await peer.stop();
    });
    const subs = await subscribe(peer.url, 'socketio-websocket');
    const publisher = startPublisher({ baseUrl: peer.url, topics: ['lobby'], ratePerSecond: 1000, payloadBytes: 256, burst: 10 });
    await publisher.stopAt(publisher.startNs + 200_000_000n);
    expect(publisher.errors).toBe(0);
    const ids = publisher.published.map((m) => m.id);
    const { checker } = subs.list[0] ?? expect.fail('one subscriber');
    await until(() => checker.count(ids).lost === 0, 'every message');
    expect(checker.duplicated + checker.outOfOrder).toBe(0);
    expect(subs.histogram.totalCount).toBe(ids.length);
    expect(subs.corrupt + subs.foreign).toBe(0);
  });

  it.each(['sse', 'iframe'] as const)(
    'the lean %s client resumes from the cursor its fast path kept, losing nothing and repeating nothing',
    async (technique) => {
      // The iframe's document ends after 4 KiB, so it reconnects by itself as well.
      server = await startServer({ publishRatePerSecond: 0, iframeMaxBytes: 4096 });
      const sockets = new Set<Socket>();
      server.push.server.on('connection', (socket: Socket) => sockets.add(socket));
      const subs = await subscribe(server.url, undefined, technique);
      const { checker, client } = subs.list[0] ?? expect.fail('one subscriber');
      for (let i = 0; i < 30; i++) await server.publish(makePayload(process.hrtime.bigint(), 64));
      await until(() => checker.has(30), 'the first 30');
      expect(client.cursor).toMatch(/^[a-z0-9]+:30$/);
      for (const socket of sockets) socket.destroy();
      for (let i = 0; i < 30; i++) await server.publish(makePayload(process.hrtime.bigint(), 64));
      await until(() => checker.has(60), 'all 60 after the reconnect');
      expect(checker.count(Array.from({ length: 60 }, (_, i) => i + 1))).toEqual({ delivered: 60, lost: 0 });
      expect(checker.duplicated + checker.outOfOrder).toBe(0);
      expect(subs.gaps).toBe(0);
      expect(subs.corrupt).toBe(0);
    },
  );
});

describe('the scan of an envelope', () => {
  const middle = envelopeMiddle('lobby');
  const envelope = (id: number, t: string): Buffer => Buffer.from(`{"id":${id},"topic":"lobby","data":{"t":"${t}","p":"xx"},"t":1}`);
  const scan = (bytes: Buffer): false | { id: number; seconds: number; nanos: number } =>
    scanEnvelope(bytes, 0, bytes.length, middle) && { id: scanned.id, seconds: scanned.seconds, nanos: scanned.nanos };

  it('reads scheduled times whose number of digits changes from one envelope to the next', () => {
    // The scan guesses the last length first: each change of length must still read right.
    expect(scan(envelope(1, '12345678901234'))).toEqual({ id: 1, seconds: 12345, nanos: 678901234 });
    expect(scan(envelope(2, '2345678901234'))).toEqual({ id: 2, seconds: 2345, nanos: 678901234 });
    expect(scan(envelope(3, '987654321012345'))).toEqual({ id: 3, seconds: 987654, nanos: 321012345 });
    expect(scan(envelope(4, '000000001'))).toEqual({ id: 4, seconds: 0, nanos: 1 });
    expect(scan(envelope(5, '12345678901234'))).toEqual({ id: 5, seconds: 12345, nanos: 678901234 });
  });

  it('refuses a scheduled time with a byte that is not a digit, too few digits, or no closing quote', () => {
    expect(scan(envelope(1, '12345678901234'))).not.toBe(false);
    expect(scan(envelope(2, '1234567x901234'))).toBe(false);
    expect(scan(envelope(3, '12345678:01234'))).toBe(false);
    expect(scan(envelope(4, '12345678'))).toBe(false);
    expect(scan(Buffer.from('{"id":5,"topic":"lobby","data":{"t":"12345678901234'))).toBe(false);
    expect(scan(Buffer.from('{"type":"cursor","cursor":"e1:3"}'))).toBe(false);
    expect(scan(Buffer.from('{"id":,"topic":"lobby","data":{"t":"12345678901234"}}'))).toBe(false);
  });

  it('searches for the scheduled time when the bytes after the id are not the expected ones', () => {
    // A topic of another length: the expected tail is not where it should be.
    const other = Buffer.from('{"id":7,"topic":"a-longer-topic","data":{"t":"12345678901234"}}');
    expect(scan(other)).toEqual({ id: 7, seconds: 12345, nanos: 678901234 });
  });
});
