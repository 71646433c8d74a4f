/**
 * `npm run report -- [results files...] [--out <dir>]`: turns results JSON into
 * `<out>/report.md`, `<out>/report.html` and `<out>/charts/*.svg`, and prints a `file://` URL to open.
 * `npm run report -- --compare <old> <new>`: prints a regression table per scenario and writes
 * `<out>/compare.md` and `<out>/compare.html`.
 */
import { Command } from 'commander';
import { stat, writeFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compareRuns } from './report/compare.ts';
import { listResultsFiles, readRunResults, ResultsFileError, writeReport } from './report/index.ts';
import { htmlTable } from './report/render/html.ts';
import { markdownTable } from './report/render/markdown.ts';
import type { Table } from './report/types.ts';
import { renderTable } from './results/summary.ts';

/** Where results are read from when no file is named. */
export const defaultResultsDir = 'results';

/** A results file, or every `*.json` directly in a directory. */
async function resultsAt(path: string): Promise<string[]> {
  return (await stat(path)).isDirectory() ? listResultsFiles(path) : [path];
}

const plain = (text: string): string => text.replace(/\*\*/g, '').replace(/`/g, '');

async function compare(oldPath: string, newPath: string, out: string): Promise<string> {
  const [older, newer] = await Promise.all([oldPath, newPath].map(async (path) => readRunResults(await resultsAt(path))));
  const tables: Table[] = compareRuns(older ?? [], newer ?? []);
  if (tables.length === 0) throw new ResultsFileError(`no scenario is in both ${oldPath} and ${newPath}: nothing to compare`);
  const text = tables.map(
    (table) =>
      `${plain(table.caption)}\n${renderTable(
        table.columns.map((c) => c.header),
        table.rows.map((row) => row.map(plain)),
      )}`,
  );
  const legend =
    'Each cell: before → after (change). "noise": inside the noise (repeat spreads, or 10 % for single runs); ▲ worse, ▼ better.';
  await writeFile(resolve(out, 'compare.md'), `# pushlab comparison\n\n${legend}\n\n${tables.map(markdownTable).join('\n\n')}\n`);
  const html = `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>pushlab comparison</title><style>body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:1.5rem auto}table{border-collapse:collapse;font-variant-numeric:tabular-nums}th,td{border-bottom:1px solid #d8dbe0;padding:.3rem .6rem}.num{text-align:right}caption{text-align:left;font-weight:600}</style></head><body><h1>pushlab comparison</h1><p>${legend}</p>\n${tables.map(htmlTable).join('\n')}\n</body></html>\n`;
  const htmlPath = resolve(out, 'compare.html');
  await writeFile(htmlPath, html);
  return `${text.join('\n\n')}\n\n${legend}\n\nopen ${pathToFileURL(htmlPath).href}\n`;
}

async function main(argv: readonly string[]): Promise<void> {
  const program = new Command()
    .name('npm run report --')
    .description(
      'Write a Markdown and an HTML report with SVG charts from pushlab results JSON. ' +
        'The newest run of each scenario is reported and compared with the run before it.',
    )
    .argument('[files...]', `results JSON files (default: every ${defaultResultsDir}/*.json, not recursive)`)
    .option('-o, --out <dir>', 'directory for report.md, report.html and charts/ (or compare.md and compare.html)', defaultResultsDir)
    .option('--compare <paths...>', 'compare two results files or directories, <old> <new>: a regression table per row, noise marked')
    .showHelpAfterError()
    .parse(argv, { from: 'node' });
  const { out, compare: pair } = program.opts<{ out: string; compare?: string[] }>();
  if (pair !== undefined) {
    const [oldPath, newPath] = pair;
    if (pair.length !== 2 || oldPath === undefined || newPath === undefined)
      throw new ResultsFileError('--compare takes two paths, <old> <new> (results files or directories)');
    process.stdout.write(await compare(oldPath, newPath, out));
    return;
  }
  const files = program.args.length > 0 ? program.args : await listResultsFiles(defaultResultsDir).catch(() => []);
  if (files.length === 0) {
    throw new ResultsFileError(`no results files in ${defaultResultsDir}/: run \`npm run bench\` first, or name files to report`);
  }
  const written = await writeReport({ runs: await readRunResults(files), outDir: out });
  const shown = (path: string): string => {
    const near = relative(process.cwd(), path);
    return near === '' || near.startsWith('..') ? path : near;
  };
  process.stdout.write(
    `report of ${files.length} results file${files.length === 1 ? '' : 's'}:\n` +
      `  ${shown(written.markdownPath)}\n  ${shown(written.htmlPath)}\n  ${written.charts.length} charts in ${shown(out)}/charts/\n` +
      `open ${pathToFileURL(resolve(written.htmlPath)).href}\n`,
  );
}

main(process.argv).catch((error: unknown) => {
  if (error instanceof ResultsFileError || (error as NodeJS.ErrnoException).code === 'ENOENT') {
    process.stderr.write(`report: ${(error as Error).message}\n`);
  } else {
    process.stderr.write(`report: ${(error as Error).stack ?? String(error)}\n`);
  }
  process.exitCode = 1;
});
