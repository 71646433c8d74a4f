/** The stored results fixtures of the report tests, read and validated as the CLI does. */
import { fileURLToPath } from 'node:url';
import { listResultsFiles, readRunResults } from '../../bench/report/index.ts';
import type { RunResult } from '../../bench/results/schema.ts';

/** `test/fixtures/results/`: two `ticker` runs, a `poll-interval-sweep`, and a scenario the report does not know. */
export const fixtureDir = fileURLToPath(new URL('../fixtures/results/', import.meta.url));

/** Every fixture run. */
export async function fixtureRuns(): Promise<RunResult[]> {
  return readRunResults(await listResultsFiles(fixtureDir));
}
