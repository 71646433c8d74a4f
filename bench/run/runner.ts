/**
 * The runner: performs a scenario's runs, one fresh server process per row (technique, sweep
 * point, network profile, or peer), and returns a results document (`RunResult`). It prints
 * nothing: it reports progress through `onProgress`, and the CLI decides how to show it.
 *
 * One run: start the server (pushlab's, or a peer's program) and, for an emulated network,
 * a delay proxy in front of it → read `/metrics` (idle) → open the subscribers (through the
 * proxy) and wait until each is subscribed → read `/metrics` (connected, for memory per
 * connection) → publish on schedule, direct: warm-up, then the measured window between two
 * `/metrics` reads → wait for the last in-window deliveries (drain) → aggregate. A
 * saturation plan repeats the window at rising rates on the same subscribers
 * (`saturate.ts`). The rig is `rig.ts`, one window `window.ts`. A row that fails is recorded under `failed` and the others still run.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { capacityEndpoints, measureCapacity } from './capacity.ts';
import { describeEnvironment } from '../processes/environment.ts';
import { runResultSchema, type Calibration, type RunResult, type TechniqueResult } from '../results/schema.ts';
import { calibrationOf, calibrationPlan, labelLoadBound, saturate } from './saturate.ts';
import { mergeRepeats } from '../results/repeats.ts';
import type { Scenario } from '../scenario/schema.ts';
import { expandScenario, type RunPlan } from '../scenario/plan.ts';
import { canPin, coresAtStart, startServerProcess, type ServerFlags } from '../processes/server.ts';
import { budgetSupport } from '../processes/cpu-budget.ts';
import { defaultLoadWorkers, loadCores } from './load-workers.ts';
import { checkNetwork, isDirect, type NetworkCheck } from '../network/index.ts';
import { closeRig, openRig, startTarget, type Rig, type RigParts } from './rig.ts';
import type { ProgressEvent } from './events.ts';
import { measureWindow } from './window.ts';
import { tlsFlags } from './protocol.ts';

/** Options of `runPlan`, `runScenario` and `runBenchmark`. */
export interface RunOptions {
  /** Progress events; default none. */
  onProgress?: (event: ProgressEvent) => void;
  /** Whether the caller pinned this (the load) process to its own core; recorded in `environment.pinned`. Default false. */
  loadPinned?: boolean;
  /** Fault injection for the harness's own tests: see `SubscriberOptions.dropOne`. Default 0. */
  dropOne?: number;
  /**
   * `--load-workers`: load processes the subscribers are spread over; 0 keeps them in this
   * process. Undefined: `runScenario` takes one per seat (`defaultLoadWorkers`), `runPlan` none.
   */
  loadWorkers?: number;
  /**
   * `--server-cpu`: the share of one core the server may use (`cpu-budget.ts`), for every row
   * but the calibration; `auto` (the CLI's default) gives a saturation scenario's servers
   * `autoServerShare` where the load could not otherwise out-read them (fewer than three
   * cores) and budgets can be made. 1 or undefined: no budget.
   */
  serverCpu?: number | 'auto';
  /** `--repeat N`: measure each row this many times, each on a fresh server, and record the medians and each run (`mergeRepeats`). Default 1. */
  repeat?: number;
}

/** Runs `plan` `options.repeat` times (default once) and merges the rows into medians with their spread. */
export async function runRepeated(plan: RunPlan, options: RunOptions = {}): Promise<TechniqueResult> {
  const rows: TechniqueResult[] = [];
  for (let i = 0; i < Math.max(1, options.repeat ?? 1); i++) rows.push(await runPlan(plan, options));
  return mergeRepeats(rows);
}

/** Performs one run (or, for a saturation plan, one series of steps) on a fresh server and returns its row. */
export async function runPlan(plan: RunPlan, options: RunOptions = {}): Promise<TechniqueResult> {
  const progress = options.onProgress ?? (() => {});
  const share = typeof options.serverCpu === 'number' && options.serverCpu < 1 ? options.serverCpu : undefined;
  const flags: ServerFlags = {
    heartbeatMs: plan.heartbeatMs,
    pingMs: plan.pingMs,
    streamMaxBytes: plan.streamMaxBytes,
    ...tlsFlags(plan),
    ...(share === undefined ? {} : { cpuShare: share }),
  };
  const parts: RigParts = { server: await startTarget(plan, flags) };
  let rig: Rig | undefined;
  try {
    const built = await openRig(plan, parts, progress, { dropOne: options.dropOne, loadWorkers: options.loadWorkers });
    rig = built;
    const { saturation } = plan;
    // A saturation row's refined rates stay a whole number of bursts per second.
    const burst = plan.burst ?? 1;
    const result =
      saturation === undefined
        ? await measureWindow(built, plan.ratePerSecond, plan.durationMs, flags)
        : await saturate(plan, saturation, (rate) => measureWindow(built, rate, saturation.stepMs, flags), burst);
    progress({ type: 'run-end', run: plan.key, result });
    return result;
  } finally {
    await closeRig(parts, rig);
  }
}

