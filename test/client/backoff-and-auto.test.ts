/** The browser clients' pure parts: backoff with full jitter, and `auto` falling back in order. */
import { describe, expect, it } from 'vitest';
import { AutoClient } from '../../client/lib/auto.ts';
import { backoffDelayMs } from '../../client/lib/backoff.ts';
import {
  createStats,
  type ClientHandlers,
  type ClientOptions,
  type ClientStatus,
  type PushClient,
  type TechniqueId,
} from '../../client/lib/types.ts';

describe('backoffDelayMs', () => {
  it('doubles the ceiling from 0.5 s up to 20 s, with full jitter below it', () => {
    const top = (failures: number): number => backoffDelayMs(failures, undefined, undefined, () => 0.999_999);
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(top)).toEqual([499, 999, 1999, 3999, 7999, 15_999, 19_999, 19_999]);
    expect(backoffDelayMs(5, undefined, undefined, () => 0)).toBe(0);
    expect(backoffDelayMs(3, 100, 1000, () => 0.5)).toBe(200);
  });
});

/** A client that reports what the test tells it to. */
class FakeClient implements PushClient {
  status: ClientStatus = 'connecting';
  closed = false;
  constructor(
    readonly technique: TechniqueId,
    public cursor: string | undefined,
    readonly handlers: ClientHandlers,
  ) {}
  readonly stats = createStats();
  report(status: ClientStatus): void {
    this.status = status;
    this.handlers.onStatus?.(status, status);
  }
  send(): Promise<never> {
    return Promise.reject(new Error('fake'));
  }
  close(): void {
    this.closed = true;
    this.report('closed');
  }
}

function auto(order: TechniqueId[], since?: number): { client: AutoClient; made: FakeClient[]; statuses: string[] } {
  const made: FakeClient[] = [];
  const statuses: string[] = [];
  const create = (technique: TechniqueId, options: ClientOptions, handlers: ClientHandlers): PushClient => {
    const fake = new FakeClient(technique, options.since === undefined ? undefined : String(options.since), handlers);
    made.push(fake);
    return fake;
  };
  const client = new AutoClient(
    { order, since },
    { onMessage: () => {}, onStatus: (status, detail) => statuses.push(`${status} ${detail}`) },
    create,
  ).start();
  return { client, made, statuses };
}

describe('auto', () => {
  it('falls back to the next technique after two failures before it ever worked, keeping the cursor', () => {
    const { client, made, statuses } = auto(['long-poll', 'short-poll'], 4);
    expect(client.technique).toBe('long-poll');
    const first = made[0] as FakeClient;
    first.cursor = 'k3x9q2a:7';
    first.report('reconnecting');
    expect(made).toHaveLength(1);
    first.report('reconnecting');
    expect(first.closed).toBe(true);
    expect(made).toHaveLength(2);
    expect(client.technique).toBe('short-poll');
    expect(made[1]?.cursor).toBe('k3x9q2a:7');
    expect(statuses.some((line) => line.includes('falling back to short-poll'))).toBe(true);
  });

  it('stays with a technique once it has worked, and stops at the last one', () => {
    const { client, made } = auto(['long-poll', 'short-poll']);
    const first = made[0] as FakeClient;
    first.report('open');
    for (let i = 0; i < 5; i++) first.report('reconnecting');
    expect(made).toHaveLength(1);
    expect(client.technique).toBe('long-poll');

    const last = auto(['short-poll']);
    for (let i = 0; i < 5; i++) (last.made[0] as FakeClient).report('reconnecting');
    expect(last.made).toHaveLength(1);
  });

  it('close() closes the technique in use', () => {
    const { client, made } = auto(['long-poll']);
    client.close();
    expect(made[0]?.closed).toBe(true);
  });
});
