/**
 * Refused upgrades, over raw sockets: a request target `new URL()` rejects is a 400, and a
 * client that resets right after a refused upgrade cannot take the process down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, upgradeRequest } from '../helpers/raw.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let port: number;
beforeAll(async () => {
  server = await startServer();
  port = Number(new URL(server.url).port);
});
afterAll(() => server.close());

describe('an upgrade whose request target is no URL', () => {
  it.each(['//x:99999/', '//[/', 'http://a%zz/', '//@:/', 'http://[::1/api/ws'])(
    '%s gets a 400 on the raw socket, and the server lives on',
    async (target) => {
      for (const upgrade of ['foo', 'websocket']) {
        const request = `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: ${upgrade}\r\n\r\n`;
        const answer = await rawRequest(port, request);
        expect(answer.status).toBe(400);
        expect(answer.text).toMatch(/Connection: close/);
        expect(answer.text).not.toContain(target);
      }
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    },
  );
});

describe('a refused upgrade whose client resets at once', () => {
  it.each([
    ['a wrong path (404)', upgradeRequest('/nope')],
    ['a bad topic (400)', upgradeRequest('/api/ws?topic=%20')],
    ['a foreign Origin (403)', upgradeRequest('/api/ws', ['Origin: https://evil.example'])],
    ['a foreign Host (403)', upgradeRequest('/api/ws', [], 'rebind.evil.example')],
  ])('%s: 100 of them leave the server answering', async (_, request) => {
    const first = await rawRequest(port, request);
    expect(first.status).toBeGreaterThanOrEqual(400);
    for (let i = 0; i < 100; i++) await rawRequest(port, request, { reset: true, ms: 50 });
    expect(await (await fetch(`${server.url}/healthz`)).text()).toBe('ok');
  });
});
