/**
 * The report model: which runs are reported (the newest per scenario, and the one before it
 * for comparison), the rows in reading order, and everything computed from them. The renderers
 * (Markdown, HTML) only lay the model out; nothing in the report is written by hand.
 */
import { scenarioOrder } from '../../registry/scenarios.ts';
import type { RunResult, TechniqueResult } from '../results/schema.ts';
import { buildCharts } from './charts/scenario-charts.ts';
import { explainMeasurement, explainReading } from './sections/explain.ts';
import { alertsOf, changesOf, findingsOf, type Change } from './sections/findings.ts';
import { networkOf, rowName, slug } from './format.ts';
import { networkFindings, networkSection } from './sections/networks.ts';
import { peerPairs, peerSection, targetChecks, targetSummary } from './sections/peers.ts';
import { compareRows, coreRows, networksOf, seriesKey } from './rows.ts';
import { saturationSection } from './sections/saturation.ts';
import type { Chart } from './charts/svg.ts';
import { environmentTable, scenarioTables, type Table } from './sections/tables.ts';

export type { Chart } from './charts/svg.ts';
export type { Table } from './sections/tables.ts';
export type { Change } from './sections/findings.ts';

/**
 * A line of report text. It may use two inline marks, rendered by each format:
 * `**bold**` and `` `code` ``; everything else is plain text.
 */
export type Text = string;

/** One row of a run: a technique under one setting of its knobs. */
export interface Row {
  /** The key in the results JSON: `sse`, `short-poll@250ms`. */
  key: string;
  /** The key without the network, the same for one technique and setting over every network: `sse@broadband` → `sse`. */
  series: string;
  /** In prose: `short polling at 250 ms`, `SSE over broadband`, `Socket.IO (websocket)`. */
  name: string;
  result: TechniqueResult;
}

/** A part of a scenario that only some runs have (networks, peers, saturation): its own text, charts and tables. */
export interface Section {
  /** Unique in the report; an anchor in the HTML. */
  id: string;
  title: string;
  /** What the section shows and what the numbers say, computed from the run. */
  text: Text[];
  charts: Chart[];
  tables: Table[];
}

/** The reported run of one scenario. */
export interface ScenarioReport {
  scenario: string;
  /** Anchor and chart-file prefix, safe in a URL and a file name. */
  slug: string;
  run: RunResult;
  /** The run of the same scenario before `run`, when there is one. */
  previous?: RunResult;
  rows: Row[];
  /** Loss, duplicates, disorder, gaps, load-generator bottlenecks: shown at the top, loudly. */
  alerts: Text[];
  findings: Text[];
  /** Figures that changed against `previous`, one per row present in both. */
  changes: Change[];
  /** "How it was measured", with this run's numbers. */
  measured: Text[];
  /** Networks, peers, saturation: present only when the run has their data. */
  sections: Section[];
  charts: Chart[];
  tables: Table[];
}

/** Every chart of a scenario: its sections' first, then its own, as the renderers show them. */
export function chartsOf(s: ScenarioReport): Chart[] {
  return [...s.sections.flatMap((section) => section.charts), ...s.charts];
}

/** Everything the report shows. */
export interface ReportModel {
  title: string;
  /** When the newest reported run started (ISO 8601). */
  newestStartedAt: string;
  /** How many runs were read, including older ones only used for comparison or not at all. */
  runsRead: number;
  scenarios: ScenarioReport[];
  /** Every scenario's alerts, each prefixed with its scenario. */
  alerts: Text[];
  /** "How to read this", with numbers from the runs. */
  reading: Text[];
  environment: Table;
}


function startedAtMs(run: RunResult): number {
  const ms = Date.parse(run.startedAt);
  return Number.isNaN(ms) ? 0 : ms;
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
    names.map((name) => [name, [...(groups.get(name) ?? [])].sort((a, b) => startedAtMs(b) - startedAtMs(a) || b.startedAt.localeCompare(a.startedAt))]),
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
    const sections = [networkSection(id, run, rows), peerSection(id, rows), saturationSection(id, rows)].filter((x): x is Section => x !== undefined);
    scenarios.push({
      scenario,
      slug: id,
      run,
      ...(previous === undefined ? {} : { previous }),
      rows,
      alerts: [...Object.entries(run.failed ?? {}).map(([key, error]) => `\`${key}\` was **not measured**: ${error}.`), ...alertsOf(rows)],
      findings: [...findingsOf(compared(rows), changes, previous), ...networkFindings(run, rows), ...targetSummary(targetChecks(rows, peerPairs(rows)))],
      changes,
      measured: explainMeasurement(run, rows),
      sections,
      charts: buildCharts(id, rows),
      tables: scenarioTables(id, run, rows, changes, previous, !sections.some((section) => section.id === `${id}-networks`)),
    });
  }
  const newest = scenarios.reduce((a, b) => (startedAtMs(b.run) > startedAtMs(a.run) ? b : a));
  return {
    title: 'pushlab benchmark report',
    newestStartedAt: newest.run.startedAt,
    runsRead: runs.length,
    scenarios,
    alerts: scenarios.flatMap((s) => s.alerts.map((alert) => `**${s.scenario}**: ${alert}`)),
    reading: explainReading(scenarios),
    environment: environmentTable(scenarios.map((s) => s.run)),
  };
}
