/**
 * The Saturation section, for rows whose publish rate was raised step by step on
 * the same subscribers: the highest rate each sustained, where and why it stopped, and its
 * deliveries and p99 against the publish rate.
 */
import * as Plot from '@observablehq/plot';
import { failureAbove, type Saturation, type SaturationStep } from '../../results/schema.ts';
import { axisScale, rowColors, rowLabelMarginPx } from '../charts/kit.ts';
import { ceilingAt, commonBoundMs } from './verdict.ts';
import { capitalize, formatCount, formatNumber } from '../format.ts';
import type { Row, Section, Text } from '../types.ts';
import { chartWidthPx, peerDash, renderChart, type Chart } from '../charts/svg.ts';
import type { Table } from '../types.ts';

/** The step the row's other figures come from: the highest sustained one. */
function sustainedStep(saturation: Saturation): SaturationStep | undefined {
  return saturation.steps.filter((step) => step.sustained).at(-1);
}

/** `≥ 6,400` when the last step was still sustained (the ceiling is above it), `none` when no step was. */
function rateText(saturation: Saturation, value: number): string {
  if (sustainedStep(saturation) === undefined) return 'none';
  return `${saturation.ceilingAbove ? '≥ ' : ''}${formatNumber(value)}`;
}

function saturationTable(slug: string, rows: readonly Row[]): Table {
  return {
    id: `${slug}-saturation`,
    caption:
      'Saturation: the highest publish rate each row sustained, and the step that failed (≥: still sustained at the highest step tried)',
    columns: [
      { header: 'row', align: 'left' },
      { header: 'steps' },
      { header: 'rates tried (msg/s)', align: 'left' },
      { header: 'sustained rate (msg/s)' },
      { header: 'sustained deliveries (msg/s)' },
      { header: 'p99 at that rate (ms)' },
      { header: 'first failed step (msg/s)' },
      { header: 'why it failed', align: 'left' },
    ],
    rows: rows.flatMap((row) => {
      const s = row.result.saturation;
      if (s === undefined) return [];
      const rates = s.steps.map((step) => step.ratePerSecond);
      const held = sustainedStep(s);
      const failed = failureAbove(s);
      return [
        [
          row.name,
          formatCount(s.steps.length),
          rates.length === 0 ? '–' : `${formatNumber(Math.min(...rates))} → ${formatNumber(Math.max(...rates))}`,
          rateText(s, s.sustainedRatePerSecond),
          rateText(s, s.sustainedDeliveredPerSecond),
          held === undefined ? '–' : formatNumber(held.latencyMs.p99),
          failed === undefined ? '–' : formatNumber(failed.ratePerSecond),
          failed === undefined ? 'none failed' : (failed.reason ?? 'not recorded'),
        ],
      ];
    }),
  };
}

/** One sentence per row: where it stopped and why, or that its ceiling is above the highest step; and the server's CPU budget, if it had one. */
function stopText(row: Row): Text | undefined {
  const stop = stopSentence(row);
  const budget = row.result.serverCpuBudget;
  const whole = row.result.saturation?.wholeCore;
  if (stop === undefined || budget === undefined) return stop;
  return (
    `${stop} Its server had ${formatNumber(budget)} of a core` +
    (whole === undefined
      ? '.'
      : ` (on a whole core the load gave out first, at ${formatNumber(Math.round(whole.sustainedDeliveredPerSecond))} deliveries/s).`)
  );
}

function stopSentence(row: Row): Text | undefined {
  const s = row.result.saturation;
  if (s === undefined) return undefined;
  const failed = failureAbove(s);
  const limit =
    failed?.bottleneck === 'load'
      ? ' (the load generator was saturated at that step: the limit may be the clients, not the server)'
      : failed?.bottleneck === 'server'
        ? ' (the server was saturated at that step)'
        : '';
  const why = failed?.reason === undefined ? limit : `: ${failed.reason}${limit}`;
  if (failed === undefined) {
    const last = s.steps.at(-1);
    return last === undefined
      ? `${row.name} has a saturation run with no steps.`
      : `${row.name} kept up at every step up to ${formatNumber(last.ratePerSecond)} msg/s (${formatNumber(last.deliveredPerSecond)} deliveries/s): its ceiling is higher than measured.`;
  }
  if (sustainedStep(s) === undefined)
    return `${row.name} **sustained no step**: it failed at the first, ${formatNumber(failed.ratePerSecond)} msg/s${why}.`;
  return (
    `${row.name} sustained ${formatNumber(s.sustainedRatePerSecond)} msg/s (${formatNumber(s.sustainedDeliveredPerSecond)} deliveries/s) ` +
    `and failed at ${formatNumber(failed.ratePerSecond)} msg/s${why}.`
  );
}

