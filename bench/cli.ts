/**
 * `npm run bench -- [flags]`: runs one scenario, or with no `--scenario` the standard suite
 * (`registry/scenarios.ts`, in order); writes one results JSON per scenario into `--out`
 * (default `results`), then the report of every run there (unless `--no-report`), and prints
 * the summary table, or with `--json` the results JSON.
 */
import { readdirSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { techniqueIds, type TechniqueId } from './clients/wire/index.ts';
import { profileNames } from './network/profiles.ts';
import { peerIds, type PeerId } from '../registry/peers.ts';
import { createProgress } from './results/progress.ts';
import { autoServerShare, runBenchmark } from './run/runner.ts';
import { budgetSupport } from './processes/cpu-budget.ts';
import { ScenarioError, scenarioSchema, type Scenario } from './scenario/schema.ts';
import { applyOverrides, loadScenario, loadSuite, scenariosDir, type Overrides } from './scenario/load.ts';
import { integerOption } from './cli-options.ts';
import { coresAtStart, pinSelf } from './processes/server.ts';
import { defaultLoadWorkers } from './run/load-workers.ts';
import { renderSummary } from './results/summary.ts';
import { listResultsFiles, readRunResults, writeReport } from './report/index.ts';
import { loadProtocols, type LoadProtocol } from './clients/load/index.ts';
import {
  judgeThresholds,
  parseThreshold,
  renderThresholds,
  thresholdFailedExitCode,
  thresholdsOf,
  ThresholdError,
} from './results/thresholds.ts';

const positiveInteger = integerOption(1);

/** `--server-cpu`: a share of one core, above 0 and at most 1; below 1 only where budgets can be made. */
function serverCpuOption(value: string): number {
  const share = Number(value);
  if (value.trim() === '' || !Number.isFinite(share) || share <= 0 || share > 1)
    throw new InvalidArgumentError('a share of one core, above 0 and at most 1 (e.g. 0.5; 1 for no budget)');
  if (share < 0.1) throw new InvalidArgumentError('at least 0.1 of a core');
  const support = budgetSupport();
  if (share < 1 && !support.ok) throw new InvalidArgumentError(`this machine cannot limit a process's CPU: ${support.why}`);
  return share;
}

/** The exit code of a usage or scenario error. */
const usageErrorExitCode = 2;

function rate(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0)
    throw new InvalidArgumentError('expected a number of messages per second, 0 or more');
  return number;
}

/**
 * A number flag checked against the scenario schema's bounds for `field`, so a value out of
 * range is refused with the flag's name rather than the scenario field's.
 */
function withinScenario(field: 'clients' | 'ratePerSecond' | 'durationMs' | 'payloadBytes', parse: (value: string) => number) {
  return (value: string): number => {
    const number = parse(value);
    const checked = scenarioSchema.shape[field].safeParse(number);
    if (!checked.success) throw new InvalidArgumentError(checked.error.issues[0]?.message ?? 'out of range');
    return number;
  };
}

/** A comma-separated list of ids, each one of `known`; `what` names them in the error. */
function idList<T extends string>(value: string, known: readonly T[], what: string): T[] {
  const ids = value
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  const unknown = ids.filter((id) => !(known as readonly string[]).includes(id));
  if (unknown.length > 0 || ids.length === 0)
    throw new InvalidArgumentError(`unknown ${what} ${unknown.join(', ') || '(none)'}; choose from ${known.join(', ')}`);
  return ids as T[];
}

const techniqueList = (value: string): TechniqueId[] => idList(value, techniqueIds, 'technique');
const networkList = (value: string): string[] => idList(value, profileNames, 'network profile');
const peerList = (value: string): 'all' | PeerId[] =>
  value === 'all' ? 'all' : value === 'none' ? [] : idList(value, peerIds, 'peer (or all, or none)');
const protocolList = (value: string): LoadProtocol[] => idList(value, loadProtocols, 'protocol');

/** `--threshold`, repeatable: each one checked as it is read, so a typo is a usage error before any run. */
function thresholdList(value: string, previous: string[] = []): string[] {
  try {
    parseThreshold(value);
  } catch (error) {
    if (error instanceof ThresholdError) throw new InvalidArgumentError(error.message);
    throw error;
  }
  return [...previous, value];
}

