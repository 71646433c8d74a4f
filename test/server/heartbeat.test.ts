/** One heartbeat timer per server beats every stream, and stops when the last one leaves. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHeartbeat } from '../../server/transports/heartbeat.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function counter(): { beats: number; beat(): void } {
  return {
    beats: 0,
    beat() {
      this.beats++;
    },
  };
}

describe('createHeartbeat', () => {
  it('beats every registered stream each interval with one timer', () => {
    const heartbeat = createHeartbeat(100);
    const a = counter();
    const b = counter();
    heartbeat.add(a);
    vi.advanceTimersByTime(100);
    heartbeat.add(b);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(200);
    expect(a.beats).toBe(3);
    expect(b.beats).toBe(2);
  });

  it('stops beating a stream once deleted, and runs no timer with no stream', () => {
    const heartbeat = createHeartbeat(100);
    const a = counter();
    const b = counter();
    heartbeat.add(a);
    heartbeat.add(b);
    heartbeat.delete(a);
    vi.advanceTimersByTime(100);
    expect(a.beats).toBe(0);
    expect(b.beats).toBe(1);
    heartbeat.delete(b);
    heartbeat.delete(b);
    expect(vi.getTimerCount()).toBe(0);
    heartbeat.add(a);
    vi.advanceTimersByTime(100);
    expect(a.beats).toBe(1);
  });
});
