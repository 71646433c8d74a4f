/**
 * The report model: which runs are reported (the newest per scenario, and the one before it
 * for comparison), the rows in reading order, and everything computed from them. The renderers
 * (Markdown, HTML) only lay the model out; nothing in the report is written by hand.
 */
import { scenarioOrder } from '../../registry/scenarios.ts';
import type { RunResult } from '../results/schema.ts';
import { buildCharts } from './charts/scenario-charts.ts';
import { timelineCharts } from './charts/timeline.ts';
import { explainMeasurement, explainReading } from './sections/explain.ts';
import { alertsOf, changesOf, expectedOf, expectedOutcomes, findingsOf, groupAlerts, type Alert } from './sections/findings.ts';
import { headlineFindings, verdictTable, whatWasRun } from './sections/verdict.ts';
import { networkOf, rowName, slug } from './format.ts';
import { networkFindings, networkSection } from './sections/networks.ts';
import { peerPairs, peerSection, targetChecks, targetSummary } from './sections/peers.ts';
import { compareRows, coreRows, networksOf, seriesKey } from './rows.ts';
import { memoryMinClients } from './sections/verdict.ts';
import { saturationSection } from './sections/saturation.ts';
import { protocolSection } from './sections/protocols.ts';
import { scaleOutSection } from './sections/scale-out.ts';
import { environmentTable, scenarioTables } from './sections/tables.ts';
import type { Chart, ReportModel, Row, ScenarioReport, Section } from './types.ts';

/** Every chart of a scenario: its sections' first, then its own, as the renderers show them. */
export function chartsOf(s: ScenarioReport): Chart[] {
  return [...s.sections.flatMap((section) => section.charts), ...s.charts];
}

function startedAtMs(run: RunResult): number {
  const ms = Date.parse(run.startedAt);
  return Number.isNaN(ms) ? 0 : ms;
}

/**
 * The charts that answer what a scenario is for, the one that answers it first: a fault's
 * latency (not its memory or CPU); an idle run's memory; a sweep's trade-off; a saturation or
 * network run only its section's charts. Memory per connection only with enough clients to measure it.
 */
export function chartsFor(slug: string, run: RunResult, rows: readonly Row[], charts: readonly Chart[]): Chart[] {
  const faults = run.params.faults as Record<string, unknown> | undefined;
  const memory = rows.some((row) => row.result.clients >= memoryMinClients) ? ['memory'] : [];
  const sweeps = charts
    .map((chart) => chart.id.slice(slug.length + 1))
    .filter((kind) => ['trade-off', 'scaling-p99', 'scaling-cpu', 'payload-share'].includes(kind));
  let wanted: string[];
  if (run.params.saturation !== undefined || networksOf(rows).length > 1) wanted = [];
  else if (faults?.sampleMs !== undefined) wanted = ['timeline-delivered', 'latency', ...memory];
  else if (faults !== undefined) wanted = ['timeline-delivered', 'timeline-p99', 'latency'];
  else if (rows.every((row) => row.result.delivered === 0) || run.scenario === 'idle') wanted = [...memory, 'bytes'];
  else if (sweeps.length > 0) wanted = [...sweeps, 'latency'];
  else wanted = ['latency', 'bytes', 'cpu', 'requests', 'cdf', ...memory];
  return wanted
    .map((kind) => charts.find((chart) => chart.id === `${slug}-${kind}`))
    .filter((chart): chart is Chart => chart !== undefined);
}

/** Groups runs by scenario, newest first within each group, groups in reading order. */
export function groupRuns(runs: readonly RunResult[]): Map<string, RunResult[]> {
  const groups = new Map<string, RunResult[]>();
  for (const run of runs) groups.set(run.scenario, [...(groups.get(run.scenario) ?? []), run]);
  const rank = (scenario: string): number => {
    const index = scenarioOrder.indexOf(scenario);
    return index === -1 ? scenarioOrder.length : index;
  };
  const names = [...groups.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return new Map(
    names.map((name) => [
      name,
      [...(groups.get(name) ?? [])].sort((a, b) => startedAtMs(b) - startedAtMs(a) || b.startedAt.localeCompare(a.startedAt)),
    ]),
  );
}

/** Rows in reading order: by technique, pushlab before its peers, the baseline last; then network, knob, key (rows.ts). */
export function orderRows(techniques: RunResult['techniques']): Row[] {
  return Object.entries(techniques)
    .map(([key, result]) => ({ key, series: seriesKey(key, result), name: rowName(result), result }))
    .sort(compareRows);
}

/**
 * The rows the general findings compare: pushlab's own over the fastest network (peers and
 * networks have their sections); a run of peers only is compared among its peers.
 */
function compared(rows: readonly Row[]): Row[] {
  const core = coreRows(rows);
  if (core.length > 0) return core;
  const [fastest] = networksOf(rows);
  return rows.filter((row) => networkOf(row.result) === fastest);
}

/** Builds the report of `runs`: the newest run per scenario, compared with the one before it. */
export function buildReport(runs: readonly RunResult[]): ReportModel {
  if (runs.length === 0) throw new Error('no runs to report');
  const scenarios: ScenarioReport[] = [];
  for (const [scenario, group] of groupRuns(runs)) {
    const [run, previous] = group;
    if (run === undefined) continue;
    const rows = orderRows(run.techniques);
    const id = slug(scenario);
    const changes = previous === undefined ? [] : changesOf(rows, previous);
    const sections = [
      networkSection(id, run, rows),
      peerSection(id, rows),
      saturationSection(id, rows),
      protocolSection(id, rows),
      scaleOutSection(id, rows),
    ].filter((x): x is Section => x !== undefined);
    const expected = expectedOf(run);
    const alerts: Alert[] = [
      ...Object.entries(run.failed ?? {}).map(
        ([key, error]): Alert => ({ kind: 'failed', key, text: `\`${key}\` was **not measured**: ${error}.` }),
      ),
      ...alertsOf(rows, expected),
    ];
    const warning = groupAlerts(alerts, rows.length + Object.keys(run.failed ?? {}).length);
    scenarios.push({
      scenario,
      slug: id,
      run,
      ...(previous === undefined ? {} : { previous }),
      rows,
      alerts: alerts.map((alert) => alert.text),
      ...(warning === undefined ? {} : { warning }),
      findings: [
        ...expectedOutcomes(rows, expected),
        ...findingsOf(compared(rows), changes, previous),
        ...networkFindings(run, rows),
        ...targetSummary(targetChecks(rows, peerPairs(rows))),
      ],
      changes,
      measured: explainMeasurement(run, rows),
      sections,
      charts: chartsFor(id, run, rows, [...buildCharts(id, rows), ...timelineCharts(id, rows)]),
      tables: scenarioTables(id, run, rows, changes, previous, !sections.some((section) => section.id === `${id}-networks`)),
    });
  }
  const verdict = verdictTable(scenarios);
  const newest = scenarios.reduce((a, b) => (startedAtMs(b.run) > startedAtMs(a.run) ? b : a));
  return {
    title: 'pushlab benchmark report',
    newestStartedAt: newest.run.startedAt,
    runsRead: runs.length,
    scenarios,
    ran: whatWasRun(scenarios),
    ...(verdict === undefined ? {} : { verdict }),
    headline: headlineFindings(scenarios),
    warnings: scenarios.flatMap((s) =>
      s.warning === undefined ? [] : [{ scenario: s.scenario, slug: s.slug, line: s.warning, alerts: s.alerts }],
    ),
    reading: explainReading(scenarios),
    environment: environmentTable(scenarios.map((s) => s.run)),
  };
}
