/**
 * deploy/nginx.conf in front of two pushlab processes on one Redis: round robin, no sticky
 * sessions, and all six techniques deliver through it in order, resuming across reconnects
 * that land on either process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { techniqueIds } from '../../bench/clients/wire/index.ts';
import { record } from '../helpers/clients.ts';
import { until, range, publishTo } from '../helpers/server.ts';
import { skipRedis, startRedis, type TestRedis } from '../helpers/redis.ts';
import { skipNginx, startNginx, type TestNginx } from '../helpers/nginx.ts';
import { startServerProcess, type ServerProcess } from '../helpers/process.ts';

describe.skipIf(skipRedis || skipNginx)('through nginx (deploy/nginx.conf)', () => {
  let redis: TestRedis;
  let servers: ServerProcess[] = [];
  let nginx: TestNginx;
  beforeAll(async () => {
    redis = await startRedis();
    servers = await Promise.all(
      [0, 1].map(() => startServerProcess(['--port', '0', '--hub', redis.url, '--publish-rate', '0', '--trust-proxy'])),
    );
    nginx = await startNginx(servers.map((server) => new URL(server.url).host));
  }, 30_000);
  afterAll(async () => {
    await nginx?.stop();
    await Promise.all(servers.map((server) => server.stop()));
    await redis?.stop();
  }, 20_000);

  it('spreads requests over both processes (round robin, no stickiness)', async () => {
    // Each process counts the requests it served; both must have served some.
    for (let i = 0; i < 8; i++) await (await fetch(`${nginx.url}/api/short-poll?topic=spread`)).arrayBuffer();
    const served = await Promise.all(
      servers.map(async (server) => {
        const text = await (await fetch(`${server.url}/metrics`)).text();
        return Number(/pushlab_requests_total\{technique="short-poll"\} (\d+)/.exec(text)?.[1] ?? 0);
      }),
    );
    expect(served.every((count) => count > 0)).toBe(true);
    expect(served.reduce((a, b) => a + b, 0)).toBe(8);
  });

  it.each(techniqueIds)(
    '%s: delivers in order through the proxy and resumes across reconnects, losing and repeating nothing',
    async (technique) => {
      const topic = `proxied-${technique}`;
      const received: number[] = [];
      let cursor: string | undefined;
      let published = 0;
      for (let round = 0; round < 4; round++) {
        const recording = record(technique, {
          baseUrl: nginx.url,
          topic,
          holdMs: 2000,
          ...(cursor === undefined ? {} : { since: cursor }),
        });
        await recording.client.ready;
        for (let i = 0; i < 3; i++) await publishTo(nginx.url, { round, i, text: '</script>\u2028' }, topic);
        published += 3;
        await until(() => received.length + recording.messages.length >= published, `round ${round}`, 10_000);
        recording.client.close();
        expect(recording.gaps).toEqual([]);
        expect(recording.errors).toEqual([]);
        received.push(...recording.ids());
        cursor = recording.client.cursor;
      }
      expect(received).toEqual(range(1, published));
    },
  );
});
