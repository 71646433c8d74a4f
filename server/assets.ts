/**
 * The browser bundles: `client/` TypeScript and CSS bundled by esbuild into memory, once per
 * process (the output is immutable and tests start many servers in one process), and served
 * from `/assets/<name>` with an ETag.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Where the page sources live. */
export const clientDir = fileURLToPath(new URL('../client/', import.meta.url));

/** One bundled file, ready to serve. */
export interface Asset {
  readonly body: Buffer;
  /** Its Content-Type. */
  readonly type: string;
  /** A strong ETag of the body. */
  readonly etag: string;
}

/** Bundle name → source, relative to `client/`. */
const entryPoints: Record<string, string> = {
  demo: 'pages/demo.ts',
  playground: 'pages/playground.ts',
  chat: 'pages/chat.ts',
  'short-poll-worker': 'lib/short-poll-worker.ts',
  styles: 'styles.css',
};

const types: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Files served as they are, relative to `client/`. */
const staticFiles = ['favicon.svg'];

/** Bundles every page script, the worker and the stylesheet; resolves to name → asset. */
export async function buildAssets(): Promise<Map<string, Asset>> {
  const result = await build({
    entryPoints: Object.fromEntries(Object.entries(entryPoints).map(([name, path]) => [name, join(clientDir, path)])),
    outdir: join(clientDir, 'dist'),
    write: false,
    bundle: true,
    format: 'iife',
    target: ['es2022', 'chrome100', 'firefox100', 'safari15'],
    // Readable output for a teaching tool; the maps point devtools at the TypeScript.
    minify: false,
    sourcemap: 'linked',
    charset: 'utf8',
    logLevel: 'silent',
  });
  const assets = new Map<string, Asset>();
  for (const file of result.outputFiles) {
    const name = basename(file.path);
    const extension = name.endsWith('.map') ? '.map' : name.slice(name.lastIndexOf('.'));
    const body = Buffer.from(file.contents);
    assets.set(name, { body, type: types[extension] ?? 'application/octet-stream', etag: etagOf(body) });
  }
  for (const path of staticFiles) {
    const body = await readFile(join(clientDir, path));
    assets.set(basename(path), { body, type: types[path.slice(path.lastIndexOf('.'))] ?? 'application/octet-stream', etag: etagOf(body) });
  }
  return assets;
}

function etagOf(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

let shared: Promise<Map<string, Asset>> | undefined;

/** The bundles of this process, built on first call. */
export function loadAssets(): Promise<Map<string, Asset>> {
  shared ??= buildAssets();
  return shared;
}
