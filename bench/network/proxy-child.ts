/**
 * The delay proxy as its own process, driven over IPC by `startProxyProcess` (proxy-process.ts),
 * so `process.cpuUsage()` here is the proxy's CPU and nothing else's.
 *
 * In: argv[2] is the JSON of `DelayProxyOptions`. Out: `{type:'listening', url, port}`, then
 * `{type:'stats', id, stats}` for each `{type:'stats', id}`; `{type:'close'}` or a lost parent ends it.
 */
import { createDelayProxy, type DelayProxyOptions } from './proxy.ts';

/** What the parent asks the proxy process. */
export type ProxyRequest = { type: 'stats'; id: number } | { type: 'close' };

const send = (message: unknown): void => {
  process.send?.(message);
};

try {
  const options = JSON.parse(process.argv[2] ?? '{}') as DelayProxyOptions;
  const proxy = await createDelayProxy(options);
  process.on('message', (request: ProxyRequest) => {
    if (request.type === 'stats') send({ type: 'stats', id: request.id, stats: proxy.stats() });
    else void proxy.close().then(() => process.exit(0));
  });
  process.on('disconnect', () => void proxy.close().then(() => process.exit(0)));
  send({ type: 'listening', url: proxy.url, port: proxy.port });
} catch (error) {
  send({ type: 'error', message: (error as Error).message });
  process.exit(1);
}
