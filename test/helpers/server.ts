/** Starts a real pushlab server on an ephemeral port for a test, and talks to it as a client would. */
import { metricValue } from '../../bench/processes/prometheus.ts';
import { createPushServer, type CreateOptions, type PushServer } from '../../server/app.ts';

export interface TestServer {
  readonly push: PushServer;
  readonly url: string;
  /** POSTs `{topic, data}` to /api/publish; resolves with the assigned id. */
  publish(data: unknown, topic?: string): Promise<number>;
  /** The value of one sample of /metrics, such as `pushlab_open_connections{technique="sse"}`. */
  metric(name: string, technique?: string): Promise<number>;
  close(): Promise<void>;
}

/** Tests publish in bursts from one address, so the publish rate limit is off unless a test sets it. */
export async function startServer(options: CreateOptions = {}): Promise<TestServer> {
  const push = createPushServer({ publishRatePerSecond: 0, ...options });
  const url = await push.listen(0);
  return {
    push,
    url,
    async publish(data, topic) {
      const response = await fetch(`${url}/api/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(topic === undefined ? { data } : { topic, data }),
      });
      if (response.status !== 202) throw new Error(`publish: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { id: number }).id;
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