function methodText(rows: readonly Row[]): Text {
  const runs = rows.flatMap((row) => (row.result.saturation === undefined ? [] : [row.result.saturation]));
  const range = (values: number[]): string => {
    const [low, high] = [Math.min(...values), Math.max(...values)];
    return low === high ? formatNumber(low) : `${formatNumber(low)} to ${formatNumber(high)}`;
  };
  const clients = rows.filter((row) => row.result.saturation !== undefined).map((row) => row.result.clients);
  return (
    `Each of these rows raised the publish rate step by step on the same ${range(clients)} subscribers. A step was sustained when nothing was lost, ` +
    `p99 stayed within ${range(runs.map((s) => s.p99BoundMs))} ms and publishes were acknowledged within ${range(runs.map((s) => s.publishLagBoundMs))} ms of their schedule (p99; the publisher has a thread of its own, so the load generator's busy event loop does not hold it up, though a full load core still can); ` +
    'the row’s other figures (latency, CPU, bytes) are those of its highest sustained step, or of its first step when none was sustained. ' +
    'Once a step failed, the steps after it halved the gap between it and the highest sustained rate (a bisection, as RFC 2544’s throughput search does), so a ceiling is resolved finer than the ladder’s spacing.'
  );
}

interface StepPoint {
  row: string;
  rate: number;
  value: number;
  sustained: boolean;
}

/** A value per step against the publish rate, one line per row; failed steps drawn as ×. */
function stepChart(
  slug: string,
  rows: readonly Row[],
  options: {
    id: string;
    title: string;
    caption: string;
    what: string;
    unit: string;
    value: (step: SaturationStep) => number;
    bound?: number;
  },
): Chart | undefined {
  const withSteps = rows.filter((row) => (row.result.saturation?.steps.length ?? 0) > 0);
  const points: StepPoint[] = withSteps.flatMap((row) =>
    (row.result.saturation?.steps ?? []).map((step) => ({
      row: row.name,
      rate: step.ratePerSecond,
      value: options.value(step),
      sustained: step.sustained,
    })),
  );
  const x = axisScale(
    'x',
    points.map((p) => p.rate),
    'publish rate',
    'msg/s',
    { low: 0.8, high: 1.25 },
  );
  const y = axisScale(
    'y',
    [...points.map((p) => p.value), ...(options.bound === undefined ? [] : [options.bound])],
    options.what,
    options.unit,
  );
  const shown = points.filter((p) => Number.isFinite(p.value) && (!x.log || p.rate > 0) && (!y.log || p.value > 0));
  if (shown.length === 0) return undefined;
  const colors = rowColors(withSteps);
  const names = withSteps.map((row) => row.name);
  const peers = new Set(withSteps.filter((row) => row.result.peer !== undefined).map((row) => row.name));
  const line = (dashed: boolean): Plot.Markish =>
    Plot.line(
      shown.filter((p) => peers.has(p.row) === dashed),
      { x: 'rate', y: 'value', z: 'row', stroke: 'row', strokeWidth: 2, ...(dashed ? { strokeDasharray: peerDash } : {}) },
    );
  return renderChart({
    id: `${slug}-${options.id}`,
    title: options.title,
    caption: options.caption,
    legend: withSteps.map((row) => ({
      label: row.name,
      color: colors.get(row.key) ?? 'grey',
      shape: row.result.peer === undefined ? ('line' as const) : ('dash' as const),
    })),
    plot: {
      width: chartWidthPx,
      height: 380,
      marginLeft: 64,
      marginRight: 24,
      x: { ...x.scale, labelAnchor: 'center' },
      y: y.log ? y.scale : { ...y.scale, zero: true },
      color: { domain: names, range: withSteps.map((row) => colors.get(row.key) ?? 'grey') },
      marks: [
        ...x.marks,
        ...y.marks,
        ...(options.bound === undefined ? [] : [Plot.ruleY([options.bound], { stroke: '#b42318', strokeDasharray: '2,3' })]),
        line(false),
        line(true),
        Plot.dot(
          shown.filter((p) => p.sustained),
          { x: 'rate', y: 'value', fill: 'row', r: 4 },
        ),
        Plot.dot(
          shown.filter((p) => !p.sustained),
          { x: 'rate', y: 'value', stroke: 'row', symbol: 'times', r: 5, strokeWidth: 2 },
        ),
      ],
    },
  });
}

/**
 * Which side limited a row at the step it failed, in words for a bar label; a row labelled
 * load-bound (near the calibrated ceiling, or its load near a full core at its top step) is
 * load-bound whatever side its failing step named.
 */
