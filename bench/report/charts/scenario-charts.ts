/**
 * The charts of one scenario: latency percentiles and distribution, requests, bytes, CPU and
 * memory per row; sweeps add their own (sweeps.ts). A chart with nothing to show is left out.
 */
import * as Plot from '@observablehq/plot';
import { axisLabel, axisScale, decadeBelow, formatTick, logAxis, rowColors, rowLabelMarginPx } from './kit.ts';
import { formatNumber } from '../format.ts';
import type { Row } from '../types.ts';
import { coreRows } from '../rows.ts';
import { sweepCharts } from './sweeps.ts';
import { chartWidthPx, peerDash, renderChart, type Chart, type ChartSpec } from './svg.ts';

const barHeightPx = 26;
const axisRoomPx = 56;

const percentiles = [
  { stat: 'p50', color: '#9ec5f4' },
  { stat: 'p90', color: '#4269d0' },
  { stat: 'p99', color: '#ff725c' },
  { stat: 'max', color: '#3b3f45' },
] as const;

function latencyChart(slug: string, rows: readonly Row[]): ChartSpec | undefined {
  const points = rows.flatMap((row) => percentiles.map(({ stat }) => ({ row: row.key, stat, ms: row.result.latencyMs[stat] })));
  const x = axisScale(
    'x',
    points.map((p) => p.ms),
    'latency',
    'ms',
  );
  const log = x.log;
  const shown = points.filter((p) => Number.isFinite(p.ms) && (!log || p.ms > 0));
  if (shown.length === 0 || shown.every((p) => p.ms === 0)) return undefined;
  const spans = rows.map((row) => ({ row: row.key, from: row.result.latencyMs.p50, to: row.result.latencyMs.max }));
  return {
    id: `${slug}-latency`,
    title: 'Latency percentiles per technique',
    caption:
      'Publish (scheduled time) to receipt on the same monotonic clock. Each line runs from the median (p50) to the slowest message (max, the ring); ' +
      'a p99 of X ms means 1 message in 100 took longer than X ms.',
    legend: percentiles.map(({ stat, color }) => ({ label: stat, color, shape: 'dot' as const })),
    plot: {
      height: rows.length * barHeightPx + axisRoomPx,
      marginLeft: rowLabelMarginPx(rows),
      marginRight: 24,
      x: { ...x.scale, labelAnchor: 'center' },
      y: { domain: rows.map((r) => r.key), label: null },
      color: { domain: percentiles.map((p) => p.stat), range: percentiles.map((p) => p.color) },
      marks: [
        ...x.marks,
        Plot.ruleY(spans, { y: 'row', x1: 'from', x2: 'to', stroke: '#c9ccd1', strokeWidth: 2 }),
        // The max is a ring drawn first, so a p99 at (nearly) the same place stays visible inside it.
        Plot.dot(
          shown.filter((p) => p.stat === 'max'),
          { x: 'ms', y: 'row', fill: 'white', stroke: 'stat', r: 6, strokeWidth: 2 },
        ),
        Plot.dot(
          shown.filter((p) => p.stat !== 'max'),
          { x: 'ms', y: 'row', fill: 'stat', r: 4.5, stroke: 'white', strokeWidth: 0.8 },
        ),
      ],
    },
  };
}

function cdfChart(slug: string, rows: readonly Row[]): ChartSpec | undefined {
  const withCdf = rows.filter((row) => (row.result.latencyCdf?.length ?? 0) >= 2);
  if (withCdf.length === 0) return undefined;
  const points = withCdf.flatMap((row) => (row.result.latencyCdf ?? []).map(([percentile, ms]) => ({ row: row.key, percentile, ms })));
  const x = axisScale(
    'x',
    points.map((p) => p.ms).filter((ms) => ms > 0),
    'latency',
    'ms',
    { low: 0.9, high: 1.1 },
  );
  const shown = x.log ? points.filter((p) => p.ms > 0) : points;
  const colors = rowColors(withCdf);
  const peers = new Set(withCdf.filter((row) => row.result.peer !== undefined).map((row) => row.key));
  return {
    id: `${slug}-cdf`,
    title: 'Latency distribution (CDF) per technique',
    caption:
      'For each latency on the x axis, the share of messages delivered at least that fast. Further left is faster; a long flat tail on the right is a slow minority.',
    legend: withCdf.map((row) => ({
      label: row.key,
      color: colors.get(row.key) ?? 'grey',
      shape: row.result.peer === undefined ? ('line' as const) : ('dash' as const),
    })),
    plot: {
      height: 340,
      marginLeft: 48,
      marginRight: 24,
      x: { ...x.scale, labelAnchor: 'center' },
      y: { domain: [0, 100], label: 'messages delivered at least this fast (%)', grid: true },
      color: { domain: withCdf.map((r) => r.key), range: withCdf.map((r) => colors.get(r.key) ?? 'grey') },
      marks: [
        ...x.marks,
        Plot.ruleY([0]),
        Plot.line(
          shown.filter((p) => !peers.has(p.row)),
          { x: 'ms', y: 'percentile', z: 'row', stroke: 'row', strokeWidth: 2, curve: 'monotone-x' },
        ),
        // A peer's line is dashed, so it reads as a reference beside pushlab's own.
        Plot.line(
          shown.filter((p) => peers.has(p.row)),
          { x: 'ms', y: 'percentile', z: 'row', stroke: 'row', strokeWidth: 2, strokeDasharray: peerDash, curve: 'monotone-x' },
        ),
      ],
    },
  };
}

