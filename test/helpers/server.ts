/** Starts a real pushlab server on an ephemeral port for a test, and talks to it as a client would. */
import { metricValue } from '../../bench/processes/prometheus.ts';
import { createPushServer, type CreateOptions, type PushServer } from '../../server/app.ts';

export interface TestServer {
  readonly push: PushServer;
  readonly url: string;
  /** POSTs `{topic, data}` to /api/publish; resolves with the assigned id. */
  publish(data: unknown, topic?: string): Promise<number>;
  /** POSTs a batch `{"messages": [...]}` to /api/publish; resolves with the assigned ids, in order. */
  publishBatch(messages: readonly { topic?: string; data: unknown }[]): Promise<number[]>;
  /** The value of one sample of /metrics, such as `pushlab_open_connections{technique="sse"}`. */
  metric(name: string, technique?: string): Promise<number>;
  close(): Promise<void>;
}

/** Where the test server listens. */
export interface ListenOptions {
  /** The address to bind; default 127.0.0.1. `0.0.0.0` is the exposed posture (no loopback Host check). */
  host?: string;
}

/**
 * Tests publish in bursts from one address, so the publish rate limit is off unless a test
 * sets it; and they read /metrics right after acting, so its render cache is off too.
 * `port` (default 0, a free one) lets a test restart a server where it was.
 */
export async function startServer(options: CreateOptions & { port?: number } = {}, listen: ListenOptions = {}): Promise<TestServer> {
  const { port = 0, ...rest } = options;
  const push = createPushServer({ publishRatePerSecond: 0, metricsCacheMs: 0, ...rest });
  const bound = await push.listen(port, listen.host);
  // A wildcard address is listened on, not connected to: talk to it over loopback.
  const url = bound.replace(/^http:\/\/(0\.0\.0\.0|\[::\])/, 'http://127.0.0.1');
  return {
    push,
    url,
    publish: (data, topic) => publishTo(url, data, topic),
    async publishBatch(messages) {
      const response = await fetch(`${url}/api/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages }),
      });
      if (response.status !== 202) throw new Error(`publish: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { ids: number[] }).ids;
    },
    async metric(name, technique) {
      const value = metricValue(await (await fetch(`${url}/metrics`)).text(), name, technique);
      if (value === undefined) throw new Error(`no metric ${name}${technique === undefined ? '' : ` of ${technique}`}`);
      return value;
    },
    close: () => push.close(),
  };
}

/** Resolves once `predicate()` holds, polling every 10 ms; rejects with `what` after `ms`. */
export async function until(predicate: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The integers `from` … `to`, both included: the ids a test expects. */
export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * Publishes `data` (to `topic`, default the server's) at the server at `baseUrl` and resolves
 * with its id; throws unless the answer is 202.
 */
export async function publishTo(baseUrl: string, data: unknown, topic?: string): Promise<number> {
  const send = () =>
    fetch(`${baseUrl}/api/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(topic === undefined ? { data } : { topic, data }),
    });
  // After a restart on the same port, fetch's pool may still hold a socket the old server
  // closed: that one attempt fails before anything was sent, so it is tried once more.
  const response = await send().catch((error: unknown) => {
    if ((error as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw error;
    return send();
  });
  if (response.status !== 202) throw new Error(`publish: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { id: number }).id;
}
