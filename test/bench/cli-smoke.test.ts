/**
 * The `smoke` scenario end to end through the real CLI: a server process per technique, the
 * results file written and validated, and every figure present and plausible.
 */
import { techniqueIds } from '../../registry/techniques.ts';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runResultSchema, type RunResult } from '../../bench/results/schema.ts';

const techniques = [...techniqueIds];
let stdout = '';
let stderr = '';
let exitCode: number | null = null;
let out = '';

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'pushlab-bench-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/cli.ts', '--scenario', 'smoke', '--out', out, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  exitCode = await new Promise((resolve) => child.once('exit', resolve));
}, 60_000);

describe('npm run bench -- --scenario smoke --json', () => {
  it('exits 0 and writes one results file, the same JSON it prints', async () => {
    expect(exitCode, stderr).toBe(0);
    const files = (await readdir(out)).filter((file) => file.endsWith('.json'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^smoke-.*\.json$/);
    const written = JSON.parse(await readFile(join(out, files[0] as string), 'utf8')) as unknown;
    expect(JSON.parse(stdout)).toEqual(written);
    expect(stderr).toMatch(/sse measure/);
  });

  it('writes the report of the run: Markdown, HTML and an SVG per chart', async () => {
    const markdown = await readFile(join(out, 'report.md'), 'utf8');
    const html = await readFile(join(out, 'report.html'), 'utf8');
    const charts = (await readdir(join(out, 'charts'))).filter((file) => file.endsWith('.svg'));
    expect(charts.length).toBeGreaterThanOrEqual(4);
    for (const chart of charts) expect(markdown).toContain(`charts/${chart}`);
    for (const technique of techniques) expect(html).toContain(technique);
    expect(html.match(/<svg/g)?.length).toBeGreaterThanOrEqual(charts.length);
  });

  it('validates, runs all six techniques, and loses nothing', () => {
    const result: RunResult = runResultSchema.parse(JSON.parse(stdout));
    expect(result.scenario).toBe('smoke');
    expect(Object.keys(result.techniques)).toEqual(techniques);
    expect(result.environment.cores).toBeGreaterThanOrEqual(1);
    expect(result.environment.commit).not.toBe('');
    for (const [key, row] of Object.entries(result.techniques)) {
      expect(row.technique, key).toBe(key);
      expect(row.clients, key).toBe(4);
      expect(row.published, key).toBeGreaterThan(0);
      // 4 clients over 2 topics: each message is expected by 2 subscribers.
      expect(row.expected, key).toBe(row.published * 2);
      expect(row.delivered, key).toBe(row.expected);
      expect([row.lost, row.duplicated, row.outOfOrder, row.gaps], key).toEqual([0, 0, 0, 0]);
    }
  });

  it('reports every figure, each plausible', () => {
    const result = runResultSchema.parse(JSON.parse(stdout));
    for (const [key, row] of Object.entries(result.techniques)) {
      const { p50, p90, p99, max } = row.latencyMs;
      expect(p50, key).toBeGreaterThan(0);
      expect(p50 <= p90 && p90 <= p99 && p99 <= max, `${key} percentiles ascend`).toBe(true);
      expect(max, key).toBeLessThan(5000);
      const cdf = row.latencyCdf ?? [];
      expect(cdf.length, key).toBeGreaterThan(10);
      for (let i = 1; i < cdf.length; i++)
        expect(cdf[i]![0] > cdf[i - 1]![0] && cdf[i]![1] >= cdf[i - 1]![1], `${key} CDF ascends`).toBe(true);
      // Wire bytes carry the 256-byte payload plus headers or framing.
      expect(row.bytesPerMessage, key).toBeGreaterThan(256);
      expect(row.bytesPerMessage, key).toBeLessThan(4096);
      expect(row.payloadShare, key).toBeGreaterThan(0);
      expect(row.payloadShare, key).toBeLessThan(1);
      expect(row.serverCpuMsPer1kMessages, key).toBeGreaterThan(0);
      expect(Number.isFinite(row.serverRssBytesPerConnection), key).toBe(true);
      expect(Math.abs(row.serverRssBytesPerConnection), key).toBeLessThan(64 * 1024 * 1024);
      for (const share of [row.serverCpuShare, row.loadCpuShare, row.loadElu]) {
        expect(share, key).toBeGreaterThan(0);
        expect(share, key).toBeLessThan(2);
      }
      expect(row.bottleneck, key).toMatch(/^(none|load|server)$/);
      // Publishes are acknowledged after they were due, never before.
      expect(row.publishLagMs?.p50, key).toBeGreaterThan(0);
    }
    const rows = result.techniques;
    // Polls pay a request per answer; streams opened theirs before the window.
    for (const polled of ['long-poll', 'jsonp']) expect(rows[polled]!.requestsPerMessage, polled).toBeGreaterThan(0.3);
    expect(rows['short-poll']!.requestsPerMessage).toBeGreaterThan(0.3);
    // Empty polls happen or not by timing; the count must be there either way.
    expect(rows['short-poll']!.emptyResponses).toBeGreaterThanOrEqual(0);
    for (const streamed of ['sse', 'websocket']) expect(rows[streamed]!.requestsPerMessage, streamed).toBe(0);
  });

  it('measures request/response capacity of the polling endpoints and publish', () => {
    const result = runResultSchema.parse(JSON.parse(stdout));
    expect(Object.keys(result.capacity ?? {})).toEqual([
      'short-poll',
      'long-poll',
      'jsonp',
      'baseline-node-http',
      'baseline-koa',
      'publish',
    ]);
    for (const [name, capacity] of Object.entries(result.capacity ?? {})) {
      expect(capacity.requestsPerSecond, name).toBeGreaterThan(0);
      expect(capacity.errors, name).toBe(0);
    }
  });
});