/** The budget `--server-cpu auto` gives a saturation scenario's servers on a machine of fewer than three cores. */
export const autoServerShare = 0.25;

/**
 * The server's CPU share for `scenario`'s rows (undefined: its whole core). `auto`: a
 * saturation scenario on fewer than three cores gets `autoServerShare` where budgets can be
 * made (with one load core the load generator gives out first), anything else none.
 */
export function serverShareFor(
  scenario: Pick<Scenario, 'saturation'>,
  asked: number | 'auto' | undefined,
  cores = coresAtStart,
): number | undefined {
  if (typeof asked === 'number') return asked < 1 ? asked : undefined;
  if (asked === undefined || scenario.saturation === undefined || cores >= 3 || cores < 2 || !budgetSupport().ok) return undefined;
  return autoServerShare;
}

/**
 * The row `--server-cpu auto` keeps of a saturation row that was load-bound on a whole core
 * (`whole`) and was measured again with its server at `share` of a core (`budgeted`): the
 * budgeted one, with what the whole core gave in `saturation.wholeCore`; but when the budget
 * sustained no step while the whole core did (a request/response row whose server cannot
 * serve the ladder's first step at a fraction of a core), the whole-core row, still
 * load-bound, with a note: a zero says less of the server than a figure its load capped.
 */
export function adaptiveRow(whole: TechniqueResult, budgeted: TechniqueResult, share: number): TechniqueResult {
  const wholeSaturation = whole.saturation;
  if (budgeted.saturation === undefined || wholeSaturation === undefined) return budgeted;
  const wholeFigure = Math.round(wholeSaturation.sustainedDeliveredPerSecond).toLocaleString('en-US');
  if (budgeted.saturation.sustainedDeliveredPerSecond === 0 && wholeSaturation.sustainedDeliveredPerSecond > 0) {
    const first = budgeted.saturation.steps[0];
    return {
      ...whole,
      notes: [
        `at ${share} of a core this row sustained no step (${first?.ratePerSecond ?? 0} msg/s: ${first?.reason ?? 'not sustained'}), so it keeps its whole-core figure, ${wholeFigure} deliveries/s, where its load side gave out first`,
        ...(whole.notes ?? []),
      ],
    };
  }
  return {
    ...budgeted,
    saturation: {
      ...budgeted.saturation,
      wholeCore: { sustainedDeliveredPerSecond: wholeSaturation.sustainedDeliveredPerSecond, loadBound: true },
    },
    notes: [
      `on a whole core this row was load-bound at ${wholeFigure} deliveries/s, so it was measured again with the server at ${share} of a core`,
      ...(budgeted.notes ?? []),
    ],
  };
}