function limitOf(row: Row, boundMs: number): string {
  if (row.result.loadBound === true) return 'load-bound';
  // The first step past the row's ceiling at this bound: not sustained, or its p99 over the bound.
  const failed = row.result.saturation?.steps.find((step) => !step.sustained || step.latencyMs.p99 > boundMs);
  if (failed?.bottleneck === 'load') return 'load-bound';
  if (failed?.bottleneck === 'server') return 'server-bound';
  return failed === undefined ? 'not reached' : 'neither side saturated';
}

/**
 * Sustained deliveries/s per row as bars, every row judged by the same p99 bound (the one most
 * rows were held to); a row with its own bound gives that figure beside its bar. Load-bound rows
 * are pale: their ceiling is the load generator's.
 */
function ceilingChart(slug: string, rows: readonly Row[]): Chart | undefined {
  const bound = commonBoundMs(rows);
  if (bound === undefined || rows.every((row) => (row.result.saturation?.steps.length ?? 0) === 0)) return undefined;
  const colors = rowColors(rows);
  const bars = rows.map((row) => {
    const own = row.result.saturation?.p99BoundMs;
    const value = ceilingAt(row.result, bound).deliveredPerSecond;
    const ownText =
      own !== undefined && own !== bound
        ? ` (${formatCount(Math.round(row.result.saturation?.sustainedDeliveredPerSecond ?? 0))} at its own ${formatNumber(own)} ms)`
        : '';
    return {
      row: row.key,
      value,
      color: colors.get(row.key) ?? 'grey',
      opacity: limitOf(row, bound) === 'load-bound' ? 0.4 : 1,
      label: `${formatCount(Math.round(value))} · ${limitOf(row, bound)}${ownText}`,
    };
  });
  const x = axisScale(
    'x',
    bars.map((b) => b.value),
    'sustained deliveries',
    'msg/s',
  );
  return renderChart({
    id: `${slug}-saturation-ceiling`,
    title: `Saturation: sustained deliveries per second, every row at p99 ≤ ${formatNumber(bound)} ms`,
    caption:
      `The deliveries per second of each row's highest step that was sustained with p99 within ${formatNumber(bound)} ms. ` +
      'Beside each bar: which side was saturated at the step that failed; a pale bar is load-bound, so its ceiling is the load generator’s, not the server’s.',
    plot: {
      width: chartWidthPx,
      height: rows.length * 22 + 60,
      marginLeft: rowLabelMarginPx(rows),
      marginRight: 230,
      x: { ...x.scale, labelAnchor: 'center', ...(x.log ? {} : { domain: [0, Math.max(1, ...bars.map((b) => b.value))] }) },
      y: { domain: rows.map((r) => r.key), label: null },
      color: { type: 'identity' },
      marks: [
        ...x.marks,
        Plot.barX(
          bars.filter((b) => !x.log || b.value > 0),
          { y: 'row', x: 'value', fill: 'color', fillOpacity: 'opacity', insetTop: 3, insetBottom: 3 },
        ),
        Plot.text(bars, {
          y: 'row',
          x: (b: { value: number }) => (x.log ? Math.max(b.value, 1) : b.value),
          text: 'label',
          dx: 5,
          textAnchor: 'start',
          fill: '#1b1e23',
        }),
      ],
    },
  });
}

/** The Saturation section, or undefined when no row has a saturation run. */
export function saturationSection(slug: string, rows: readonly Row[]): Section | undefined {
  const saturated = rows.filter((row) => row.result.saturation !== undefined);
  if (saturated.length === 0) return undefined;
  const bounds = [...new Set(saturated.map((row) => row.result.saturation?.p99BoundMs ?? 0))];
  // The bars answer the question; deliveries against rate drew every keeping-up row on one diagonal.
  const charts = [
    ceilingChart(slug, saturated),
    stepChart(slug, saturated, {
      id: 'saturation-p99',
      title: 'Saturation: p99 latency against the publish rate',
      caption: `The 99th-percentile latency of each step; the dotted red line is the bound a step had to stay within${bounds.length === 1 ? '' : ' (the first row’s)'}. A × marks a failed step.`,
      what: 'p99 latency',
      unit: 'ms',
      value: (step) => step.latencyMs.p99,
      ...(bounds[0] === undefined ? {} : { bound: bounds[0] }),
    }),
  ].filter((chart): chart is Chart => chart !== undefined);
  return {
    id: `${slug}-saturation`,
    title: 'Saturation',
    text: [
      methodText(saturated),
      ...saturated
        .map(stopText)
        .filter((t): t is Text => t !== undefined)
        .map(capitalize),
    ],
    charts,
    tables: [saturationTable(slug, saturated)],
  };
}
