/** The link model on a fake clock: delay, pacing, loss as a stall of everything behind, order, FIN. */
import { describe, expect, it } from 'vitest';
import { Link, type LinkSink } from '../../../bench/network/link.ts';

interface Delivery {
  atMs: number;
  bytes: number;
}

function recorder(): { sink: LinkSink; deliveries: Delivery[]; data: Buffer[]; events: string[]; at: { ms: number } } {
  const at = { ms: 0 };
  const deliveries: Delivery[] = [];
  const data: Buffer[] = [];
  const events: string[] = [];
  return {
    at,
    deliveries,
    data,
    events,
    sink: {
      write(chunks) {
        const bytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
        deliveries.push({ atMs: at.ms, bytes });
        data.push(...chunks);
        events.push(`data:${bytes}`);
      },
      end: () => events.push('end'),
      reset: () => events.push('reset'),
    },
  };
}

/** Steps the clock from wake to wake, as the scheduler would, until the link is empty. */
function drain(link: Link, at: { ms: number }, limit = 100_000): void {
  for (let i = 0; i < limit && link.wakeMs !== Number.POSITIVE_INFINITY; i++) {
    at.ms = link.wakeMs;
    link.release(at.ms);
  }
  expect(link.wakeMs).toBe(Number.POSITIVE_INFINITY);
}

describe('link model', () => {
  it('holds bytes for the one-way delay, and nothing before', () => {
    const r = recorder();
    const link = new Link({ oneWayMs: 15 }, r.sink);
    link.push(Buffer.from('hello'), 100);
    expect(link.wakeMs).toBe(115);
    link.release(114.9);
    expect(r.deliveries).toEqual([]);
    link.release(115);
    expect(r.deliveries).toEqual([{ atMs: 0, bytes: 5 }]);
    expect(link.queuedBytes).toBe(0);
  });

  it('paces to the rate: 100 KB at 800 kbit/s arrive over 1 s, in segment steps', () => {
    const r = recorder();
    const link = new Link({ oneWayMs: 10, bitsPerSecond: 800_000, segmentBytes: 1000 }, r.sink);
    link.push(Buffer.alloc(100_000), 0);
    drain(link, r.at);
    const total = r.deliveries.reduce((sum, d) => sum + d.bytes, 0);
    expect(total).toBe(100_000);
    // 8000 / 800k = 0.01 ms per byte: the last byte lands at 10 + 1000 ms, the first segment at 10 + 10 ms.
    expect(r.deliveries[0]).toEqual({ atMs: 20, bytes: 1000 });
    expect(r.deliveries.at(-1)?.atMs).toBeCloseTo(1010, 6);
    expect(r.deliveries.length).toBe(100);
  });

  it('queues a second write behind the first on a busy link', () => {
    const r = recorder();
    const link = new Link({ oneWayMs: 0, bitsPerSecond: 8000, segmentBytes: 64 }, r.sink); // 1 ms per byte
    link.push(Buffer.alloc(100), 0);
    link.push(Buffer.alloc(100), 50);
    drain(link, r.at);
    expect(r.deliveries.at(-1)?.atMs).toBeCloseTo(200, 6);
  });

  it('stalls a lost segment and everything behind it by retransmitMs, dropping nothing', () => {
    const r = recorder();
    // The second segment of the first write is lost; nothing else is.
    const draws = [0.9, 0.0, 0.9, 0.9];
    const link = new Link({ oneWayMs: 10, lossRate: 0.5, retransmitMs: 100, segmentBytes: 10, random: () => draws.shift() ?? 0.9 }, r.sink);
    link.push(Buffer.from('aaaaaaaaaabbbbbbbbbbcccc'), 0);
    link.push(Buffer.from('later'), 5);
    expect(link.retransmits).toBe(1);
    drain(link, r.at);
    expect(Buffer.concat(r.data).toString()).toBe('aaaaaaaaaabbbbbbbbbbcccclater');
    expect(r.deliveries).toEqual([
      { atMs: 10, bytes: 10 },
      { atMs: 110, bytes: 19 },
    ]);
  });

  it('delivers a FIN after the bytes before it, and a reset in order too', () => {
    const r = recorder();
    const link = new Link({ oneWayMs: 5 }, r.sink);
    link.push(Buffer.from('abc'), 0);
    link.pushEnd(1);
    drain(link, r.at);
    expect(r.events).toEqual(['data:3', 'end']);
    const s = recorder();
    const other = new Link({ oneWayMs: 5 }, s.sink);
    other.push(Buffer.from('xy'), 0);
    other.pushReset(0);
    drain(other, s.at);
    expect(s.events).toEqual(['data:2', 'reset']);
  });

  it('holds the first bytes of a connection for the handshake', () => {
    const r = recorder();
    const link = new Link({ oneWayMs: 20 }, r.sink);
    link.holdUntil(60);
    link.push(Buffer.from('GET /'), 0);
    expect(link.wakeMs).toBe(60);
    link.push(Buffer.from(' HTTP/1.1'), 50);
    drain(link, r.at);
    expect(r.deliveries).toEqual([
      { atMs: 60, bytes: 5 },
      { atMs: 70, bytes: 9 },
    ]);
  });
});
