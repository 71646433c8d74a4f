/**
 * The window over time, for rows that recorded a time series: deliveries per second and p99
 * latency per bucket, one line per row, with fault events (a restart's kill) marked.
 */
import * as Plot from '@observablehq/plot';
import { formatNumber } from '../format.ts';
import type { Row } from '../types.ts';
import { axisScale, rowColors } from './kit.ts';
import { chartWidthPx, renderChart, type Chart } from './svg.ts';

interface TimePoint {
  row: string;
  seconds: number;
  value: number;
}

function seriesChart(
  slug: string,
  rows: readonly Row[],
  options: {
    id: string;
    title: string;
    caption: string;
    what: string;
    unit: string;
    value: (bucket: [number, number, number, number], bucketMs: number) => number;
  },
): Chart | undefined {
  const timed = rows.filter((row) => (row.result.timeline?.buckets.length ?? 0) > 0);
  if (timed.length === 0) return undefined;
  const points: TimePoint[] = timed.flatMap((row) => {
    const t = row.result.timeline;
    if (t === undefined) return [];
    return t.buckets.map((bucket) => ({ row: row.name, seconds: bucket[0] / 1000, value: options.value(bucket, t.bucketMs) }));
  });
  const y = axisScale(
    'y',
    points.map((p) => p.value),
    options.what,
    options.unit,
  );
  const shown = y.log ? points.filter((p) => p.value > 0) : points;
  const events = [
    ...new Map(
      timed.flatMap((row) => (row.result.timeline?.events ?? []).map(([ms, text]) => [`${ms}`, { seconds: ms / 1000, text }])),
    ).values(),
  ];
  const colors = rowColors(timed);
  const names = timed.map((row) => row.name);
  return renderChart({
    id: `${slug}-${options.id}`,
    title: options.title,
    caption: options.caption,
    legend: timed.map((row) => ({ label: row.name, color: colors.get(row.key) ?? 'grey', shape: 'line' as const })),
    plot: {
      width: chartWidthPx,
      height: 300,
      marginLeft: 64,
      marginRight: 24,
      x: { label: 'seconds into the window →', labelAnchor: 'center' },
      y: y.log ? y.scale : { ...y.scale, zero: true },
      color: { domain: names, range: timed.map((row) => colors.get(row.key) ?? 'grey') },
      marks: [
        ...y.marks,
        Plot.line(shown, { x: 'seconds', y: 'value', z: 'row', stroke: 'row', strokeWidth: 1.5 }),
        Plot.ruleX(events, { x: 'seconds', stroke: '#b42318', strokeDasharray: '4,3' }),
        Plot.text(events, { x: 'seconds', frameAnchor: 'top', text: 'text', dx: 4, textAnchor: 'start', fill: '#b42318' }),
      ],
    },
  });
}

/** Deliveries per second and p99 over the window, or nothing when no row recorded a time series. */
export function timelineCharts(slug: string, rows: readonly Row[]): Chart[] {
  const bucketMs = rows.find((row) => row.result.timeline !== undefined)?.result.timeline?.bucketMs ?? 100;
  return [
    seriesChart(slug, rows, {
      id: 'timeline-delivered',
      title: 'Deliveries per second over the window',
      caption: `First deliveries of in-window messages per ${formatNumber(bucketMs)} ms of receipt time, as a rate; a dashed red line marks a fault (the server killed).`,
      what: 'deliveries',
      unit: 'msg/s',
      value: (bucket, ms) => (bucket[1] * 1000) / ms,
    }),
    seriesChart(slug, rows, {
      id: 'timeline-p99',
      title: 'p99 latency over the window',
      caption: `The 99th-percentile latency of the messages received in each ${formatNumber(bucketMs)} ms; buckets with no delivery are drawn at 0.`,
      what: 'p99 latency',
      unit: 'ms',
      value: (bucket) => bucket[3],
    }),
  ].filter((chart): chart is Chart => chart !== undefined);
}
