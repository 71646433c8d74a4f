/**
 * `npm run report -- [results files...] [--out <dir>]`: turns results JSON into
 * `<out>/report.md`, `<out>/report.html` and `<out>/charts/*.svg`.
 */
import { Command } from 'commander';
import { relative } from 'node:path';
import { listResultsFiles, readRunResults, ResultsFileError, writeReport } from './report/index.ts';

/** Where results are read from when no file is named. */
export const defaultResultsDir = 'results';

async function main(argv: readonly string[]): Promise<void> {
  const program = new Command()
    .name('npm run report --')
    .description(
      'Write a Markdown and an HTML report with SVG charts from pushlab results JSON. ' +
        'The newest run of each scenario is reported and compared with the run before it.',
    )
    .argument('[files...]', `results JSON files (default: every ${defaultResultsDir}/*.json, not recursive)`)
    .option('-o, --out <dir>', 'directory for report.md, report.html and charts/', defaultResultsDir)
    .showHelpAfterError()
    .parse(argv, { from: 'node' });
  const files = program.args.length > 0 ? program.args : await listResultsFiles(defaultResultsDir).catch(() => []);
  if (files.length === 0) {
    throw new ResultsFileError(`no results files in ${defaultResultsDir}/: run \`npm run bench\` first, or name files to report`);
  }
  const { out } = program.opts<{ out: string }>();
  const written = await writeReport({ runs: await readRunResults(files), outDir: out });
  const shown = (path: string): string => {
    const near = relative(process.cwd(), path);
    return near === '' || near.startsWith('..') ? path : near;
  };
  process.stdout.write(
    `report of ${files.length} results file${files.length === 1 ? '' : 's'}:\n` +
      `  ${shown(written.markdownPath)}\n  ${shown(written.htmlPath)}\n  ${written.charts.length} charts in ${shown(out)}/charts/\n`,
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
