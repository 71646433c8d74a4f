/**
 * One measured window on a rig, as a sequence of steps that each return data: the schedule
 * and its quiet points, the counters before, the faults during the window (restart, soak
 * samples), the window's messages and publish lag, the drain, the counters after, the
 * delivery accounting, the notes, and the fault, peer and network extras; `aggregate` turns
 * them into a row. A saturation plan measures several windows on one rig (`saturate.ts`).
 */
import { createTimeline } from '../results/timeline.ts';
import { type EventLoopUtilization, performance } from 'node:perf_hooks';
import type { Histogram } from 'hdr-histogram-js';
import { aggregate, type LoadWorkerShares } from '../results/aggregate.ts';
import type { TechniqueResult } from '../results/schema.ts';
import type { ProxyStats } from '../network/proxy.ts';
import { sample, type MetricsSnapshot } from '../processes/prometheus.ts';
import { readSchedstat, waitShare, type Schedstat } from '../processes/schedstat.ts';
import { startServerProcess, type ServerFlags, type ServerProcess } from '../processes/server.ts';
import type { RunPlan } from '../scenario/plan.ts';
import { countRestart, reportedRestart, type RestartCounts } from './faults/restart.ts';
import { failoverAt, scaleOutExtras } from './faults/failover.ts';
import { encodeHistogram } from './histograms.ts';
import type { Published } from './publisher.ts';
import { startPublisherThread } from './publisher-thread.ts';
import { labelOf, type Rig } from './rig.ts';
import { createLatencyHistogram, type LoadProcessCounters, type Subscriber, type Subscribers } from './subscribers.ts';
import { sleep, waitUntil } from './wait.ts';
import { protocolFields } from './protocol.ts';

/** When a window starts and ends, and where its quiet points lie. */
export interface WindowSchedule {
  startNs: bigint;
  endNs: bigint;
  /** How far before the first measured message the counters are read. */
  edgeNs: bigint;
  /** How long after the last delivery the counters are read. */
  settleMs: number;
}

/**
 * The server's counters are read at quiet points: halfway between the last warm-up message
 * and the first measured one, and a little after the last delivery, so that a poll cycle
 * (delivery, then the next request) is not cut in two at either edge. At 1 msg/s that edge
 * would otherwise be a quarter of a 4-message window. A burst's messages share one due time:
 * the quiet points lie between bursts.
 */
export function scheduleOf(plan: RunPlan, publisherStartNs: bigint): WindowSchedule {
  const startNs = publisherStartNs + BigInt(plan.warmupMs) * 1_000_000n;
  const endNs = startNs + BigInt(plan.durationMs) * 1_000_000n;
  const periodMs = plan.ratePerSecond > 0 ? (1000 * (plan.burst ?? 1)) / plan.ratePerSecond : Infinity;
  const edgeNs = BigInt(Math.round(Math.min(periodMs / 2, plan.warmupMs / 2, 500) * 1e6));
  return { startNs, endNs, edgeNs, settleMs: Math.min(periodMs / 2, 100) };
}

/** Both sides' counters at the start of the window. */
export interface CountersBefore {
  server: MetricsSnapshot;
  proxy: ProxyStats | undefined;
  cpu: NodeJS.CpuUsage;
  elu: EventLoopUtilization;
  serverSched: Schedstat | undefined;
  loadSched: Schedstat | undefined;
  /** The server's throttled time at its CPU budget (ns), where it has one. */
  serverThrottledNs: number | undefined;
  /** The load workers' latest counters, where there are workers. */
  workers: readonly LoadProcessCounters[] | undefined;
  /** When this process read its own counters (its CPU, the schedstats, the proxy's): their window's start. */
  at: bigint;
}

async function readBefore(rig: Rig): Promise<CountersBefore> {
  const server = await rig.server.metrics();
  const proxy = await rig.proxy?.stats();
  return {
    server,
    proxy,
    at: process.hrtime.bigint(),
    cpu: process.cpuUsage(),
    elu: performance.eventLoopUtilization(),
    serverSched: readSchedstat(rig.server.pid),
    loadSched: readSchedstat(process.pid),
    serverThrottledNs: rig.server.cpuBudget?.throttledNs(),
    workers: rig.subscribers.loadProcesses?.(),
  };
}

