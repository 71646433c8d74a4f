/**
 * The capacity step's baselines: a bare node:http server and a minimal Koa app answer the
 * very body pushlab's short poll gives, and autocannon measures them beside the poll routes.
 */
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { measureCapacity } from '../../../bench/run/capacity.ts';
import { projectRoot, spawnServer, type ServerProcess } from '../../../bench/processes/server.ts';
import { startServer, type TestServer } from '../../helpers/server.ts';

let server: TestServer | undefined;
let baseline: ServerProcess | undefined;
afterEach(async () => {
  await server?.close();
  await baseline?.stop();
  server = undefined;
  baseline = undefined;
});

describe('capacity baselines', () => {
  it.each(['node-http', 'koa'])('the %s baseline answers the short poll with the body it was given, byte for byte', async (kind) => {
    server = await startServer();
    await server.publish({ t: '1', p: 'é✓</script>' });
    const answer = await fetch(`${server.url}/api/short-poll?topic=lobby&since=0`);
    const body = Buffer.from(await answer.arrayBuffer());
    const type = answer.headers.get('content-type') ?? '';
    baseline = await spawnServer({
      script: resolve(projectRoot, 'bench/run/capacity-server.ts'),
      args: ['--kind', kind, '--body', body.toString('base64'), '--type', type],
      name: `capacity-${kind}`,
    });
    const mine = await fetch(`${baseline.url}/api/short-poll?topic=capacity&since=0`);
    expect(mine.status).toBe(200);
    expect(mine.headers.get('content-type')).toBe(type);
    expect(Buffer.from(await mine.arrayBuffer()).equals(body)).toBe(true);
    expect((await fetch(`${baseline.url}/other`)).status).toBe(404);
  });

  it('are measured beside the polling routes, before publish', { timeout: 60_000 }, async () => {
    server = await startServer();
    const capacity = await measureCapacity({ baseUrl: server.url, durationMs: 300, payloadBytes: 64, techniques: ['short-poll'] });
    expect(Object.keys(capacity)).toEqual(['short-poll', 'baseline-node-http', 'baseline-koa', 'publish']);
    for (const [name, row] of Object.entries(capacity)) {
      expect(row.requestsPerSecond, name).toBeGreaterThan(0);
      expect(row.errors, name).toBe(0);
    }
  });
});
