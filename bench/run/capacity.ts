/**
 * Request/response capacity with autocannon: how many requests per second the polling
 * endpoints and publish answer, and how fast, each for a short fixed time against a fresh
 * server. Each poll is answered at once with one message of the scenario's payload size.
 * Beside the polling rows, the same step measures two baselines answering the very body
 * pushlab's short poll gave (`capacity-server.ts`): a bare `node:http` server
 * (`baseline-node-http`) and a minimal Koa app with its router (`baseline-koa`), so Koa's
 * share and pushlab's own are visible.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { spawnServer } from '../processes/server.ts';
import type { RunResult } from '../results/schema.ts';
import { makePayload } from './publisher.ts';

type Capacity = NonNullable<RunResult['capacity']>;

/** What `measureCapacity` runs against, and for how long. */
export interface CapacityOptions {
  baseUrl: string;
  /** Per endpoint. */
  durationMs: number;
  payloadBytes: number;
  /** The techniques of the run: only their polling endpoints are measured (publish always is). Default every one. */
  techniques?: readonly string[];
  /** autocannon connections. Default 10. */
  connections?: number;
  /** Called with each endpoint's name as its run starts. */
  onEndpoint?: (name: string, index: number, total: number) => void;
}

const topic = 'capacity';

function run(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error as Error) : resolve(result)));
  });
}

/** The endpoints `measureCapacity` would run for `techniques` (default all): their polling routes, the baselines beside them, then publish. */
export function capacityEndpoints(techniques?: readonly string[]): string[] {
  const polling = pollingEndpoints.filter((name) => techniques === undefined || techniques.includes(name));
  return [...polling, ...(polling.length > 0 ? capacityBaselines : []), 'publish'];
}

/** The baselines measured beside the polling routes (only when the run has one): bare node:http, then minimal Koa. */
export const capacityBaselines = ['baseline-node-http', 'baseline-koa'] as const;

const capacityServer = resolve(dirname(fileURLToPath(import.meta.url)), 'capacity-server.ts');

const pollingEndpoints = ['short-poll', 'long-poll', 'jsonp'];

/** Measures `short-poll`, `long-poll` and `jsonp` (answered at once, `timeout=0`) where the run has them, and `publish`. */
export async function measureCapacity(options: CapacityOptions): Promise<Capacity> {
  const payload = makePayload(process.hrtime.bigint(), options.payloadBytes);
  const seeded = await fetch(`${options.baseUrl}/api/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ topic, data: payload }),
  });
  if (seeded.status !== 202) throw new Error(`capacity: seeding publish answered ${seeded.status}`);

  const shortPollUrl = `${options.baseUrl}/api/short-poll?topic=${topic}&since=0`;
  const wanted = capacityEndpoints(options.techniques);
  const all: [string, Partial<autocannon.Options>][] = [
    ['short-poll', { url: shortPollUrl }],
    ['long-poll', { url: `${options.baseUrl}/api/long-poll?topic=${topic}&since=0&timeout=0` }],
    ['jsonp', { url: `${options.baseUrl}/api/jsonp?callback=cb&topic=${topic}&since=0&timeout=0` }],
    [
      'publish',
      {
        url: `${options.baseUrl}/api/publish`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // Another topic, so the polls above keep answering the same one message.
        body: JSON.stringify({ topic: `${topic}-publish`, data: payload }),
      },
    ],
  ];
  const endpoints = all.filter(([name]) => wanted.includes(name));
  // The baselines answer the body pushlab's short poll answers, each from its own process on the server's core.
  const baselines: { name: string; stop(): Promise<void> }[] = [];
  if (endpoints.some(([name]) => pollingEndpoints.includes(name))) {
    const answer = await fetch(shortPollUrl);
    const body = Buffer.from(await answer.arrayBuffer()).toString('base64');
    const type = answer.headers.get('content-type') ?? 'application/json; charset=utf-8';
    for (const name of capacityBaselines) {
      const kind = name.slice('baseline-'.length);
      const server = await spawnServer({
        script: capacityServer,
        args: ['--kind', kind, '--body', body, '--type', type],
        name: `capacity-${kind}`,
        core: 0,
      });
      baselines.push({
        name,
        stop: async () => {
          await server.stop();
        },
      });
      endpoints.splice(endpoints.length - (wanted.includes('publish') ? 1 : 0), 0, [
        name,
        { url: `${server.url}/api/short-poll?topic=${topic}&since=0` },
      ]);
    }
  }
  try {
    return await measureEndpoints(endpoints, options, shortPollUrl);
  } finally {
    for (const baseline of baselines) await baseline.stop();
  }
}

/** Runs autocannon on each endpoint in turn, after one short unrecorded warm-up run. */
async function measureEndpoints(
  endpoints: [string, Partial<autocannon.Options>][],
  options: CapacityOptions,
  shortPollUrl: string,
): Promise<Capacity> {
  // A short unrecorded run first, so the first endpoint measured does not pay for the server's JIT warm-up.
  const [, first] = endpoints[0] as [string, Partial<autocannon.Options>];
  await run({ ...first, url: first.url ?? shortPollUrl, connections: options.connections ?? 10, amount: 500 });
  const capacity: Capacity = {};
  for (const [index, [name, endpoint]] of endpoints.entries()) {
    options.onEndpoint?.(name, index, endpoints.length);
    // A baseline is a fresh process: the same unrecorded warm-up as the server had.
    if (name.startsWith('baseline-'))
      await run({ ...endpoint, url: endpoint.url ?? shortPollUrl, connections: options.connections ?? 10, amount: 500 });
    const result = await run({
      url: endpoint.url ?? options.baseUrl,
      ...endpoint,
      connections: options.connections ?? 10,
      duration: options.durationMs / 1000,
      // autocannon stops at its first sample after `duration`; sampling every 100 ms keeps short runs short.
      sampleInt: 100,
    });
    const seconds = result.duration > 0 ? result.duration : options.durationMs / 1000;
    capacity[name] = {
      requestsPerSecond: Math.round(result.requests.total / seconds),
      latencyMs: { p50: result.latency.p50, p99: result.latency.p99 },
      errors: result.errors + result.non2xx,
    };
  }
  return capacity;
}