/**
 * Each load worker's shares between two of its reports (each dated by the worker itself, at
 * most 50 ms from the window's edges), matched by position.
 */
export function loadWorkerShares(
  before: readonly LoadProcessCounters[] | undefined,
  after: readonly LoadProcessCounters[] | undefined,
): LoadWorkerShares[] | undefined {
  if (before === undefined || after === undefined || after.length === 0) return undefined;
  return after.flatMap((end, i) => {
    const start = before[i];
    if (start === undefined) return [];
    const wallNs = Number(BigInt(end.atNs) - BigInt(start.atNs));
    if (wallNs <= 0) return [];
    const active = end.eluActiveMs - start.eluActiveMs;
    const idle = end.eluIdleMs - start.eluIdleMs;
    return [
      {
        cpuShare: (end.cpuMicros - start.cpuMicros) / (wallNs / 1000),
        ...(end.waitNs === undefined || start.waitNs === undefined ? {} : { waitShare: Math.max(0, (end.waitNs - start.waitNs) / wallNs) }),
        elu: active + idle > 0 ? active / (active + idle) : 0,
        ...(end.lowPriority === true ? { lowPriority: true } : {}),
      },
    ];
  });
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
    rows.push([
      Math.round(Number(snapshot.at - fromNs) / 1e6),
      sample(snapshot, 'process_resident_memory_bytes'),
      sample(snapshot, 'nodejs_active_handles_total'),
    ]);
    await sleep(Math.min(everyMs, Math.max(1, Number(untilNs - process.hrtime.bigint()) / 1e6)));
  }
  return rows;
}

/** What the restart fault did: when the old server died, and the new server's counters at its start. */
export interface Restarted {
  killedNs: bigint;
  server: MetricsSnapshot;
  serverSched: Schedstat | undefined;
  /** With a reconnect delay: when the late subscribers were let back (hrtime). */
  lateReleased?: Promise<bigint>;
}

/**
 * The restart fault: kill -9 `restartAtMs` into the window, then a new process on the same
 * port. The clients find it by themselves; the server's counters start again, so the new
 * server's are returned for the window's "before".
 */
async function restartAt(
  rig: Rig,
  flags: ServerFlags,
  plan: RunPlan,
  published: readonly Published[],
  schedule: WindowSchedule,
  restartAtMs: number,
): Promise<Restarted> {
  const { startNs, endNs } = schedule;
  await waitUntil(startNs + BigInt(restartAtMs) * 1_000_000n, startNs, () => undefined);
  // The late half stays away: it comes back with its old cursor only once the new server has
  // published past it (the case a bare integer cursor could not tell).
  const delayMs = plan.faults?.reconnectDelayMs;
  const late = rig.subscribers.list.filter((_, index) => index % 2 === 1);
  if (delayMs !== undefined) {
    const windowLeftMs = Number(endNs - process.hrtime.bigint()) / 1e6;
    for (const subscriber of late) subscriber.client.holdReconnects?.(Date.now() + windowLeftMs);
  }
  await rig.server.kill();
  const killedNs = process.hrtime.bigint();
  const lateReleased = delayMs === undefined ? undefined : releaseLate(late, published, killedNs, delayMs, endNs);
  rig.server = await startServerProcess({ ...flags, port: Number(new URL(rig.server.url).port) });
  return {
    killedNs,
    server: await rig.server.metrics(),
    serverSched: readSchedstat(rig.server.pid),
    ...(lateReleased === undefined ? {} : { lateReleased }),
  };
}

/**
 * Lets the late subscribers of a restart reconnect once `delayMs` have passed since the kill
 * and the restarted server has acknowledged an id past the old server's newest on every
 * topic (a new server slow to start on a loaded machine would otherwise not be there yet),
 * or at the window's end at the latest.
 */