/** What a bar chart shows and how each row's bar is read. */
export interface BarOptions {
  id: string;
  title: string;
  caption: string;
  what: string;
  unit: string;
  value: (row: Row) => number;
  /** A second figure drawn as a tick on each bar (such as the payload part of the bytes). */
  tick?: { value: (row: Row) => number; label: string; barLabel: string };
}

/** One bar per row in the row's colour, with its value printed at the end; a log axis when the values span it. */
export function barChart(rows: readonly Row[], options: BarOptions): ChartSpec | undefined {
  const colors = rowColors(rows);
  const bars = rows
    .map((row) => ({ row: row.key, value: options.value(row), color: colors.get(row.key) ?? 'grey' }))
    .filter((bar) => Number.isFinite(bar.value) && bar.value >= 0);
  if (bars.length === 0 || bars.every((bar) => bar.value === 0)) return undefined;
  const log = axisScale(
    'x',
    bars.map((bar) => bar.value),
    options.what,
    options.unit,
  ).log;
  const max = Math.max(...bars.map((bar) => bar.value));
  const base = log ? decadeBelow(Math.min(...bars.map((bar) => bar.value))) : 0;
  const label = axisLabel(options.what, options.unit, log);
  const x = log
    ? logAxis('x', [base, max * 4], label)
    : { log: false, scale: { type: 'linear' as const, domain: [0, max * 1.18], tickFormat: formatTick, grid: true, label }, marks: [] };
  const ticks =
    options.tick === undefined
      ? []
      : rows.map((row) => ({ row: row.key, value: options.tick?.value(row) ?? 0 })).filter((t) => t.value > base);
  return {
    id: options.id,
    title: options.title,
    caption: options.caption,
    ...(options.tick === undefined
      ? {}
      : {
          legend: [
            { label: options.tick.barLabel, color: '#9498a0' },
            { label: options.tick.label, color: '#1b1e23', shape: 'tick' as const },
          ],
        }),
    plot: {
      height: rows.length * barHeightPx + axisRoomPx,
      marginLeft: rowLabelMarginPx(rows),
      marginRight: 24,
      x: { ...x.scale, labelAnchor: 'center' },
      y: { domain: rows.map((r) => r.key), label: null },
      color: { type: 'identity' },
      marks: [
        ...x.marks,
        Plot.barX(bars, { y: 'row', x1: base, x2: 'value', fill: 'color', insetTop: 3, insetBottom: 3 }),
        Plot.tickX(ticks, { y: 'row', x: 'value', stroke: '#1b1e23', strokeWidth: 2 }),
        Plot.text(bars, {
          y: 'row',
          x: 'value',
          text: (d: { value: number }) => formatNumber(d.value),
          dx: 5,
          textAnchor: 'start',
          fill: '#1b1e23',
        }),
        Plot.ruleX([base]),
      ],
    },
  };
}

/** Every chart of one scenario, rendered, in reading order. */
export function buildCharts(slug: string, rows: readonly Row[]): Chart[] {
  const specs: (ChartSpec | undefined)[] = [
    latencyChart(slug, rows),
    cdfChart(slug, rows),
    // Sweeps compare pushlab's own settings on one network; peers and networks have their sections.
    ...sweepCharts(slug, coreRows(rows)),
    barChart(rows, {
      id: `${slug}-requests`,
      title: 'HTTP requests per delivered message',
      caption:
        'Requests (or connections) the clients opened, divided by the messages delivered. Streaming techniques amortise one request over many messages.',
      what: 'requests per message',
      unit: 'requests',
      value: (row) => row.result.requestsPerMessage,
    }),
    barChart(rows, {
      id: `${slug}-bytes`,
      title: 'Bytes on the wire per delivered message',
      caption:
        'Bytes in and out at the server socket (headers, framing and padding included) divided by the messages delivered; the black tick marks the payload part.',
      what: 'bytes per message',
      unit: 'B',
      value: (row) => row.result.bytesPerMessage,
      tick: { value: (row) => row.result.bytesPerMessage * row.result.payloadShare, label: 'payload part', barLabel: 'bytes on the wire' },
    }),
    barChart(rows, {
      id: `${slug}-cpu`,
      title: 'Server CPU per 1,000 delivered messages',
      caption: 'CPU time of the server process during the measured window (user + system), per 1,000 messages delivered.',
      what: 'server CPU',
      unit: 'ms per 1,000 messages',
      value: (row) => row.result.serverCpuMsPer1kMessages,
    }),
    barChart(rows, {
      id: `${slug}-memory`,
      title: 'Server memory per open connection',
      caption: 'The server’s resident memory (RSS) per open connection, as the harness measured it with the clients connected.',
      what: 'server memory per connection',
      unit: 'KiB',
      value: (row) => row.result.serverRssBytesPerConnection / 1024,
    }),
  ];
  return specs
    .filter((spec): spec is ChartSpec => spec !== undefined)
    .map((spec) => renderChart({ ...spec, plot: { width: chartWidthPx, ...spec.plot } }));
}
