/**
 * The report model: which runs are reported (the newest per scenario, and the one before it
 * for comparison), the rows in reading order, and everything computed from them. The renderers
 * (Markdown, HTML) only lay the model out; nothing in the report is written by hand.
 */
import type { RunResult, TechniqueResult } from '../results.ts';
import { buildCharts } from './charts.ts';
import { explainMeasurement, explainReading } from './explain.ts';
import { alertsOf, changesOf, findingsOf, type Change } from './findings.ts';
import { rowName, slug, techniqueOrder } from './format.ts';
import type { Chart } from './svg.ts';
import { environmentTable, scenarioTables, type Table } from './tables.ts';

export type { Chart } from './svg.ts';
export type { Table } from './tables.ts';
export type { Change } from './findings.ts';

/**
 * A line of report text. It may use two inline marks, rendered by each format:
 * `**bold**` and `` `code` ``; everything else is plain text.
 */
export type Text = string;

/** One row of a run: a technique under one setting of its knobs. */
export interface Row {
  /** The key in the results JSON: `sse`, `short-poll@250ms`. */
  key: string;
  /** In prose: `short polling at 250 ms`. */
  name: string;
  result: TechniqueResult;
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
  charts: Chart[];
  tables: Table[];
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

/** The standard suite in the order a reader meets it; other scenarios follow alphabetically. */
export const scenarioOrder = ['smoke', 'chat', 'ticker', 'idle', 'poll-interval-sweep', 'payload-sweep'];

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

/** Rows in reading order: by technique (oldest trick first), then by the varied knob, then by key. */
export function orderRows(techniques: RunResult['techniques']): Row[] {
  const rank = (technique: string): number => {
    const index = (techniqueOrder as readonly string[]).indexOf(technique);
    return index === -1 ? techniqueOrder.length : index;
  };
  const knob = (row: TechniqueResult): number => {
    const v = row.variant;
    return v?.intervalMs ?? v?.payloadBytes ?? v?.clients ?? v?.holdMs ?? -1;
  };
  return Object.entries(techniques)
    .map(([key, result]) => ({ key, name: rowName(result), result }))
    .sort((a, b) => rank(a.result.technique) - rank(b.result.technique) || knob(a.result) - knob(b.result) || a.key.localeCompare(b.key));
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
    scenarios.push({
      scenario,
      slug: id,
      run,
      ...(previous === undefined ? {} : { previous }),
      rows,
      alerts: alertsOf(rows),
      findings: findingsOf(rows, changes, previous),
      changes,
      measured: explainMeasurement(run, rows),
      charts: buildCharts(id, rows),
      tables: scenarioTables(id, run, rows, changes, previous),
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
