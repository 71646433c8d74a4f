/**
 * `npm start` as a newcomer runs it: the first line of the server names its URL, one line per
 * page follows, and SIGTERM to the npm process (what a supervisor or `kill <pid>` sends to
 * what the user started) stops the server and frees its port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../helpers/server.ts';

let npm: ChildProcess | undefined;
afterEach(() => {
  // The whole group, whatever survived: npm, its shell, the server.
  if (npm?.pid !== undefined) {
    try {
      process.kill(-npm.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  npm = undefined;
});

/** Whether something accepts connections on `port` of 127.0.0.1. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('npm start', () => {
  it('prints the URL and each page, and SIGTERM to npm stops the server and frees the port', { timeout: 40_000 }, async () => {
    // Its own process group, so the cleanup can reach every process npm started.
    npm = spawn('npm', ['start', '--', '--port', '0'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const reader = createInterface({ input: npm.stdout! });
    reader.on('line', (line) => lines.push(line));
    await until(() => lines.some((line) => line.includes('/chat')), 'the page list after the URL', 30_000);
    const first = lines.findIndex((line) => line.startsWith('pushlab listening on '));
    expect(first, lines.join('\n')).toBeGreaterThanOrEqual(0);
    const url = lines[first]!.slice('pushlab listening on '.length);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const pages = lines.slice(first + 1, first + 9).map((line) => line.trim().split(/\s+/)[1]);
    expect(pages).toEqual([
      `${url}/`,
      ...['short-poll', 'long-poll', 'jsonp', 'iframe', 'sse', 'websocket'].map((id) => `${url}/demo/${id}`),
      `${url}/chat`,
    ]);
    const port = Number(new URL(url).port);
    expect(await (await fetch(`${url}/healthz`)).text()).toBe('ok');

    const exited = once(npm, 'exit');
    npm.kill('SIGTERM'); // npm's pid only, not its group: as `kill <pid>` would
    await exited;
    // The server behind npm must be gone too: nothing holds the port any more.
    await until(async () => !(await listening(port)), `port ${port} to be freed after SIGTERM to npm`, 10_000);
  });
});
