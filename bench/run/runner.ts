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
import { canPin, startServerProcess, type ServerFlags } from '../processes/server.ts';
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
  /** `--load-workers`: load processes the subscribers are spread over; 0 or undefined keeps them in this process. */
  loadWorkers?: number;
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
  const flags: ServerFlags = { heartbeatMs: plan.heartbeatMs, pingMs: plan.pingMs, ...tlsFlags(plan) };
  const parts: RigParts = { server: await startTarget(plan, flags) };
  let rig: Rig | undefined;
  try {
    const built = await openRig(plan, parts, progress, { dropOne: options.dropOne, loadWorkers: options.loadWorkers });
    rig = built;
    const { saturation } = plan;
    const result =
      saturation === undefined
        ? await measureWindow(built, plan.ratePerSecond, plan.durationMs, flags)
        : await saturate(plan, saturation, (rate) => measureWindow(built, rate, saturation.stepMs, flags));
    progress({ type: 'run-end', run: plan.key, result });
    return result;
  } finally {
    await closeRig(parts, rig);
  }
}

/** Runs every plan of `scenario` (and capacity, unless `capacityMs` is 0); returns the validated results document. */
export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<RunResult> {
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
      calibration = calibrationOf(await runPlan(calibrating, options));
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
      techniques[plan.key] = labelLoadBound(await runRepeated(plan, options), calibration);
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
