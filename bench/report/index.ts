/**
 * The report: results JSON in, `report.md` + `report.html` + `charts/*.svg` out.
 *
 * `writeReport({ runs, outDir })` is what the benchmark CLI calls at the end of a run;
 * `buildReport`, `renderMarkdown` and `renderHtml` are pure and return the model or a string.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { runResultSchema, type RunResult } from '../results/schema.ts';
import { renderHtml } from './render/html.ts';
import { renderMarkdown } from './render/markdown.ts';
import { buildReport, chartsOf } from './model.ts';

export { buildReport } from './model.ts';
export type { ReportModel, ScenarioReport } from './types.ts';
export { renderHtml } from './render/html.ts';
export { renderMarkdown } from './render/markdown.ts';

export interface WriteReportOptions {
  /** Every run to consider; the newest per scenario is reported, the one before it compared. */
  runs: readonly RunResult[];
  /** Where `report.md`, `report.html` and `charts/` go. Created if missing. */
  outDir: string;
}

export interface WrittenReport {
  markdownPath: string;
  htmlPath: string;
  /** Paths of the SVG files written, one per chart. */
  charts: string[];
}

/** Writes the report of `runs` into `outDir`; stale SVGs in `outDir/charts` from an earlier report are removed. */
export async function writeReport({ runs, outDir }: WriteReportOptions): Promise<WrittenReport> {
  const model = buildReport(runs);
  const chartDir = join(outDir, 'charts');
  await mkdir(chartDir, { recursive: true });
  const charts = model.scenarios.flatMap(chartsOf);
  const wanted = new Set(charts.map((chart) => basename(chart.file)));
  for (const name of await readdir(chartDir)) {
    if (name.endsWith('.svg') && !wanted.has(name)) await rm(join(chartDir, name));
  }
  const chartPaths = await Promise.all(
    charts.map(async (chart) => {
      const path = join(outDir, chart.file);
      await writeFile(path, `<?xml version="1.0" encoding="UTF-8"?>\n${chart.svg}\n`);
      return path;
    }),
  );
  const markdownPath = join(outDir, 'report.md');
  const htmlPath = join(outDir, 'report.html');
  await writeFile(markdownPath, renderMarkdown(model));
  await writeFile(htmlPath, renderHtml(model));
  return { markdownPath, htmlPath, charts: chartPaths };
}

/** A results file that is not JSON or does not match the schema; the message names the file and field. */
export class ResultsFileError extends Error {
  override readonly name = 'ResultsFileError';
}

/** Parses and validates one results file's text; throws `ResultsFileError` naming `path` and the bad field. */
export function parseRunResult(text: string, path: string): RunResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ResultsFileError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = runResultSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(top level)'}: ${issue.message}`);
    const more = parsed.error.issues.length > 3 ? ` (and ${parsed.error.issues.length - 3} more)` : '';
    throw new ResultsFileError(`${path}: not a pushlab results file: ${issues.join('; ')}${more}`);
  }
  return parsed.data;
}

/** Reads and validates results files. */
export async function readRunResults(paths: readonly string[]): Promise<RunResult[]> {
  return Promise.all(paths.map(async (path) => parseRunResult(await readFile(path, 'utf8'), path)));
}

/** The `*.json` files directly in `dir` (not in subfolders), sorted by name. */
export async function listResultsFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
    .map((entry) => join(dir, entry.name))
    .sort();
}
