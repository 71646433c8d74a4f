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
 * (`saturate.ts`). A row that fails is recorded under `failed` and the others still run.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { aggregate } from '../results/aggregate.ts';
import { capacityEndpoints, measureCapacity } from './capacity.ts';
import { describeEnvironment } from '../processes/environment.ts';
import { startPublisher, type Published } from './publisher.ts';
import { runResultSchema, type RunResult, type TechniqueResult } from '../results/schema.ts';
import { saturate } from './saturate.ts';
import { expandScenario, type RunPlan, type Scenario } from '../scenario/schema.ts';
import { readSchedstat, waitShare } from '../processes/schedstat.ts';
import { sample, type MetricsSnapshot } from '../processes/prometheus.ts';
import { canPin, startServerProcess, type ServerFlags, type ServerProcess } from '../processes/server.ts';
import { checkNetwork, isDirect, startProxyProcess, type NetworkCheck, type ProxyProcess } from '../network/index.ts';
import { peers } from '../../registry/peers.ts';
import { startPeerProcess } from '../peers/process.ts';
import { openStalled, stallable, type Stalled } from './faults/stalled.ts';
import { countRestart, reportedRestart, type RestartCounts } from './faults/restart.ts';
import { createLatencyHistogram, openSubscribers, type Subscriber, type Subscribers } from './subscribers.ts';

/** The phases of one run, as the progress display names them. */
export type Phase = 'connect' | 'warm-up' | 'measure' | 'drain' | 'capacity' | 'check';

/** What the runner is doing, for a progress display. */
export type ProgressEvent =
  | { type: 'scenario'; scenario: string; runs: number }
  | { type: 'phase'; run: string; phase: Phase; total: number; unit: 'clients' | 'ms' | 'endpoints' | 'checks' }
  | { type: 'update'; value: number }
  | { type: 'phase-end' }
  | { type: 'run-end'; run: string; result: TechniqueResult }
  | { type: 'run-failed'; run: string; error: string };

