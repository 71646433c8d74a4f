/** `npm run report` as a user runs it: files in, report.md + report.html + charts/*.svg out. */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
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
    expect(svgs).toHaveLength(11);
    expect(stdout).toContain('11 charts');
    expect(stdout).toContain(`open ${pathToFileURL(join(outDir, 'report.html')).href}\n`);
    const linked = [...markdown.matchAll(/!\[[^\]]*\]\((charts\/[^)]+\.svg)\)/g)].map((m) => m[1]?.slice('charts/'.length)).sort();
    expect(linked).toEqual(svgs);
    expect(html.match(/<figure class="chart"/g)).toHaveLength(11);
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
    expect(svgs).toHaveLength(2);
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

  it('compares two runs: a regression table per row, changes inside the noise marked, printed and written', async () => {
    const older = join(fixtureDir, 'ticker-2025-11-20T10-00-00Z.json');
    const newer = join(fixtureDir, 'ticker-2025-11-21T09-30-00Z.json');
    const { stdout, stderr, code } = await report(['--compare', older, newer, '--out', outDir]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ticker: 2025-11-20T10:00:00.000Z \(commit 07ac4d4\) → 2025-11-21T09:30:00.000Z \(commit a6d84f3\)$/m);
    expect(stdout).toMatch(/^row +p50 ms +p99 ms +bytes\/msg +CPU ms\/1k +memory\/conn$/m);
    // jsonp: p50 3.1 → 3.32 is +7.2 %, inside 10 %; its CPU 26.1 → 29.2 is +12 %, a regression.
    expect(stdout).toMatch(/^jsonp +3\.1 → 3\.32 \(\+7\.2 %, noise\) .* 26\.1 → 29\.2 \(\+12\.0 % ▲ worse\)/m);
    expect(stdout).toContain(`open ${pathToFileURL(join(outDir, 'compare.html')).href}`);
    expect(await readFile(join(outDir, 'compare.md'), 'utf8')).toContain('| `jsonp` | 3.1 → 3.32 (+7.2 %, noise) |');
    // A directory stands for every results file in it: the newest run per scenario is compared.
    const both = await report(['--compare', older, fixtureDir, '--out', outDir]);
    expect(both.stdout).toContain('→ 2025-11-21T09:30:00.000Z');
  });

  it('refuses a compare with one path', async () => {
    const { stderr, code } = await report(['--compare', fixtureDir, '--out', outDir]);
    expect(code).toBe(1);
    expect(stderr).toContain('report: --compare takes two paths, <old> <new>');
  });

  it('documents its flags', async () => {
    const { stdout, code } = await report(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('--out <dir>');
    expect(stdout).toMatch(/default:\s+"results"/);
  });
});
