/**
 * Charts for scenarios that sweep a knob: the poll-interval trade-off (latency against
 * requests per message), scaling with clients (p99 and CPU), and payload share against size.
 */
import * as Plot from '@observablehq/plot';
import { axisLabel, axisScale, dodgeLabels, formatTick, project, type Axis } from './kit.ts';
import { formatDuration, techniqueColor, techniqueName } from '../format.ts';
import type { Row } from '../types.ts';
import { chartWidthPx, type ChartSpec } from './svg.ts';
import type { TechniqueResult } from '../../results/schema.ts';

const frame = { width: chartWidthPx, height: 380, marginLeft: 56, marginRight: 120, marginTop: 30, marginBottom: 44 };

interface Point {
  x: number;
  y: number;
  label: string;
  color: string;
}

/** An axis with an explicit domain, so labels can be placed in pixels before Plot draws. */
function fixedAxis(dim: 'x' | 'y', values: readonly number[], what: string, unit: string): Axis & { domain: [number, number] } {
  const axis = axisScale(dim, values, what, unit, { low: 0.6, high: 1.6 });
  if (axis.log && axis.domain !== undefined) return { ...axis, domain: axis.domain };
  const domain: [number, number] = [0, Math.max(...values) * 1.1];
  return {
    log: false,
    domain,
    scale: { type: 'linear', domain, tickFormat: formatTick, grid: true, label: axisLabel(what, unit, false) },
    marks: [],
  };
}

/** Text marks for `points`, each nudged vertically so no two labels overlap. */
function labelMarks(
  points: readonly Point[],
  x: { domain: [number, number]; log: boolean },
  y: { domain: [number, number]; log: boolean },
): Plot.Markish[] {
  const xRange: [number, number] = [frame.marginLeft, frame.width - frame.marginRight];
  const yRange: [number, number] = [frame.height - frame.marginBottom, frame.marginTop];
  const projected = points.map((p) => ({
    xPx: project(p.x, x.domain, xRange, x.log),
    yPx: project(p.y, y.domain, yRange, y.log),
    text: p.label,
  }));
  const offsets = dodgeLabels(projected);
  return points.map((p, i) =>
    Plot.text([p], { x: 'x', y: 'y', text: 'label', fill: p.color, dx: 7, dy: offsets[i] ?? 0, textAnchor: 'start', fontWeight: 600 }),
  );
}

/** Short polling at each interval as a line, push techniques as labelled points. */
function tradeOffChart(slug: string, rows: readonly Row[]): ChartSpec | undefined {
  const live = rows.filter((row) => row.result.delivered > 0 && row.result.latencyMs.p50 > 0);
  const polls = live
    .filter((row) => row.result.technique === 'short-poll' && row.result.variant?.intervalMs !== undefined)
    .sort((a, b) => (a.result.variant?.intervalMs ?? 0) - (b.result.variant?.intervalMs ?? 0));
  if (polls.length < 2) return undefined;
  const push = live.filter((row) => row.result.technique !== 'short-poll');
  const pollColor = techniqueColor('short-poll');
  const toPoint = (row: Row, label: string, color: string): Point => ({
    x: row.result.requestsPerMessage,
    y: row.result.latencyMs.p50,
    label,
    color,
  });
  const pollPoints = polls.map((row) => toPoint(row, formatDuration(row.result.variant?.intervalMs ?? 0), pollColor));
  // A stream opened before the window made no request in it: 0 has no place on a log axis, so
  // it sits at the left edge, half the fewest requests drawn, and its label says so.
  const positive = [...pollPoints, ...push.map((row) => toPoint(row, row.name, ''))].map((p) => p.x).filter((v) => v > 0);
  const edge = positive.length > 0 ? Math.min(...positive) / 2 : 0.001;
  const pushPoints = push.map((row) => {
    const point = toPoint(row, row.name, techniqueColor(row.result.technique));
    return point.x > 0 ? point : { ...point, x: edge, label: `${row.name} (0 requests)` };
  });
  const all = [...pollPoints, ...pushPoints].filter((p) => p.x > 0 && p.y > 0);
  const drawn = push.filter((_, i) => all.includes(pushPoints[i] as Point));
  const x = fixedAxis(
    'x',
    all.map((p) => p.x),
    'requests per delivered message',
    'requests',
  );
  const y = fixedAxis(
    'y',
    all.map((p) => p.y),
    'median latency',
    'ms',
  );
  return {
    id: `${slug}-trade-off`,
    title: 'Poll interval trade-off: median latency against requests per message',
    caption:
      'Each blue point is short polling at one interval (labelled); shorter intervals buy lower latency with more requests. ' +
      'The other points are the push techniques: the closer to the bottom left, the better on both counts; ' +
      'a stream that made no request in the window sits at the left edge.',
    legend: [
      { label: 'short polling, by interval', color: pollColor, shape: 'line' },
      // Only what is drawn: a legend entry without its point misleads.
      ...drawn.map((row) => ({ label: row.name, color: techniqueColor(row.result.technique), shape: 'dot' as const })),
    ],
    plot: {
      ...frame,
      x: { ...x.scale, labelAnchor: 'center' },
      y: y.scale,
      marks: [
        ...x.marks,
        ...y.marks,
        Plot.line(
          all.filter((p) => pollPoints.includes(p)),
          { x: 'x', y: 'y', stroke: pollColor, strokeWidth: 2 },
        ),
        Plot.dot(all, { x: 'x', y: 'y', fill: 'color', r: 5, stroke: 'white' }),
        ...labelMarks(all, x, y),
      ],
    },
  };
}

