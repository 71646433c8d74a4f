/** Graceful shutdown of the real process: one client per technique, SIGTERM, an exit in time. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { record, type RecordingClient } from './helpers/clients.ts';
import { until } from './helpers/server.ts';
import { techniqueIds } from '../bench/clients/index.ts';

let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
});

/** Starts `server/main.ts` with `args`; resolves with the URL from its first line. */
async function startProcess(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = createInterface({ input: child.stdout! });
  const [first] = (await once(lines, 'line')) as [string];
  const match = /^pushlab listening on (http:\/\/\S+)$/.exec(first);
  if (match === null) throw new Error(`unexpected first line: ${first}`);
  return { child, url: match[1] as string };
}

describe('the server process', () => {
  it('prints the port it got for --port 0, and refuses a bad --port', async () => {
    const { child: started, url } = await startProcess(['--port', '0']);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${url}/healthz`)).text()).toBe('ok');
    started.kill('SIGINT');
    const [code] = (await once(started, 'exit')) as [number];
    expect(code).toBe(0);

    const bad = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', '--port', 'eighty'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    bad.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [badCode] = (await once(bad, 'exit')) as [number];
    expect(badCode).not.toBe(0);
    expect(stderr).toMatch(/port/);
  });

  it('on SIGTERM answers held polls, ends streams, closes WebSockets with 1001, and exits within 5 s', async () => {
    const { child: started, url } = await startProcess(['--port', '0']);
    const clients: RecordingClient[] = techniqueIds.map((technique) =>
      record(technique, { baseUrl: url, reconnect: false, intervalMs: 60_000, holdMs: 30_000 }),
    );
    await Promise.all(clients.map(({ client }) => client.ready));
    const ws = new WebSocket(`${url.replace('http', 'ws')}/api/ws`);
    await once(ws, 'open');
    const wsClosed = once(ws, 'close') as Promise<[number]>;
    // Held and streaming connections are open now (short polling holds nothing).
    await until(async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return /pushlab_open_connections\{technique="long-poll"\} 1/.test(text) && /pushlab_open_connections\{technique="websocket"\} 2/.test(text);
    }, 'every held and streaming connection to be open');

    const started_at = Date.now();
    started.kill('SIGTERM');
    const [code] = (await once(started, 'exit')) as [number];
    expect(Date.now() - started_at).toBeLessThan(5000);
    expect(code).toBe(0);
    const [wsCode] = await wsClosed;
    expect(wsCode).toBe(1001);
    // Every held or streaming answer ended cleanly (no reset, no truncated response); the
    // only failure a client may see is its next attempt finding nobody listening.
    for (const { client, errors } of clients) {
      for (const error of errors) expect(`${client.technique}: ${error.message}`).toMatch(/ECONNREFUSED/);
    }
  });
});
