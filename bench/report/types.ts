/**
 * The report's types: text, rows, tables, sections, a scenario's report and the whole model.
 * Types only, so every part of the report (model, sections, charts, renderers) depends on this
 * file and it on none of them.
 */
import type { RunResult, TechniqueResult } from '../results/schema.ts';
import type { Chart } from './charts/svg.ts';

export type { Chart } from './charts/svg.ts';

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
  /** Loss, duplicates, disorder, unexpected gaps, load-generator bottlenecks, one per row and kind; folded under `warning`. */
  alerts: Text[];
  /** The alerts in one line (`load-bound: 12 of 15 rows — …`); undefined when there are none. */
  warning?: Text;
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

/** A column of a table. */
export interface Column {
  header: string;
  /** Default `right` (numbers); text columns are `left`. */
  align?: 'left' | 'right';
}

/** A table: a caption, headers and cells, all text. */
export interface Table {
  /** Unique in the report; an anchor in the HTML. */
  id: string;
  caption: Text;
  columns: Column[];
  rows: Text[][];
}

/** One figure of one row, before and after. */
export interface Delta {
  label: string;
  unit: string;
  before: number;
  after: number;
  /** (after − before) ÷ before × 100; NaN when before is 0. */
  percent: number;
}

/** How one row's figures moved against the earlier run of its scenario. */
export interface Change {
  key: string;
  name: string;
  deltas: Delta[];
}

/** Everything the report shows. */
export interface ReportModel {
  title: string;
  /** When the newest reported run started (ISO 8601). */
  newestStartedAt: string;
  /** How many runs were read, including older ones only used for comparison or not at all. */
  runsRead: number;
  scenarios: ScenarioReport[];
  /** One line: what was run (scenarios, machine, date). */
  ran: Text;
  /** The six techniques at a glance, from the headline scenarios; undefined when no run has them. */
  verdict?: Table;
  /** At most five findings for the first screen, each linked to its evidence. */
  headline: Text[];
  /** One warning line per scenario that has any, with its alerts to fold beneath it. */
  warnings: { scenario: string; slug: string; line: Text; alerts: Text[] }[];
  /** "How to read this", with numbers from the runs. */
  reading: Text[];
  environment: Table;
}
