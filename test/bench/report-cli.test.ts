/** `npm run report` as a user runs it: files in, report.md + report.html + charts/*.svg out. */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listResultsFiles } from '../../bench/report/index.ts';
import { fixtureDir } from '../helpers/results-fixtures.ts';

const run = promisify(execFile);
let outDir: string;

/** Runs the report CLI with tsx, as `npm run report -- …` does; resolves with its output and exit code. */
async function report(args: readonly string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'bench/report-cli.ts', ...args], { timeout: 30_000 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'pushlab-report-'));
});
afterAll(async () => {
  await rm(outDir, { recursive: true, force: true });
});

describe('npm run report', () => {
  it('writes the Markdown, the HTML and one SVG file per chart', async () => {
    const files = await listResultsFiles(fixtureDir);
    const { stdout, stderr, code } = await report([...files, '--out', outDir]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('report of 4 results files');
    const markdown = await readFile(join(outDir, 'report.md'), 'utf8');
    const html = await readFile(join(outDir, 'report.html'), 'utf8');
    const svgs = (await readdir(join(outDir, 'charts'))).sort();
    expect(svgs).toHaveLength(21);
    expect(stdout).toContain('21 charts');
    const linked = [...markdown.matchAll(/!\[[^\]]*\]\((charts\/[^)]+\.svg)\)/g)].map((m) => m[1]?.slice('charts/'.length)).sort();
    expect(linked).toEqual(svgs);
    expect(html.match(/<figure class="chart"/g)).toHaveLength(21);
    for (const name of svgs) {
      const svg = await readFile(join(outDir, 'charts', name), 'utf8');
      expect(svg).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" /);
    }
  });

  it('removes charts a previous report left behind', async () => {
    await writeFile(join(outDir, 'charts', 'gone-latency.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    const { code } = await report([join(fixtureDir, 'poll-interval-sweep-2025-11-21T09-40-00Z.json'), '--out', outDir]);
    expect(code).toBe(0);
    const svgs = await readdir(join(outDir, 'charts'));
    expect(svgs).toHaveLength(7);
    expect(svgs.every((name) => name.startsWith('poll-interval-sweep-'))).toBe(true);
  });

  it('stops on a bad results file with a message naming the file and the field', async () => {
    const bad = join(outDir, 'bad.json');
    const text = (await readFile(join(fixtureDir, 'poll-interval-sweep-2025-11-21T09-40-00Z.json'), 'utf8')).replace(
      '"p50": 0.9,',
      '"p50": "fast",',
    );
    await writeFile(bad, text);
    const { stderr, code } = await report([bad, '--out', outDir]);
    expect(code).toBe(1);
    expect(stderr).toContain(`report: ${bad}: not a pushlab results file: techniques.sse.latencyMs.p50:`);
    expect(stderr).not.toContain('    at '); // a message, not a stack trace
  });

  it('documents its flags', async () => {
    const { stdout, code } = await report(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('--out <dir>');
    expect(stdout).toMatch(/default:\s+"results"/);
  });
});
