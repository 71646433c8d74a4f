/**
 * Thresholds through the real CLI: a `smoke` run judged by `--threshold`, as a CI job runs it.
 * A threshold that must fail exits with the documented code (3), distinct from a usage error (2);
 * thresholds that pass exit 0; each is listed in the summary as passed or failed.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runResultSchema } from '../../bench/results/schema.ts';
import { thresholdFailedExitCode } from '../../bench/results/thresholds.ts';

let out = '';

async function bench(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'bench/cli.ts',
      '--scenario',
      'smoke',
      '-t',
      'sse,websocket',
      '--no-report',
      '--out',
      join(out, args.join(' ').replace(/[^a-z0-9]+/gi, '-')),
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'pushlab-thresholds-'));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

describe('npm run bench -- --threshold', () => {
  it('exits 3 when a threshold fails, and says which on stdout and stderr', async () => {
    // No delivery arrives in under a microsecond: this one must fail.
    const run = await bench('--threshold', 'p50<0.001', '--threshold', 'websocket:lost==0');
    expect(thresholdFailedExitCode).toBe(3);
    expect(run.code, run.stderr).toBe(thresholdFailedExitCode);
    expect(run.stdout).toContain('Thresholds: 1 of 4 FAILED');
    expect(run.stdout).toMatch(/✗ p50<0\.001 {2}FAILED on 2 of 2: sse \S+, websocket \S+/);
    expect(run.stdout).toMatch(/✓ websocket:lost==0 {2}passed \(1 row\)/);
    expect(run.stdout).toMatch(/✓ lost==0 {2}passed \(2 rows\)/);
    expect(run.stderr).toContain('bench: 1 threshold failed: p50<0.001');
    // Each row records its window over time: every first delivery lands in a 100 ms bucket.
    const dir = join(out, (await readdir(out)).find((name) => name.includes('0-001')) ?? '');
    const [file] = (await readdir(dir)).filter((name) => name.endsWith('.json'));
    const result = runResultSchema.parse(JSON.parse(await readFile(join(dir, file ?? ''), 'utf8')));
    for (const [key, row] of Object.entries(result.techniques)) {
      const buckets = row.timeline?.buckets ?? [];
      expect(row.timeline?.bucketMs, key).toBe(100);
      expect(buckets.length, key).toBeGreaterThanOrEqual(8); // a 1 s window
      const counted = buckets.reduce((sum, [, count]) => sum + count, 0);
      expect(counted, key).toBeGreaterThanOrEqual(row.delivered * 0.9);
      expect(counted, key).toBeLessThanOrEqual(row.delivered);
    }
  }, 90_000);

  it('exits 0 when every threshold passes, and lists them; --repeat 2 records both runs of each row', async () => {
    const run = await bench('--threshold', 'p99<60000', '--threshold', 'sse:requestsPerMessage==0', '--repeat', '2');
    expect(run.code, run.stderr).toBe(0);
    const dir = join(out, (await readdir(out)).find((name) => name.includes('repeat')) ?? '');
    const [file] = (await readdir(dir)).filter((name) => name.endsWith('.json'));
    const result = runResultSchema.parse(JSON.parse(await readFile(join(dir, file ?? ''), 'utf8')));
    for (const [key, row] of Object.entries(result.techniques)) expect(row.repeats?.runs, key).toHaveLength(2);
    expect(run.stdout).toContain('Thresholds: all passed');
    expect(run.stdout).toMatch(/✓ sse:requestsPerMessage==0 {2}passed \(1 row\)/);
    for (const line of run.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(100);
  }, 90_000);

  it('refuses a threshold that does not parse as a usage error (2), before running anything', async () => {
    const run = await bench('--threshold', 'p99<<5');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error: option '--threshold <expr>' argument 'p99<<5' is invalid. threshold \"p99<<5\" is not");
    expect(run.stdout).toBe('');
  }, 30_000);
});