/** Options of `runPlan`, `runScenario` and `runBenchmark`. */
export interface RunOptions {
  /** Progress events; default none. */
  onProgress?: (event: ProgressEvent) => void;
  /** Whether the caller pinned this (the load) process to its own core; recorded in `environment.pinned`. Default false. */
  loadPinned?: boolean;
  /** Fault injection for the harness's own tests: see `SubscriberOptions.dropOne`. Default 0. */
  dropOne?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the hrtime `ns`, ticking `onTick(elapsedMs)` every 200 ms from `fromNs`. */
async function waitUntil(ns: bigint, fromNs: bigint, onTick: (elapsedMs: number) => void): Promise<void> {
  for (;;) {
    const now = process.hrtime.bigint();
    onTick(Math.min(Number(ns - fromNs), Number(now - fromNs)) / 1e6);
    if (now >= ns) return;
    await sleep(Math.min(200, Math.ceil(Number(ns - now) / 1e6)));
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Topic names of a run: `lobby` alone, or `room-1` … `room-N`. */
export function topicNames(count: number): string[] {
  return count === 1 ? ['lobby'] : Array.from({ length: count }, (_, i) => `room-${i + 1}`);
}

/**
 * Reads the server's RSS and open handles every `everyMs` until `untilNs`: a soak's evidence
 * that memory and handles stay flat. Returns [ms since `fromNs`, RSS bytes, handles] rows.
 */
async function sampleServer(server: ServerProcess, everyMs: number, fromNs: bigint, untilNs: bigint): Promise<[number, number, number][]> {
  const rows: [number, number, number][] = [];
  while (process.hrtime.bigint() < untilNs) {
    let snapshot: MetricsSnapshot;
    try {
      snapshot = await server.metrics();
    } catch {
      await sleep(everyMs); // the server is down (a restart): no sample this time
      continue;
    }
    rows.push([Math.round(Number(snapshot.at - fromNs) / 1e6), sample(snapshot, 'process_resident_memory_bytes'), sample(snapshot, 'nodejs_active_handles_total')]);
    await sleep(Math.min(everyMs, Math.max(1, Number(untilNs - process.hrtime.bigint()) / 1e6)));
  }
  return rows;
}

/** Starts the server a plan measures: pushlab's, or the peer's own program; pinned to core 0. */
function startTarget(plan: RunPlan, flags: ServerFlags): Promise<ServerProcess> {
  if (plan.peer === undefined) return startServerProcess(flags);
  return startPeerProcess(peers[plan.peer].server, { core: 0, heartbeatMs: flags.heartbeatMs, pingMs: flags.pingMs });
}

/** The label of a plan's samples in `/metrics`: the technique, or the peer id on a peer server. */
function labelOf(plan: RunPlan): string {
  return plan.peer ?? plan.technique;
}

/** The server, subscribers and tools of one plan, set up once and measured one or more times. */
interface Rig {
  readonly plan: RunPlan;
  /** The server under test; a restart replaces it. */
  server: ServerProcess;
  proxy?: ProxyProcess;
  topics: string[];
  subscribers: Subscribers;
  serverIdle: MetricsSnapshot;
  serverConnected: MetricsSnapshot;
  stalled?: Stalled;
  notes: string[];
  progress: (event: ProgressEvent) => void;
}

/**
 * One measured window of `durationMs` at `rate` on a rig: publish (warm-up, then the window), drain, and
 * aggregate into a row. Faults of the plan (restart, stalled, churn, samples) are applied.
 */
async function measureWindow(rig: Rig, rate: number, durationMs: number, flags: ServerFlags): Promise<TechniqueResult> {
  const { topics, progress } = rig;
  const plan: RunPlan = { ...rig.plan, ratePerSecond: rate, durationMs };
  const restartAtMs = plan.faults?.restartAtMs;
  const subs = rig.subscribers;
  const notes = [...rig.notes];
  // Sequence and gap counters run over the rig's life: this window's are the differences.
  const before = subs.list.map((s) => ({ duplicated: s.checker.duplicated, outOfOrder: s.checker.outOfOrder }));
  const gapsBefore = subs.gaps;
  const errorsBefore = subs.errors;
  subs.histogram.reset();

  const publisher = startPublisher({ baseUrl: rig.server.url, topics, ratePerSecond: rate, payloadBytes: plan.payloadBytes, burst: plan.burst });
  const startNs = publisher.startNs + BigInt(plan.warmupMs) * 1_000_000n;
  const endNs = startNs + BigInt(plan.durationMs) * 1_000_000n;
  subs.measure({ startNs, endNs });
  const published = publisher.stopAt(endNs);

  // The server's counters are read at quiet points: halfway between the last warm-up message
  // and the first measured one, and a little after the last delivery, so that a poll cycle
  // (delivery, then the next request) is not cut in two at either edge. At 1 msg/s that edge
  // would otherwise be a quarter of a 4-message window.
  // A burst's messages share one due time: the quiet points lie between bursts.
  const periodMs = rate > 0 ? (1000 * (plan.burst ?? 1)) / rate : Infinity;
  const edgeNs = BigInt(Math.round(Math.min(periodMs / 2, plan.warmupMs / 2, 500) * 1e6));
  const settleMs = Math.min(periodMs / 2, 100);
  // Progress shows the warm-up and the window as the scenario names them; the quiet point
  // where the counters are read lies inside the warm-up.
  const tick = (value: number): void => progress({ type: 'update', value });
  progress({ type: 'phase', run: plan.key, phase: 'warm-up', total: plan.warmupMs, unit: 'ms' });
  await waitUntil(startNs - edgeNs, publisher.startNs, tick);

  let serverBefore = await rig.server.metrics();
  const proxyBefore = await rig.proxy?.stats();
  const cpuBefore = process.cpuUsage();
  const eluBefore = performance.eventLoopUtilization();
  let serverSchedBefore = readSchedstat(rig.server.pid);
  const loadSchedBefore = readSchedstat(process.pid);
  const sampling = plan.faults?.sampleMs === undefined ? undefined : sampleServer(rig.server, plan.faults.sampleMs, serverBefore.at, endNs);
  // The restart fault: kill -9 mid-window, then a new process on the same port. The clients
  // find it by themselves; the server's counters start again, so they are re-read.
  let killedNs: bigint | undefined;
  /** With a reconnect delay: when the late subscribers were let back (hrtime). */
  let lateReleased: Promise<bigint> | undefined;
  const restarting =
    restartAtMs === undefined
      ? undefined
      : (async () => {
          await waitUntil(startNs + BigInt(restartAtMs) * 1_000_000n, startNs, () => undefined);
          // The late half stays away: it comes back with its old cursor only once the new
          // server has published past it (the case a bare integer cursor could not tell).
          const delayMs = plan.faults?.reconnectDelayMs;
          const late = subs.list.filter((_, index) => index % 2 === 1);
          if (delayMs !== undefined) {
            const windowLeftMs = Number(endNs - process.hrtime.bigint()) / 1e6;
            for (const subscriber of late) subscriber.client.holdReconnects?.(Date.now() + windowLeftMs);
          }
          await rig.server.kill();
          killedNs = process.hrtime.bigint();
          if (delayMs !== undefined) lateReleased = releaseLate(late, publisher.published, killedNs, delayMs, endNs);
          rig.server = await startServerProcess({ ...flags, port: Number(new URL(rig.server.url).port) });
          serverBefore = await rig.server.metrics();
          serverSchedBefore = readSchedstat(rig.server.pid);
        })();
  await waitUntil(startNs, publisher.startNs, tick);
  progress({ type: 'phase-end' });
  progress({ type: 'phase', run: plan.key, phase: 'measure', total: plan.durationMs, unit: 'ms' });
  await waitUntil(endNs, startNs, tick);
  await restarting;
  await published;
  const serverSamples = await sampling;
  progress({ type: 'phase-end' });

  // The in-window messages each topic got, and the newest of them.
  const windowIds = new Map<string, number[]>(topics.map((topic) => [topic, []]));
  const publishLag = createLatencyHistogram();
  for (const message of publisher.published) {
    if (message.scheduledNs < startNs || message.scheduledNs >= endNs) continue;
    windowIds.get(message.topic)?.push(message.id);
    publishLag.recordValue(Math.max(1, Math.round(Number(message.ackedNs - message.scheduledNs) / 1000)));
  }
  const lastIds = new Map([...windowIds].map(([topic, ids]) => [topic, ids.reduce((max, id) => Math.max(max, id), 0)]));
  const drainStart = process.hrtime.bigint();
  const drainEnd = drainStart + BigInt(plan.drainMs) * 1_000_000n;
  progress({ type: 'phase', run: plan.key, phase: 'drain', total: plan.clients, unit: 'clients' });
  // After a restart the last message of each topic is identified by its schedule, not its id.
  const lastScheduled = new Map<string, bigint>();
  for (const message of publisher.published) {
    if (message.scheduledNs < endNs && message.scheduledNs >= startNs) lastScheduled.set(message.topic, message.scheduledNs);
  }
  const bySchedule = new Map(publisher.published.map((message) => [message.scheduledNs, message]));
  // After a restart a subscriber is done once it has the last message and has been told of
  // the restart (a gap): the last message may be an old-server one it already had, when the
  // new server came up late on a loaded machine.
  const has = (s: Subscriber): boolean =>
    s.arrivals === undefined
      ? s.checker.has(lastIds.get(s.topic) ?? 0)
      : s.arrivals.some((a) => a.scheduledNs === lastScheduled.get(s.topic)) && (killedNs === undefined || reportedRestart(s, bySchedule, killedNs));
  for (;;) {
    const complete = subs.list.filter(has).length;
    progress({ type: 'update', value: complete });
    if (complete === subs.list.length || process.hrtime.bigint() >= drainEnd) break;
    await sleep(50);
  }
  progress({ type: 'phase-end' });
  await sleep(settleMs);

  const serverAfter = await rig.server.metrics();
  const proxyAfter = await rig.proxy?.stats();
  const loadCpu = process.cpuUsage(cpuBefore);
  const loadElu = performance.eventLoopUtilization(eluBefore).utilization;
  const wallNs = Number(serverAfter.at - serverBefore.at);
  const serverWaitShare = waitShare(serverSchedBefore, readSchedstat(rig.server.pid), wallNs);
  const loadWaitShare = waitShare(loadSchedBefore, readSchedstat(process.pid), wallNs);

  let expected = 0;
  let delivered = 0;
  let lost = 0;
  let duplicated = 0;
  let outOfOrder = 0;
  let restart: RestartCounts | undefined;
  if (killedNs !== undefined) {
    restart = countRestart(subs.list, publisher.published, killedNs, startNs, endNs);
    ({ expected, delivered, lost, duplicated, outOfOrder } = restart);
    notes.push(
      `the server was killed ${restartAtMs} ms into the window and restarted on its port; ${restart.reportedLost} deliveries of the old server's messages were missing and reported by a gap, ` +
        `${restart.subscribersWithGap} of ${subs.list.length} subscribers reported a gap; server cost figures cover only the window after the restart`,
    );
    const delayMs = plan.faults?.reconnectDelayMs;
    const releasedNs = await lateReleased;
    if (delayMs !== undefined && releasedNs !== undefined) notes.push(lateNote(publisher.published, killedNs, releasedNs, delayMs, Math.floor(subs.list.length / 2)));
  } else {
    for (const [index, subscriber] of subs.list.entries()) {
      const ids = windowIds.get(subscriber.topic) ?? [];
      const counts = subscriber.checker.count(ids);
      expected += ids.length;
      delivered += counts.delivered;
      lost += counts.lost;
      duplicated += subscriber.checker.duplicated - (before[index]?.duplicated ?? 0);
      outOfOrder += subscriber.checker.outOfOrder - (before[index]?.outOfOrder ?? 0);
    }
  }
  if (publisher.errors > 0) notes.push(`${publisher.errors} publishes failed (not counted as expected)`);
  if (subs.errors > errorsBefore) notes.push(`${subs.errors - errorsBefore} client requests or connections failed and were retried`);
  if (subs.foreign > 0) notes.push(`${subs.foreign} deliveries were not benchmark payloads`);
  if (lost > 0 && process.hrtime.bigint() >= drainEnd) notes.push(`still missing after the ${plan.drainMs} ms drain: counted as lost`);
  const windowPublished = [...windowIds.values()].reduce((sum, ids) => sum + ids.length, 0);

  const rss = (snapshot: MetricsSnapshot): number => sample(snapshot, 'process_resident_memory_bytes');
  const extra: Partial<TechniqueResult> = {};
  if (plan.faults?.churnMeanMs !== undefined) extra.drops = subs.drops;
  if (restart !== undefined) {
    extra.restarts = 1;
    extra.reportedLost = restart.reportedLost;
    extra.subscribersWithGap = restart.subscribersWithGap;
  }
  const stalled = rig.stalled;
  if (stalled !== undefined) {
    extra.stalled = stalled.count;
    extra.slowConsumerDisconnects =
      sample(serverAfter, 'pushlab_slow_consumer_disconnects_total', plan.technique) - sample(rig.serverIdle, 'pushlab_slow_consumer_disconnects_total', plan.technique);
    if (extra.slowConsumerDisconnects < stalled.count) notes.push(
      `${stalled.count - extra.slowConsumerDisconnects} stalled subscribers were not cut off by the end of the run (their backlog stayed under the server's bound` +
        (plan.technique === 'iframe' ? ': an iframe document ends at its byte limit, so a stalled one holds at most one document)' : ')'),
    );
  }
  if (serverSamples !== undefined) {
    extra.serverSamples = serverSamples;
    extra.serverRssGrowthBytes = rss(serverAfter) - rss(serverBefore);
  }
  if (plan.peer !== undefined) extra.peer = plan.peer;
  if (plan.networkName !== undefined) extra.network = plan.networkName;
  if (proxyBefore !== undefined && proxyAfter !== undefined) {
    extra.proxyCpuMs = Math.round(proxyAfter.processCpuMs - proxyBefore.processCpuMs);
    extra.proxyCpuShare = Number(((proxyAfter.processCpuMs - proxyBefore.processCpuMs) / (wallNs / 1e6)).toFixed(4));
    const retransmits = proxyAfter.retransmits - proxyBefore.retransmits;
    if (retransmits > 0) notes.push(`the ${plan.network?.name ?? 'emulated'} network stalled ${retransmits} segments as lost and retransmitted them`);
  }
  const row = aggregate({
    plan,
    label: labelOf(plan),
    published: windowPublished,
    expected,
    delivered,
    lost,
    duplicated,
    outOfOrder,
    gaps: subs.gaps - gapsBefore,
    histogram: subs.histogram,
    publishLag,
    serverIdle: rig.serverIdle,
    serverConnected: rig.serverConnected,
    serverBefore,
    serverAfter,
    loadCpuMicros: loadCpu.user + loadCpu.system,
    loadElu,
    serverWaitShare,
    loadWaitShare,
    notes,
    // The proxy runs on the load generator's core: what it takes counts in the load's demand.
    ...(extra.proxyCpuShare === undefined ? {} : { loadCoreExtraShare: extra.proxyCpuShare }),
  });
  return { ...row, ...extra };
}

/**
 * Lets the late subscribers of a restart reconnect once `delayMs` have passed since the kill
 * and the restarted server has acknowledged an id past the old server's newest on every
 * topic (a new server slow to start on a loaded machine would otherwise not be there yet),
 * or at the window's end at the latest.
 */
async function releaseLate(late: readonly Subscriber[], published: readonly Published[], killedNs: bigint, delayMs: number, endNs: bigint): Promise<bigint> {
  await sleep(delayMs);
  const oldHeads = new Map<string, number>();
  for (const message of published) if (message.ackedNs < killedNs) oldHeads.set(message.topic, Math.max(oldHeads.get(message.topic) ?? 0, message.id));
  const past = (): boolean => {
    const newHeads = new Map<string, number>();
    for (const message of published) if (message.ackedNs >= killedNs) newHeads.set(message.topic, Math.max(newHeads.get(message.topic) ?? 0, message.id));
    return [...oldHeads].every(([topic, id]) => (newHeads.get(topic) ?? 0) > id);
  };
  while (!past() && process.hrtime.bigint() < endNs) await sleep(50);
  for (const subscriber of late) subscriber.client.holdReconnects?.(0);
  return process.hrtime.bigint();
}

/**
 * What the late subscribers of a restart came back to: per topic, the old server's newest
 * id and the new server's newest acknowledged before they returned (past it is the case a
 * bare integer cursor would lose silently).
 */
function lateNote(published: readonly Published[], killedNs: bigint, releasedNs: bigint, delayMs: number, late: number): string {
  let oldHead = 0;
  let newHead = 0;
  for (const message of published) {
    if (message.ackedNs < killedNs) oldHead = Math.max(oldHead, message.id);
    else if (message.ackedNs < releasedNs) newHead = Math.max(newHead, message.id);
  }
  const past = newHead > oldHead ? 'past their old cursors' : 'not past their old cursors (the window ended first)';
  const afterMs = Math.round(Number(releasedNs - killedNs) / 1e6);
  return `${late} subscribers stayed away ${afterMs} ms after the kill (at least ${delayMs} ms); the new server had then published up to id ${newHead}, ${past} (the old server reached id ${oldHead})`;
}

/** Performs one run (or, for a saturation plan, one series of steps) on a fresh server and returns its row. */
export async function runPlan(plan: RunPlan, options: RunOptions = {}): Promise<TechniqueResult> {
  const progress = options.onProgress ?? (() => {});
  const flags: ServerFlags = { heartbeatMs: plan.heartbeatMs, pingMs: plan.pingMs };
  const server = await startTarget(plan, flags);
  const notes: string[] = [];
  const topics = topicNames(plan.topics);
  let rig: Rig | undefined;
  let proxy: ProxyProcess | undefined;
  let subscribers: Subscribers | undefined;
  let stalled: Stalled | undefined;
  try {
    // Subscribers reach the server through the network's delay proxy (it inherits this
    // process's core); the publisher and /metrics go direct, so only delivery pays the network.
    if (plan.network !== undefined) {
      const target = new URL(server.url);
      proxy = await startProxyProcess({ target: { host: target.hostname, port: Number(target.port) }, profile: plan.network });
    }
    await sleep(100);
    const serverIdle = await server.metrics();

    progress({ type: 'phase', run: plan.key, phase: 'connect', total: plan.clients, unit: 'clients' });
    subscribers = await withTimeout(
      openSubscribers(
        {
          baseUrl: proxy?.url ?? server.url,
          technique: plan.technique,
          ...(plan.peer === undefined ? {} : { peer: plan.peer }),
          clients: plan.clients,
          topics,
          intervalMs: plan.intervalMs,
          holdMs: plan.holdMs,
          dropOne: options.dropOne,
          churnMeanMs: plan.faults?.churnMeanMs,
          recordArrivals: plan.faults?.restartAtMs !== undefined,
        },
        (ready) => progress({ type: 'update', value: ready }),
      ),
      15_000 + 20 * plan.clients + 4 * (plan.network?.rttMs ?? 0) * Math.ceil(plan.clients / 50),
      `waiting for ${plan.clients} ${plan.key} clients to subscribe`,
    );
    progress({ type: 'phase-end' });
    // Let the server settle before reading its memory with every client connected and idle.
    await sleep(Math.min(500, 100 + plan.clients));
    const serverConnected = await server.metrics();
    const stalledShare = plan.faults?.stalledShare;
    if (stalledShare !== undefined) {
      if (stallable.includes(plan.technique)) {
        stalled = await openStalled(server.url, plan.technique, topics, Math.max(1, Math.round(plan.clients * stalledShare)));
      } else {
        notes.push(`${plan.technique} holds no stream a client could stop reading: the slow-consumer fault does not apply`);
      }
    }
    const built: Rig = { plan, server, topics, subscribers, serverIdle, serverConnected, notes, progress, ...(proxy === undefined ? {} : { proxy }), ...(stalled === undefined ? {} : { stalled }) };
    rig = built;
    const { saturation } = plan;
    const result =
      saturation === undefined
        ? await measureWindow(built, plan.ratePerSecond, plan.durationMs, flags)
        : await saturate(plan, saturation, (rate) => measureWindow(built, rate, saturation.stepMs, flags));
    progress({ type: 'run-end', run: plan.key, result });
    return result;
  } finally {
    stalled?.close();
    subscribers?.close();
    await proxy?.close();
    await (rig?.server ?? server).stop();
  }
}

/** Runs every plan of `scenario` (and capacity, unless `capacityMs` is 0); returns the validated results document. */
export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<RunResult> {
  const progress = options.onProgress ?? (() => {});
  const startedAt = new Date().toISOString();
  const plans = expandScenario(scenario);
  progress({ type: 'scenario', scenario: scenario.name, runs: plans.length });
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
  for (const plan of plans) {
    // One row that cannot run (a server that does not start, clients that never subscribe)
    // must not cost the rows already measured: it is recorded, and the run goes on.
    try {
      techniques[plan.key] = await runPlan(plan, options);
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
  return runResultSchema.parse({
    scenario: name,
    startedAt,
    environment,
    params,
    ...(Object.keys(networks).length > 0 ? { networks } : {}),
    techniques,
    ...(Object.keys(failed).length > 0 ? { failed } : {}),
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
