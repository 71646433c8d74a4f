/** Graceful shutdown of the real process: one client per technique, SIGTERM, an exit in time. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { WebSocket } from 'ws';
import { createPushServer } from '../../server/app.ts';
import { record, type RecordingClient } from '../helpers/clients.ts';
import { until } from '../helpers/server.ts';
import { techniqueIds } from '../../bench/clients/wire/index.ts';

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
      return (
        /pushlab_open_connections\{technique="long-poll"\} 1/.test(text) && /pushlab_open_connections\{technique="websocket"\} 2/.test(text)
      );
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

  it('while shutting down, a request on a kept-alive socket gets 503 instead of a stream the close would cut', async () => {
    const server = createPushServer({ shutdownMs: 2000 });
    const url = new URL(await server.listen(0));
    try {
      const socket = connect(Number(url.port), url.hostname);
      socket.setEncoding('latin1');
      let text = '';
      let closing: Promise<void> | undefined;
      const second = new Promise<string>((resolve, reject) => {
        socket.on('error', reject);
        socket.on('end', () => resolve(text));
        socket.on('data', (chunk: string) => {
          text += chunk;
          // The first stream is open: shut down, which ends it cleanly on this socket.
          if (closing === undefined && text.includes('event: cursor')) closing = server.close();
          // The stream's last chunk: at once, as a browser reusing the socket would, ask for another.
          if (text.includes('\r\n0\r\n\r\n') && !text.includes('GET-SENT')) {
            text += 'GET-SENT';
            socket.write('GET /api/sse?topic=lobby&since=0 HTTP/1.1\r\nHost: localhost\r\n\r\n');
          }
        });
      });
      socket.write('GET /api/sse?topic=lobby HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n');
      const [, answer = ''] = (await second).split('GET-SENT');
      // Either the sweep closed the idle socket first (nothing) or the answer is a refusal, never a stream.
      if (answer !== '') {
        expect(answer).toMatch(/^HTTP\/1\.1 503 /);
        expect(answer).toMatch(/\r\nretry-after: 1\r\n/i);
        expect(answer).toMatch(/\r\nconnection: close\r\n/i);
        expect(answer).not.toMatch(/text\/event-stream/);
      }
      await closing;
    } finally {
      await server.close();
    }
  });
});
