/**
 * deploy/nginx.conf as the benchmark runs it (bench/processes/nginx.ts): the generated config
 * keeps every proxy setting and its comment, streams unbuffered, and times out a read only
 * after the longest hold, the stream heartbeat and the WebSocket ping; over the wire, a
 * WebSocket upgrade reaches the backend (it fails without the Upgrade header passed on), and
 * a streamed event arrives while its response is open. That last one does not guard
 * `proxy_buffering off` by itself: nginx passes a first small chunk on even when it buffers
 * (tried: it still passed with buffering on); the directive's own check fails then.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { deployedConfigPath, nginxConfig, startNginxProcess, type NginxProcess } from '../../../bench/processes/nginx.ts';
import { defaultOptions } from '../../../server/options.ts';
import { skipNginx } from '../../helpers/nginx.ts';
import { until } from '../../helpers/server.ts';

const deployed = readFileSync(deployedConfigPath, 'utf8');

/** The value of `directive` in the `location /` block (the last one written). */
function directive(config: string, name: string): string | undefined {
  const matches = [...config.matchAll(new RegExp(`^\\s*${name}\\s+([^;]+);`, 'gm'))];
  return matches.at(-1)?.[1]?.trim();
}

/** nginx's time syntax (`75s`, `2m`, `500ms`, bare seconds) in ms. */
function nginxTimeMs(value: string): number {
  const match = /^(\d+)(ms|s|m)?$/.exec(value);
  if (match === null) throw new Error(`not an nginx time: ${value}`);
  const unit = match[2] ?? 's';
  return Number(match[1]) * (unit === 'ms' ? 1 : unit === 'm' ? 60_000 : 1000);
}

describe('deploy/nginx.conf, as generated for a run', () => {
  const config = nginxConfig(deployed, { backends: ['127.0.0.1:4001', '127.0.0.1:4002'], port: 4000, prefix: '/tmp/x' });

  it('changes only the upstreams, the listen port, the workers and where files go; keeps the comments', () => {
    expect(config).toContain('upstream pushlab {\n    server 127.0.0.1:4001;\n    server 127.0.0.1:4002;');
    expect(config).not.toContain('127.0.0.1:3001');
    expect(config).toContain('listen 127.0.0.1:4000;');
    expect(config).toMatch(/^daemon off;$/m);
    expect(config).toContain('worker_processes 1;');
    for (const pitfall of ['RFC 6202 section 3.2', 'RFC 6202 section 5.5', 'RFC 6455 section 4']) expect(config).toContain(pitfall);
    const directives = config.replace(/#.*$/gm, '');
    expect(directives).not.toMatch(/ip_hash|sticky|hash \$/);
  });

  it('streams unbuffered, passes the upgrade on, speaks HTTP/1.1 to the backends', () => {
    expect(directive(config, 'proxy_buffering')).toBe('off');
    expect(directive(config, 'proxy_http_version')).toBe('1.1');
    expect(directive(config, 'proxy_set_header Upgrade')).toBe('$http_upgrade');
    expect(directive(config, 'proxy_set_header Connection')).toBe('$connection_upgrade');
    expect(directive(config, 'gzip')).toBe('off');
  });

  it('times out a read only after the longest hold, the stream heartbeat and the WebSocket ping', () => {
    const readMs = nginxTimeMs(directive(config, 'proxy_read_timeout') ?? '60s');
    expect(readMs).toBeGreaterThan(defaultOptions.maxHoldMs);
    expect(readMs).toBeGreaterThan(defaultOptions.heartbeatMs);
    expect(readMs).toBeGreaterThan(defaultOptions.pingMs);
    expect(nginxTimeMs(directive(config, 'proxy_send_timeout') ?? '60s')).toBeGreaterThan(defaultOptions.maxHoldMs);
  });

  it('refuses a deployed file that lost what a run replaces', () => {
    expect(() =>
      nginxConfig(deployed.replace('listen 8080;', 'listen 80;'), { backends: ['127.0.0.1:1'], port: 1, prefix: '/tmp/x' }),
    ).toThrow(/no longer has/);
  });
});

describe.skipIf(skipNginx)('through nginx, over the wire', () => {
  let backend: Server;
  let nginx: NginxProcess;
  const streams = new Set<import('node:http').ServerResponse>();
  beforeAll(async () => {
    // A plain backend: a stream that writes one event and stays open, with no header asking a proxy not to buffer.
    backend = createServer((req, res) => {
      if (req.url === '/stream') {
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        res.write('data: first\n\n');
        streams.add(res);
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
    });
    const wss = new WebSocketServer({ noServer: true });
    backend.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => ws.send(`upgraded ${req.url}`)));
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    const address = backend.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    nginx = await startNginxProcess({ backends: [`127.0.0.1:${port}`] });
  }, 20_000);
  afterAll(async () => {
    for (const res of streams) res.end();
    await nginx?.stop();
    backend?.closeAllConnections();
    await new Promise((resolve) => backend?.close(resolve));
  });

  it('passes a streamed event on while the response is still open', async () => {
    const controller = new AbortController();
    const response = await fetch(`${nginx.url}/stream`, { signal: controller.signal });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    let text = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += Buffer.from(value).toString();
      }
    })().catch(() => undefined);
    await until(() => text.includes('data: first'), 'the first event through nginx before the stream ends', 5000);
    controller.abort();
    await reading;
  });

  it('upgrades a WebSocket through to the backend', async () => {
    const ws = new WebSocket(`${nginx.url.replace(/^http/, 'ws')}/api/ws?topic=up`);
    const first = await new Promise<string>((resolve, reject) => {
      ws.once('message', (data) => resolve(data.toString()));
      ws.once('error', reject);
      ws.once('unexpected-response', (_, res) => reject(new Error(`upgrade answered ${res.statusCode}`)));
    });
    ws.close();
    expect(first).toBe('upgraded /api/ws?topic=up');
  });
});
