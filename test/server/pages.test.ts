/** The page and asset routes over HTTP: status, content types, caching, and markup fit for a strict CSP. */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { techniqueIds } from '../../client/lib/types.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

describe('pages', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  const pagePaths = ['/', '/chat', ...techniqueIds.map((id) => `/demo/${id}`)];

  it.each(pagePaths)('%s is HTML with no inline script, handler or style', async (path) => {
    const response = await fetch(`${server.url}${path}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    const html = await response.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<link rel="stylesheet" href="/assets/styles.css">');
    for (const script of html.matchAll(/<script\b[^>]*>/g)) expect(script[0]).toMatch(/ src="\/assets\/[a-z-]+\.js"/);
    expect(html).not.toMatch(/<script>|\son[a-z]+=|\sstyle=|<style/i);
    expect(html).not.toMatch(/https?:\/\//); // offline: nothing from elsewhere
  });

  it('/demo/<unknown> is a 404 page', async () => {
    const response = await fetch(`${server.url}/demo/carrier-pigeon`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toContain('No such page');
  });

  it.each([
    ['demo.js', 'text/javascript; charset=utf-8'],
    ['playground.js', 'text/javascript; charset=utf-8'],
    ['chat.js', 'text/javascript; charset=utf-8'],
    ['short-poll-worker.js', 'text/javascript; charset=utf-8'],
    ['styles.css', 'text/css; charset=utf-8'],
    ['demo.js.map', 'application/json; charset=utf-8'],
    ['favicon.svg', 'image/svg+xml'],
  ])('/assets/%s is %s, revalidated by ETag', async (name, type) => {
    const response = await fetch(`${server.url}/assets/${name}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(type);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(100);
    const etag = response.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    // Not fetch: for a request with If-None-Match it adds `Cache-Control: no-cache`, as the Fetch spec says.
    const again = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      request(`${server.url}/assets/${name}`, { headers: { 'if-none-match': etag as string } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
        .on('error', reject)
        .end();
    });
    expect(again).toEqual({ status: 304, body: '' });
  });

  it('an unknown asset is a 404', async () => {
    const response = await fetch(`${server.url}/assets/nope.js`);
    expect(response.status).toBe(404);
  });
});