async function releaseLate(
  late: readonly Subscriber[],
  published: readonly Published[],
  killedNs: bigint,
  delayMs: number,
  endNs: bigint,
): Promise<bigint> {
  await sleep(delayMs);
  const oldHeads = new Map<string, number>();
  for (const message of published)
    if (message.ackedNs < killedNs) oldHeads.set(message.topic, Math.max(oldHeads.get(message.topic) ?? 0, message.id));
  const past = (): boolean => {
    const newHeads = new Map<string, number>();
    for (const message of published)
      if (message.ackedNs >= killedNs) newHeads.set(message.topic, Math.max(newHeads.get(message.topic) ?? 0, message.id));
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

/** The window's published messages: ids per topic, each topic's last id and last scheduled time, and the publish lag. */
export interface WindowMessages {
  ids: Map<string, number[]>;
  lastIds: Map<string, number>;
  lastScheduled: Map<string, bigint>;
  /** Scheduled time to the server's acknowledgement, in microseconds. */
  publishLag: Histogram;
  count: number;
}

/** The messages scheduled in `[startNs, endNs)`. */
export function windowMessages(published: readonly Published[], topics: readonly string[], startNs: bigint, endNs: bigint): WindowMessages {
  const ids = new Map<string, number[]>(topics.map((topic) => [topic, []]));
  const lastScheduled = new Map<string, bigint>();
  const publishLag = createLatencyHistogram();
  for (const message of published) {
    if (message.scheduledNs < startNs || message.scheduledNs >= endNs) continue;
    ids.get(message.topic)?.push(message.id);
    lastScheduled.set(message.topic, message.scheduledNs);
    publishLag.recordValue(Math.max(1, Math.round(Number(message.ackedNs - message.scheduledNs) / 1000)));
  }
  const lastIds = new Map([...ids].map(([topic, list]) => [topic, list.reduce((max, id) => Math.max(max, id), 0)]));
  const count = [...ids.values()].reduce((sum, list) => sum + list.length, 0);
  return { ids, lastIds, lastScheduled, publishLag, count };
}

/**
 * Waits until every subscriber has its topic's last message of the window, or `drainMs`
 * passes; returns when the drain's deadline was. After a restart the last message of each
 * topic is identified by its schedule, not its id, and a subscriber is done only once it has
 * also been told of the restart (a gap): the last message may be an old-server one it
 * already had, when the new server came up late on a loaded machine.
 */
async function drain(
  rig: Rig,
  plan: RunPlan,
  messages: WindowMessages,
  published: readonly Published[],
  killedNs: bigint | undefined,
): Promise<bigint> {
  const subs = rig.subscribers;
  const drainEndNs = process.hrtime.bigint() + BigInt(plan.drainMs) * 1_000_000n;
  rig.progress({ type: 'phase', run: plan.key, phase: 'drain', total: plan.clients, unit: 'clients' });
  const bySchedule = new Map(published.map((message) => [message.scheduledNs, message]));
  const has = (s: Subscriber): boolean =>
    s.arrivals === undefined
      ? s.checker.has(messages.lastIds.get(s.topic) ?? 0)
      : s.arrivals.some((a) => a.scheduledNs === messages.lastScheduled.get(s.topic)) &&
        (killedNs === undefined || reportedRestart(s, bySchedule, killedNs));
  for (;;) {
    const complete = subs.list.filter(has).length;
    rig.progress({ type: 'update', value: complete });
    if (complete === subs.list.length || process.hrtime.bigint() >= drainEndNs) break;
    await sleep(50);
  }
  rig.progress({ type: 'phase-end' });
  return drainEndNs;
}

/** Both sides' counters at the end of the window, and what they add up to. */
export interface CountersAfter {
  server: MetricsSnapshot;
  proxy: ProxyStats | undefined;
  loadCpuMicros: number;
  loadElu: number;
  wallNs: number;
  serverWaitShare: number | undefined;
  loadWaitShare: number | undefined;
  serverThrottledShare: number | undefined;
  loadWorkers: LoadWorkerShares[] | undefined;
}

async function readAfter(rig: Rig, before: CountersBefore): Promise<CountersAfter> {
  const server = await rig.server.metrics();
  const proxy = await rig.proxy?.stats();
  const loadCpu = process.cpuUsage(before.cpu);
  const loadElu = performance.eventLoopUtilization(before.elu).utilization;
  // This process's own counters over its own clock: the server's are dated by the server
  // (`process_collected_hrtime_seconds`), and a busy load generator reads them late.
  const wallNs = Number(process.hrtime.bigint() - before.at);
  return {
    server,
    proxy,
    loadCpuMicros: loadCpu.user + loadCpu.system,
    loadElu,
    wallNs,
    serverWaitShare: waitShare(before.serverSched, readSchedstat(rig.server.pid), wallNs),
    loadWaitShare: waitShare(before.loadSched, readSchedstat(process.pid), wallNs),
    serverThrottledShare:
      before.serverThrottledNs === undefined ? undefined : ((rig.server.cpuBudget?.throttledNs() ?? 0) - before.serverThrottledNs) / wallNs,
    loadWorkers: loadWorkerShares(before.workers, rig.subscribers.loadProcesses?.()),
  };
}

/** The sequence counters of each subscriber, which run over the rig's life: a window's are differences. */
type SequenceMarks = { duplicated: number; outOfOrder: number }[];

/** What arrived of the window's messages, over every subscriber. */
export interface Deliveries {
  expected: number;
  delivered: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  /** Present when the server was restarted: the accounting by schedule across the two servers. */
  restart?: RestartCounts;
}

/** Counts the window's deliveries: by id per topic, or across a restart by each message's schedule. */
export function countDeliveries(
  subs: Subscribers,
  marks: SequenceMarks,
  messages: WindowMessages,
  published: readonly Published[],
  schedule: WindowSchedule,
  killedNs: bigint | undefined,
): Deliveries {
  if (killedNs !== undefined) {
    const restart = countRestart(subs.list, published, killedNs, schedule.startNs, schedule.endNs);
    const { expected, delivered, lost, duplicated, outOfOrder } = restart;
    return { expected, delivered, lost, duplicated, outOfOrder, restart };
  }
  const counts: Deliveries = { expected: 0, delivered: 0, lost: 0, duplicated: 0, outOfOrder: 0 };
  for (const [index, subscriber] of subs.list.entries()) {
    const ids = messages.ids.get(subscriber.topic) ?? [];
    const seen = subscriber.checker.count(ids);
    counts.expected += ids.length;
    counts.delivered += seen.delivered;
    counts.lost += seen.lost;
    counts.duplicated += subscriber.checker.duplicated - (marks[index]?.duplicated ?? 0);
    counts.outOfOrder += subscriber.checker.outOfOrder - (marks[index]?.outOfOrder ?? 0);
  }
  return counts;
}

/** What the fault, peer and network of a window add to its row, and the notes they call for. */
export interface Extras {
  extra: Partial<TechniqueResult>;
  notes: string[];
}

/** The churn, restart, stalled, soak, peer and network fields of a row. */
function extrasOf(
  rig: Rig,
  plan: RunPlan,
  deliveries: Deliveries,
  before: CountersBefore,
  after: CountersAfter,
  serverSamples: [number, number, number][] | undefined,
): Extras {
  const extra: Partial<TechniqueResult> = {};
  const notes: string[] = [];
  const rss = (snapshot: MetricsSnapshot): number => sample(snapshot, 'process_resident_memory_bytes');
  if (plan.faults?.churnMeanMs !== undefined) extra.drops = rig.subscribers.drops;
  const { restart } = deliveries;
  if (restart !== undefined) {
    extra.restarts = 1;
    extra.reportedLost = restart.reportedLost;
    extra.subscribersWithGap = restart.subscribersWithGap;
  }
  const { stalled } = rig;
  if (stalled !== undefined) {
    extra.stalled = stalled.count;
    extra.slowConsumerDisconnects =
      sample(after.server, 'pushlab_slow_consumer_disconnects_total', plan.technique) -
      sample(rig.serverIdle, 'pushlab_slow_consumer_disconnects_total', plan.technique);
    if (extra.slowConsumerDisconnects < stalled.count)
      notes.push(
        `${stalled.count - extra.slowConsumerDisconnects} stalled subscribers were not cut off by the end of the run (their backlog stayed under the server's bound` +
          (plan.technique === 'iframe' ? ': an iframe document ends at its byte limit, so a stalled one holds at most one document)' : ')'),
      );
  }
  if (serverSamples !== undefined) {
    extra.serverSamples = serverSamples;
    extra.serverRssGrowthBytes = rss(after.server) - rss(before.server);
  }
  if (plan.peer !== undefined) extra.peer = plan.peer;
  if (plan.networkName !== undefined) extra.network = plan.networkName;
  if (plan.burst !== undefined && plan.burst > 1) extra.publishMode = plan.publish ?? 'batch';
  if (before.proxy !== undefined && after.proxy !== undefined) {
    extra.proxyCpuMs = Math.round(after.proxy.processCpuMs - before.proxy.processCpuMs);
    extra.proxyCpuShare = Number(((after.proxy.processCpuMs - before.proxy.processCpuMs) / (after.wallNs / 1e6)).toFixed(4));
    const retransmits = after.proxy.retransmits - before.proxy.retransmits;
    if (retransmits > 0)
      notes.push(`the ${plan.network?.name ?? 'emulated'} network stalled ${retransmits} segments as lost and retransmitted them`);
  }
  return { extra, notes };
}

/**
 * One measured window of `durationMs` at `rate` on a rig: publish (warm-up, then the window),
 * drain, and aggregate into a row. The plan's faults (restart, stalled, churn, samples) apply.
 */
export async function measureWindow(rig: Rig, rate: number, durationMs: number, flags: ServerFlags): Promise<TechniqueResult> {
  const { topics, progress } = rig;
  const plan: RunPlan = { ...rig.plan, ratePerSecond: rate, durationMs };
  const restartAtMs = plan.faults?.restartAtMs;
  const subs = rig.subscribers;
  const marks: SequenceMarks = subs.list.map((s) => ({ duplicated: s.checker.duplicated, outOfOrder: s.checker.outOfOrder }));
  const gapsBefore = subs.gaps;
  const errorsBefore = subs.errors;
  const corruptBefore = subs.corrupt;
  subs.histogram.reset();

  const publisher = await startPublisherThread({
    baseUrl: rig.server.url,
    topics,
    ratePerSecond: rate,
    payloadBytes: plan.payloadBytes,
    burst: plan.burst,
    ...(rig.server.control === undefined ? {} : { control: rig.server.control }),
    ...(plan.publish === undefined ? {} : { mode: plan.publish }),
  });
  const schedule = scheduleOf(plan, publisher.startNs);
  const { startNs, endNs, edgeNs } = schedule;
  const timeline = createTimeline(startNs);
  subs.measure({ startNs, endNs, onMeasured: timeline.record });
  const published = publisher.stopAt(endNs);

  // Progress shows the warm-up and the window as the scenario names them; the quiet point
  // where the counters are read lies inside the warm-up.
  const tick = (value: number): void => progress({ type: 'update', value });
  progress({ type: 'phase', run: plan.key, phase: 'warm-up', total: plan.warmupMs, unit: 'ms' });
  await waitUntil(startNs - edgeNs, publisher.startNs, tick);

  const before = await readBefore(rig);
  const sampling =
    plan.faults?.sampleMs === undefined ? undefined : sampleServer(rig.server, plan.faults.sampleMs, before.server.at, endNs);
  const restarting = restartAtMs === undefined ? undefined : restartAt(rig, flags, plan, publisher.published, schedule, restartAtMs);
  const sideBefore = rig.topology?.sideCpuMs();
  const failoverAtMs = plan.faults?.failoverAtMs;
  const failingOver =
    failoverAtMs === undefined || rig.topology === undefined ? undefined : failoverAt(rig.topology, labelOf(plan), startNs, failoverAtMs);
  await waitUntil(startNs, publisher.startNs, tick);
  progress({ type: 'phase-end' });
  progress({ type: 'phase', run: plan.key, phase: 'measure', total: plan.durationMs, unit: 'ms' });
  await waitUntil(endNs, startNs, tick);
  const restarted = await restarting;
  const failedOver = await failingOver;
  if (restarted !== undefined) {
    before.server = restarted.server;
    before.serverSched = restarted.serverSched;
  }
  await published;
  const serverSamples = await sampling;
  progress({ type: 'phase-end' });

  const messages = windowMessages(publisher.published, topics, startNs, endNs);
  const drainEndNs = await drain(rig, plan, messages, publisher.published, restarted?.killedNs);
  await sleep(schedule.settleMs);
  const after = await readAfter(rig, before);
  const sideAfter = rig.topology?.sideCpuMs();

  if (restarted !== undefined) timeline.event(restarted.killedNs, 'server killed');
  const deliveries = countDeliveries(subs, marks, messages, publisher.published, schedule, restarted?.killedNs);
  const notes = [...rig.notes];
  if (deliveries.restart !== undefined) {
    notes.push(
      `the server was killed ${restartAtMs} ms into the window and restarted on its port; ${deliveries.restart.reportedLost} deliveries of the old server's messages were missing and reported by a gap, ` +
        `${deliveries.restart.subscribersWithGap} of ${subs.list.length} subscribers reported a gap; server cost figures cover only the window after the restart`,
    );
    const delayMs = plan.faults?.reconnectDelayMs;
    const releasedNs = await restarted?.lateReleased;
    if (delayMs !== undefined && restarted !== undefined && releasedNs !== undefined) {
      notes.push(lateNote(publisher.published, restarted.killedNs, releasedNs, delayMs, Math.floor(subs.list.length / 2)));
    }
  }
  if (publisher.errors > 0) notes.push(`${publisher.errors} publishes failed (not counted as expected)`);
  if (subs.errors > errorsBefore) notes.push(`${subs.errors - errorsBefore} client requests or connections failed and were retried`);
  if (subs.foreign > 0) notes.push(`${subs.foreign} deliveries were not benchmark payloads`);
  const corrupt = subs.corrupt - corruptBefore;
  if (corrupt > 0) notes.push(`${corrupt} frames failed the load generator's content check (${subs.corruptReasons.join('; ')})`);
  if (deliveries.lost > 0 && process.hrtime.bigint() >= drainEndNs)
    notes.push(`still missing after the ${plan.drainMs} ms drain: counted as lost`);
  const { extra, notes: extraNotes } = extrasOf(rig, plan, deliveries, before, after, serverSamples);
  Object.assign(extra, protocolFields(rig, messages.ids, deliveries.delivered, before.server, after.server));
  notes.push(...extraNotes);
  if (rig.topology !== undefined) {
    const scaled = scaleOutExtras(rig.topology, sideBefore, sideAfter, failedOver, failoverAtMs);
    Object.assign(extra, scaled.extra);
    notes.push(...scaled.notes);
  }

  const row = aggregate({
    plan,
    label: labelOf(plan),
    published: messages.count,
    expected: deliveries.expected,
    delivered: deliveries.delivered,
    lost: deliveries.lost,
    duplicated: deliveries.duplicated,
    outOfOrder: deliveries.outOfOrder,
    gaps: subs.gaps - gapsBefore,
    histogram: subs.histogram,
    publishLag: messages.publishLag,
    serverIdle: rig.serverIdle,
    serverConnected: rig.serverConnected,
    serverBefore: before.server,
    serverAfter: after.server,
    loadCpuMicros: after.loadCpuMicros,
    loadElu: after.loadElu,
    loadWindowNs: after.wallNs,
    serverWaitShare: after.serverWaitShare,
    loadWaitShare: after.loadWaitShare,
    ...(rig.server.cpuBudget === undefined ? {} : { serverCpuBudget: rig.server.cpuBudget.share }),
    ...(after.serverThrottledShare === undefined ? {} : { serverThrottledShare: after.serverThrottledShare }),
    ...(after.loadWorkers === undefined ? {} : { loadWorkers: after.loadWorkers }),
    notes,
    // The proxy runs on the load generator's core: what it takes counts in the load's demand.
    ...(extra.proxyCpuShare === undefined ? {} : { loadCoreExtraShare: extra.proxyCpuShare }),
  });
  return {
    ...row,
    ...extra,
    timeline: timeline.result(),
    latencyHistogram: encodeHistogram(subs.histogram),
    ...(corrupt > 0 ? { corrupt } : {}),
  };
}