/** The stock scenarios: `scenarios/*.json`. */
function scenarioNames(): string[] {
  return readdirSync(scenariosDir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .sort();
}

const program = new Command('bench')
  .description(
    'Benchmark the six push techniques: a fresh server process per technique (pinned to core 0 where taskset exists), ' +
      'lean load clients in this process (core 1), a fixed publish schedule, latency from the scheduled time, loss checked per subscriber.',
  )
  .option(
    '-s, --scenario <name|path>',
    `a scenario name from scenarios/ (${scenarioNames().join(', ')}) or a path to a scenario JSON file; default: the standard suite (registry/scenarios.ts)`,
  )
  .option(
    '-t, --techniques <ids>',
    `comma-separated techniques to run, from ${techniqueIds.join(',')}; default: the scenario's`,
    techniqueList,
  )
  .option('-c, --clients <n>', "subscribers per technique; default: the scenario's", withinScenario('clients', positiveInteger))
  .option(
    '-r, --rate <msg/s>',
    "messages published per second over all topics; default: the scenario's",
    withinScenario('ratePerSecond', rate),
  )
  .option(
    '-d, --duration <ms>',
    "length of the measured window in milliseconds; default: the scenario's",
    withinScenario('durationMs', positiveInteger),
  )
  .option(
    '-p, --payload <bytes>',
    "bytes of each message's data (timestamp + padding), at least 64; default: the scenario's",
    withinScenario('payloadBytes', positiveInteger),
  )
  .option(
    '-n, --network <profiles>',
    `comma-separated network profiles the subscribers go through, from ${profileNames.join(',')}; several are compared in the report; default: the scenario's (loopback)`,
    networkList,
  )
  .option(
    '--peers [ids]',
    `also run peer servers beside pushlab: all, none, or comma-separated from ${peerIds.join(',')}; default: the scenario's`,
    peerList,
  )
  .option(
    '--protocol <ids>',
    `comma-separated protocols the subscribers speak, from ${loadProtocols.join(',')} (TLS ones start the server with --tls); a row each (sse@h2); default: the scenario's (h1)`,
    protocolList,
  )
  .option('-o, --out <dir>', 'directory for the results JSON files (one per scenario)', 'results')
  .option(
    '--threshold <expr>',
    'fail the run (exit code 3) unless every row it applies to passes: <metric><op><number>, optionally <technique>: first; ' +
      'metrics p50 p90 p99 max (ms), lost duplicated outOfOrder bytesPerMessage requestsPerMessage serverCpuMsPer1k deliveredPerSecond; ' +
      "ops < <= > >= ==; repeatable; added to the scenario's thresholds and the default lost==0 and duplicated==0",
    thresholdList,
  )
  .option(
    '--repeat <n>',
    'measure each row n times, each on a fresh server; the results hold the medians and every run, and the report their spread (the reference run uses 3 or more)',
    positiveInteger,
    1,
  )
  .option('--wide', 'print every column of the summary (default: the columns that fit 100 characters)', false)
  .option('--json', 'print the results JSON to stdout instead of the summary table (progress still goes to stderr)', false)
  .option('--no-report', 'do not write report.md and report.html into --out after the run')
  .option(
    '--load-workers <n>',
    `load processes the subscribers are spread over, latency merged from their histograms; 0 keeps them in this process (default: one per core not given to the server, and one more on the rest of the server's core when it has a CPU budget: ${defaultLoadWorkers()} here, ${defaultLoadWorkers(undefined, autoServerShare)} under a budget)`,
    integerOption(0, 64),
  )
  .option(
    '--server-cpu <share>',
    `the share of one core each server may use (a Linux CFS quota, needs root), e.g. 0.5; 1 for none. Default auto: on fewer than three cores a saturation row that is load-bound on a whole core (one load core cannot out-read it) is measured again at ${autoServerShare}; none otherwise`,
    serverCpuOption,
  )
  .addHelpText(
    'after',
    '\nExamples:\n  npm run bench                                   # the standard suite\n  npm run bench -- --scenario smoke\n  npm run bench -- -s ticker -t sse,websocket -c 200 -d 5000\n  npm run bench -- -s scenarios/my.json --json > run.json\n  npm run bench -- -s chat -n loopback,broadband,mobile-3g   # compare networks\n  npm run bench -- -s ticker --peers                          # beside Socket.IO, SockJS and the raw baseline\n  npm run bench -- -s saturation -t websocket --peers baseline\n  npm run bench -- -s smoke --protocol h1,h1-tls,h2                # HTTP/1.1, TLS, HTTP/2\n  npm run bench -- -s tabs                                      # K tabs of one browser: where HTTP/1.1 stalls\n  npm run bench -- -s smoke --threshold "p99<50" --threshold "websocket:p99<20"   # exit 3 if one fails\n\nExit codes: 0 done and every threshold passed; 1 the harness failed; 2 a usage or scenario error; 3 a threshold failed.',
  )
  // One line of error and one of hint: the full help would bury the error.
  .showHelpAfterError("bench: run 'npm run bench -- --help' for every flag and example")
  // A bad flag exits 2, as a bad scenario does, so a CI can tell it from a failed threshold (3).
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : usageErrorExitCode));