interface LineOptions {
  id: string;
  title: string;
  caption: string;
  knob: (r: TechniqueResult) => number | undefined;
  xWhat: string;
  xUnit: string;
  value: (r: TechniqueResult) => number;
  yWhat: string;
  yUnit: string;
}

/** One line per technique across the values of a swept knob. */
function knobChart(rows: readonly Row[], options: LineOptions): ChartSpec | undefined {
  const points = rows
    .filter((row) => options.knob(row.result) !== undefined)
    .map((row) => ({ technique: row.result.technique, x: options.knob(row.result) ?? 0, y: options.value(row.result) }))
    .filter((p) => Number.isFinite(p.y))
    .sort((a, b) => a.x - b.x);
  if (new Set(points.map((p) => p.x)).size < 2) return undefined;
  const techniques = [...new Set(points.map((p) => p.technique))];
  const x = axisScale(
    'x',
    points.map((p) => p.x),
    options.xWhat,
    options.xUnit,
    { low: 0.9, high: 1.1 },
  );
  const y = axisScale(
    'y',
    points.map((p) => p.y),
    options.yWhat,
    options.yUnit,
  );
  return {
    id: options.id,
    title: options.title,
    caption: options.caption,
    legend: techniques.map((t) => ({ label: techniqueName(t), color: techniqueColor(t), shape: 'line' as const })),
    plot: {
      ...frame,
      marginRight: 32,
      x: { ...x.scale, labelAnchor: 'center' },
      y: { ...y.scale, ...(y.log ? {} : { zero: true }) },
      color: { domain: techniques, range: techniques.map(techniqueColor) },
      marks: [
        ...x.marks,
        ...y.marks,
        Plot.line(points, { x: 'x', y: 'y', z: 'technique', stroke: 'technique', strokeWidth: 2 }),
        Plot.dot(points, { x: 'x', y: 'y', fill: 'technique', r: 4 }),
      ],
    },
  };
}

/** The sweep charts that apply to `rows` (none for a run that sweeps nothing). */
export function sweepCharts(slug: string, rows: readonly Row[]): (ChartSpec | undefined)[] {
  const clients = (r: TechniqueResult): number | undefined => r.variant?.clients;
  return [
    tradeOffChart(slug, rows),
    knobChart(rows, {
      id: `${slug}-scaling-p99`,
      title: 'Scaling: p99 latency against clients',
      caption: 'The 99th-percentile latency as the number of connected clients grows, one line per technique.',
      knob: clients,
      xWhat: 'clients',
      xUnit: 'connections',
      value: (r) => r.latencyMs.p99,
      yWhat: 'p99 latency',
      yUnit: 'ms',
    }),
    knobChart(rows, {
      id: `${slug}-scaling-cpu`,
      title: 'Scaling: server CPU against clients',
      caption: 'Server CPU per 1,000 delivered messages as the number of connected clients grows, one line per technique.',
      knob: clients,
      xWhat: 'clients',
      xUnit: 'connections',
      value: (r) => r.serverCpuMsPer1kMessages,
      yWhat: 'server CPU',
      yUnit: 'ms per 1,000 messages',
    }),
    knobChart(rows, {
      id: `${slug}-payload-share`,
      title: 'Payload share against payload size',
      caption:
        'The part of the bytes on the wire that is payload, as the payload grows: framing and headers matter less for large messages.',
      knob: (r) => r.variant?.payloadBytes,
      xWhat: 'payload',
      xUnit: 'B',
      value: (r) => r.payloadShare * 100,
      yWhat: 'payload share of the bytes on the wire',
      yUnit: '%',
    }),
  ];
}
