/**
 * The benchmark CLI's answers to bad flags, by spawning it as a user would: one line of
 * error that names the flag, one line of hint, no help page, a non-zero exit, nothing run.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const out = join(tmpdir(), 'pushlab-cli-errors-never');

function bench(...args: string[]): { status: number | null; stdout: string; lines: string[] } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/cli.ts', ...args, '--out', out], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: run.status, stdout: run.stdout, lines: run.stderr.trim().split('\n') };
}

const hint = "bench: run 'npm run bench -- --help' for every flag and example";

describe('bench CLI errors', () => {
  it.each([
    [['--bogus'], "error: unknown option '--bogus'"],
    [['-c', 'x'], "error: option '-c, --clients <n>' argument 'x' is invalid. expected a positive integer"],
    [['-s', 'smoke', '-p', '10'], "error: option '-p, --payload <bytes>' argument '10' is invalid. Too small: expected number to be >=64"],
    [
      ['-s', 'smoke', '-d', '9999999'],
      "error: option '-d, --duration <ms>' argument '9999999' is invalid. Too big: expected number to be <=600000",
    ],
    [
      ['--server-cpu', '0'],
      "error: option '--server-cpu <share>' argument '0' is invalid. a share of one core, above 0 and at most 1 (e.g. 0.5; 1 for no budget)",
    ],
    [
      ['--server-cpu', '1.5'],
      "error: option '--server-cpu <share>' argument '1.5' is invalid. a share of one core, above 0 and at most 1 (e.g. 0.5; 1 for no budget)",
    ],
    [['--server-cpu', '0.05'], "error: option '--server-cpu <share>' argument '0.05' is invalid. at least 0.1 of a core"],
    [
      ['-t', 'sse,nope'],
      "error: option '-t, --techniques <ids>' argument 'sse,nope' is invalid. unknown technique nope; choose from short-poll, long-poll, jsonp, iframe, sse, websocket",
    ],
  ])('%j: the error, one hint line, no help', (args, error) => {
    const run = bench(...args);
    // 2, as a bad scenario: a failed threshold is 3, so a CI tells them apart.
    expect(run.status).toBe(2);
    expect(run.lines).toEqual([error, hint]);
    expect(run.stdout).toBe('');
  });

  it('an unknown scenario lists the scenarios that exist', () => {
    const run = bench('-s', 'nosuch');
    expect(run.status).toBe(2);
    const stock = readdirSync('scenarios')
      .filter((file) => file.endsWith('.json') && file !== 'suite.json')
      .map((file) => file.slice(0, -'.json'.length))
      .sort();
    expect(stock).toContain('smoke');
    expect(run.lines).toEqual([
      `bench: no scenario named "nosuch"; the scenarios are ${stock.join(', ')} (or give a path to a scenario JSON file)`,
    ]);
  });
});