const flags = program.parse().opts<{
  scenario?: string;
  techniques?: TechniqueId[];
  clients?: number;
  rate?: number;
  duration?: number;
  payload?: number;
  network?: string[];
  peers?: 'all' | PeerId[] | true;
  protocol?: LoadProtocol[];
  out: string;
  json: boolean;
  report: boolean;
  threshold?: string[];
  repeat: number;
  wide: boolean;
  loadWorkers?: number;
  serverCpu?: number;
}>();

const overrides: Overrides = {
  techniques: flags.techniques,
  clients: flags.clients,
  ratePerSecond: flags.rate,
  durationMs: flags.duration,
  payloadBytes: flags.payload,
  network: flags.network,
  peers: flags.peers === true ? 'all' : flags.peers,
  protocol: flags.protocol,
};

// A name that is no stock scenario (and not a path): say which there are.
const stock = scenarioNames();
const scenarioFlag = flags.scenario;
if (scenarioFlag !== undefined && !scenarioFlag.includes('/') && !scenarioFlag.endsWith('.json') && !stock.includes(scenarioFlag)) {
  console.error(
    `bench: no scenario named "${scenarioFlag}"; the scenarios are ${stock.join(', ')} (or give a path to a scenario JSON file)`,
  );
  process.exit(usageErrorExitCode);
}

let scenarios: Scenario[];
try {
  const names = flags.scenario === undefined ? loadSuite() : [flags.scenario];
  scenarios = [];
  for (const name of names) scenarios.push(applyOverrides(await loadScenario(name), overrides));
} catch (error) {
  if (!(error instanceof ScenarioError)) throw error;
  console.error(`bench: ${error.message}`);
  process.exit(usageErrorExitCode);
}

if (flags.serverCpu === undefined && coresAtStart === 2 && scenarios.some((scenario) => scenario.saturation !== undefined)) {
  const support = budgetSupport();
  if (!support.ok)
    console.error(
      `bench: on two cores a saturation run gives the server a CPU budget so the load can out-read it, and this machine cannot (${support.why}): its rows will be load-bound`,
    );
}

const loadPinned = pinSelf(1);
if (!loadPinned)
  console.error('bench: taskset is not available (or one core only): server and load are not pinned, and the results say so');

const { results, files } = await runBenchmark({
  scenarios,
  outDir: flags.out,
  loadPinned,
  repeat: flags.repeat,
  ...(flags.loadWorkers === undefined ? {} : { loadWorkers: flags.loadWorkers }),
  serverCpu: flags.serverCpu ?? 'auto',
  onProgress: createProgress(),
});
for (const file of files) console.error(`bench: wrote ${file}`);
if (flags.report) {
  // Every run in --out, not only this one, so the report can show the change against the last.
  const report = await writeReport({ runs: await readRunResults(await listResultsFiles(flags.out)), outDir: flags.out });
  console.error(`bench: wrote ${report.markdownPath} and ${report.htmlPath}`);
}
const verdicts = results.map((result, i) => judgeThresholds(result, thresholdsOf(scenarios[i]?.thresholds, flags.threshold)));
if (flags.json) {
  process.stdout.write(`${JSON.stringify(results.length === 1 ? results[0] : results, null, 2)}\n`);
  // The thresholds still say what they judged, on stderr beside the progress.
  for (const verdict of verdicts) if (verdict.length > 0) console.error(renderThresholds(verdict));
} else {
  process.stdout.write(results.map((result, i) => renderSummary(result, { wide: flags.wide, thresholds: verdicts[i] })).join('\n'));
}
const failedThresholds = verdicts.flat().filter((verdict) => !verdict.passed);
if (failedThresholds.length > 0) {
  const texts = failedThresholds.map((verdict) => verdict.threshold.text).join(', ');
  console.error(`bench: ${failedThresholds.length} threshold${failedThresholds.length === 1 ? '' : 's'} failed: ${texts}`);
  process.exitCode = thresholdFailedExitCode;
}
