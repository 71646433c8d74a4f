/**
 * The default connection cap comes from the descriptor limit: started with `ulimit -n 256`,
 * the real server process refuses streams with 503 before its descriptors run out, and
 * `/healthz`, `/metrics` and publish keep answering past the cap.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultMaxConnections, fdReserve, parseFdLimit } from '../../server/fd-limit.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
let child: ChildProcess | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  if (child !== undefined && child.exitCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
});

describe('the descriptor limit', () => {
  it('is read from /proc/<pid>/limits, and the cap keeps a reserve of a tenth (at least 64)', () => {
    const text =
      'Limit                     Soft Limit           Hard Limit           Units\nMax open files            256                  4096                 files\n';
    expect(parseFdLimit(text)).toEqual({ soft: 256, hard: 4096 });
    expect(parseFdLimit('Max processes 1 1 processes')).toBeUndefined();
    expect(defaultMaxConnections({ soft: 256, hard: 256 })).toBe(192);
    expect(defaultMaxConnections({ soft: 20_000, hard: 20_000 })).toBe(18_000);
    expect(fdReserve(1_048_576)).toBe(104_858);
    expect(defaultMaxConnections(undefined)).toBe(10_000);
  });
});

/** Starts `server/main.ts` under `ulimit -n <fds>` and resolves with its URL. */
async function startUnderUlimit(fds: number): Promise<string> {
  child = spawn('bash', ['-c', `ulimit -n ${fds} && exec "${process.execPath}" --import tsx server/main.ts --port 0`], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started = child;
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not start within 20 s')), 20_000);
    createInterface({ input: started.stdout as NodeJS.ReadableStream }).once('line', (line) => {
      clearTimeout(timer);
      resolve(line.replace('pushlab listening on ', ''));
    });
    started.once('exit', (code) => reject(new Error(`the server exited with ${String(code)}`)));
  });
}

/** Opens an SSE stream on a raw socket and resolves with its status (0: closed unanswered). */
function openStream(port: number): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    let head = '';
    const timer = setTimeout(() => resolve(0), 5000);
    socket.on('error', () => undefined); // a refusal may close first; the status so far stands
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (status !== null) {
        clearTimeout(timer);
        resolve(Number(status[1]));
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(0);
    });
    socket.write('GET /api/sse HTTP/1.1\r\nHost: localhost\r\n\r\n');
  });
}

describe('past the cap under ulimit -n 256', () => {
  it('streams are refused with 503 (never left unanswered) and the admin routes and publish still answer', async () => {
    const url = await startUnderUlimit(256);
    const port = Number(new URL(url).port);
    const statuses: number[] = [];
    // 192 streams fit (256 less the reserve); 300 attempts go well past the cap and past the
    // descriptors the cap would have used up without the reserve.
    for (let i = 0; i < 300; i++) statuses.push(await openStream(port));
    expect(statuses.filter((status) => status === 200)).toHaveLength(192);
    expect(statuses.filter((status) => status === 503)).toHaveLength(108);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^pushlab_rejected_total\{reason="connections"\} 108$/m);
    const publish = await fetch(`${url}/api/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"data":"still publishing"}',
    });
    expect(publish.status).toBe(202);
  }, 60_000);
});