/** Runs every plan of `scenario` (and capacity, unless `capacityMs` is 0); returns the validated results document. */
export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<RunResult> {
  const asked = options;
  const share = serverShareFor(scenario, asked.serverCpu);
  // The rows' load: one process per seat by default, core 0's rest included under a budget.
  options = {
    ...asked,
    serverCpu: share ?? 1,
    loadWorkers: asked.loadWorkers ?? defaultLoadWorkers(coresAtStart, share ?? 1),
  };
  // The calibration measures the load generator, so its server has a whole core, and the load
  // none of it: a seat on core 0 behind a server that takes all of it would starve.
  const calibrationOptions: RunOptions = {
    ...options,
    serverCpu: 1,
    loadWorkers: share === undefined ? options.loadWorkers : asked.loadWorkers === 0 ? 0 : defaultLoadWorkers(coresAtStart, 1),
  };
  const rowCores = loadCores(options.loadWorkers ?? 0, coresAtStart, share ?? 1);
  const wholeCores = loadCores(calibrationOptions.loadWorkers ?? 0, coresAtStart, 1);
  const adaptive = asked.serverCpu === 'auto' && share !== undefined;
  /**
   * One row. Under `auto` a saturation row runs on a whole core first, and only if its load
   * side gave out first (load-bound) again under the budget: a request/response row or a
   * costly peer saturates a whole core long before the load does, and a budget would only
   * shrink it (to nothing at the first step); a streaming row needs the budget to show the
   * server's ceiling at all.
   */
  async function measureRow(plan: RunPlan): Promise<TechniqueResult> {
    const label = (row: TechniqueResult, cores: number): TechniqueResult =>
      labelLoadBound(cores === 1 ? row : { ...row, loadCores: cores }, calibration, cores);
    if (!adaptive || plan.saturation === undefined) return label(await runRepeated(plan, options), rowCores);
    const whole = label(await runRepeated(plan, calibrationOptions), wholeCores);
    if (whole.loadBound !== true || whole.saturation === undefined) return whole;
    return adaptiveRow(whole, label(await runRepeated(plan, options), rowCores), share);
  }
  const progress = options.onProgress ?? (() => {});
  const startedAt = new Date().toISOString();
  const plans = expandScenario(scenario);
  // A saturation run first measures the load generator's own ceiling against the baseline.
  const calibrating = scenario.saturation !== undefined && plans[0] !== undefined ? calibrationPlan(plans[0]) : undefined;
  progress({ type: 'scenario', scenario: scenario.name, runs: plans.length + (calibrating === undefined ? 0 : 1) });
  // Check each emulated network first: the round trip and rates it promises, measured through the proxy.
  const networks: Record<string, NetworkCheck> = {};
  for (const network of scenario.network ?? []) {
    if (isDirect(network) || networks[network.name] !== undefined) continue;
    progress({ type: 'phase', run: `network ${network.name}`, phase: 'check', total: 1, unit: 'checks' });
    networks[network.name] = await checkNetwork(network);
    progress({ type: 'update', value: 1 });
    progress({ type: 'phase-end' });
  }
  const techniques: Record<string, TechniqueResult> = {};
  const failed: Record<string, string> = {};
  let calibration: Calibration | undefined;
  if (calibrating !== undefined) {
    try {
      calibration = calibrationOf(
        await runPlan(calibrating, calibrationOptions),
        loadCores(calibrationOptions.loadWorkers ?? 0, coresAtStart, 1),
      );
    } catch (error) {
      const message = (error as Error).message.split('\n')[0] ?? String(error);
      failed[calibrating.key] = message;
      progress({ type: 'run-failed', run: calibrating.key, error: message });
    }
  }
  for (const plan of plans) {
    // One row that cannot run (a server that does not start, clients that never subscribe)
    // must not cost the rows already measured: it is recorded, and the run goes on.
    try {
      techniques[plan.key] = await measureRow(plan);
    } catch (error) {
      const message = (error as Error).message.split('\n')[0] ?? String(error);
      failed[plan.key] = message;
      progress({ type: 'run-failed', run: plan.key, error: message });
    }
  }

  let capacity: RunResult['capacity'];
  if (scenario.capacityMs > 0) {
    const server = await startServerProcess();
    try {
      // Only the polling routes of the techniques asked for (`-t sse,websocket` has none), and publish.
      const endpoints = capacityEndpoints(scenario.techniques);
      progress({ type: 'phase', run: scenario.name, phase: 'capacity', total: endpoints.length, unit: 'endpoints' });
      capacity = await measureCapacity({
        baseUrl: server.url,
        durationMs: scenario.capacityMs,
        payloadBytes: scenario.payloadBytes,
        techniques: scenario.techniques,
        onEndpoint: (_, index) => progress({ type: 'update', value: index }),
      });
      progress({ type: 'update', value: endpoints.length });
      progress({ type: 'phase-end' });
    } finally {
      await server.stop();
    }
  }

  const { name, ...params } = scenario;
  const environment = describeEnvironment(canPin() && options.loadPinned === true);
  if (scenario.network !== undefined) environment.network = scenario.network.map((network) => network.name).join(', ');
  if ((options.loadWorkers ?? 0) > 0) environment.loadWorkers = options.loadWorkers;
  return runResultSchema.parse({
    scenario: name,
    startedAt,
    environment,
    params,
    ...(Object.keys(networks).length > 0 ? { networks } : {}),
    techniques,
    ...(Object.keys(failed).length > 0 ? { failed } : {}),
    ...(calibration === undefined ? {} : { calibration }),
    ...(capacity === undefined ? {} : { capacity }),
  });
}

/** Validates `result` and writes it as `<out>/<scenario>-<startedAt>.json`; returns the path. */
export async function writeRunResult(result: RunResult, outDir: string): Promise<string> {
  const valid = runResultSchema.parse(result);
  await mkdir(outDir, { recursive: true });
  const file = join(outDir, `${valid.scenario}-${valid.startedAt.replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify(valid, null, 2)}\n`);
  return file;
}

/** Options of `runBenchmark`: the scenarios, where results go, and the hook for each result. */
export interface BenchmarkOptions extends RunOptions {
  scenarios: Scenario[];
  /** Where results go; undefined writes nothing. */
  outDir?: string;
}

/** Runs `scenarios` in order, writing one results file each; returns the results and files. */
export async function runBenchmark(options: BenchmarkOptions): Promise<{ results: RunResult[]; files: string[] }> {
  const results: RunResult[] = [];
  const files: string[] = [];
  for (const scenario of options.scenarios) {
    const result = await runScenario(scenario, options);
    const file = options.outDir === undefined ? undefined : await writeRunResult(result, options.outDir);
    results.push(result);
    if (file !== undefined) files.push(file);
  }
  return { results, files };
}
