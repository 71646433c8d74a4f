/** Small helpers the chart builders share: colours per row, when to use a log scale, label room. */
import * as Plot from '@observablehq/plot';
import { baselinePeer, techniqueColor } from '../format.ts';
import type { Row } from '../types.ts';
import { textWidthPx } from './svg.ts';

/** Spread (largest ÷ smallest) from which an axis switches to a log scale. */
export const logSpread = 30;

/** Font size of tick labels in pixels (set on every chart in svg.ts). */
export const tickFontPx = 11;

/** True when every value is positive and they span `logSpread`× or more. */
export function needsLog(values: readonly number[]): boolean {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length < 2 || finite.some((v) => v <= 0)) return false;
  return Math.max(...finite) / Math.min(...finite) >= logSpread;
}

/** The power of ten at or below `value` (a log axis's floor). */
export function decadeBelow(value: number): number {
  return 10 ** Math.floor(Math.log10(value));
}

/** The axis label with its unit, and `log scale` when it is one. */
export function axisLabel(what: string, unit: string, log: boolean): string {
  return `${what} (${unit}${log ? ', log scale' : ''})`;
}

function mix(hex: string, toward: string, amount: number): string {
  const parse = (h: string): number[] => [1, 3, 5].map((i) => Number.parseInt(h.slice(i, i + 2), 16));
  const [a, b] = [parse(hex), parse(toward)];
  const channels = a.map((value, i) => Math.round(value + ((b[i] ?? value) - value) * amount));
  return `#${channels.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

/** A peer's colour: the baseline near-black, Socket.IO a light tint and SockJS a dark shade of its technique's hue. */
export function peerColor(peer: string, technique: string): string {
  if (peer === baselinePeer) return '#3b3f45';
  const base = techniqueColor(technique);
  if (peer.startsWith('socketio')) return mix(base, '#ffffff', 0.55);
  if (peer.startsWith('sockjs')) return mix(base, '#000000', 0.45);
  return mix(base, '#9498a0', 0.6);
}

/**
 * A colour per row: the technique's colour when it has one row, shades of it (light to dark,
 * in row order) when a sweep or several networks give it more, so a technique keeps its hue
 * everywhere. A peer's rows are shaded the same way around the peer's colour.
 */
export function rowColors(rows: readonly Row[]): Map<string, string> {
  const groups = new Map<string, { base: string; rows: Row[] }>();
  for (const row of rows) {
    const { peer, technique } = row.result;
    const id = peer === undefined ? technique : `peer:${peer}:${technique}`;
    const group = groups.get(id) ?? { base: peer === undefined ? techniqueColor(technique) : peerColor(peer, technique), rows: [] };
    group.rows.push(row);
    groups.set(id, group);
  }
  const colors = new Map<string, string>();
  for (const { base, rows: group } of groups.values()) {
    group.forEach((row, i) => {
      if (group.length === 1) colors.set(row.key, base);
      else {
        const t = i / (group.length - 1);
        colors.set(row.key, t < 0.5 ? mix(base, '#ffffff', (0.5 - t) * 1.1) : mix(base, '#000000', (t - 0.5) * 0.8));
      }
    });
  }
  return colors;
}

/** Left margin that fits the longest row key as a y-axis label. */
export function rowLabelMarginPx(rows: readonly Row[]): number {
  return Math.ceil(Math.max(40, ...rows.map((row) => textWidthPx(row.key, tickFontPx))) + 16);
}

/** A text label's box in pixels, to keep labels from overlapping. */
interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/**
 * Vertical offsets (px) for labels drawn to the right of points at pixel positions `points`,
 * so that no two overlap: each label tries 0, +13, −13, +26, … until it finds room.
 */
export function dodgeLabels(points: readonly { xPx: number; yPx: number; text: string }[], fontPx = tickFontPx): number[] {
  const placed: Box[] = [];
  const heightPx = fontPx + 2;
  return points.map(({ xPx, yPx, text }) => {
    const width = textWidthPx(text, fontPx) + 8;
    for (let step = 0; step < 20; step += 1) {
      const dy = (step % 2 === 0 ? 1 : -1) * Math.ceil(step / 2) * heightPx;
      const box = { x: xPx + 6, y: yPx + dy - heightPx / 2, width, height: heightPx };
      if (!placed.some((other) => overlaps(box, other))) {
        placed.push(box);
        return dy;
      }
    }
    return 0;
  });
}

/** Maps a value to pixels on a linear or log axis from `range[0]` to `range[1]`. */
export function project(value: number, domain: readonly [number, number], range: readonly [number, number], log: boolean): number {
  const f = log ? Math.log10 : (v: number): number => v;
  const t = (f(value) - f(domain[0])) / (f(domain[1]) - f(domain[0]));
  return range[0] + t * (range[1] - range[0]);
}

/** A tick label: `0.01`, `0.5`, `1`, `250`, `1,000`, `10,000`, `1.2M` (millions only; never prefixes like `10m`, which read as units). */
export function formatTick(value: number): string {
  if (value === 0) return '0';
  // Millions as `1.2M`: seven-digit labels 200,000 apart run into each other on a 760 px axis.
  if (Math.abs(value) >= 1_000_000) return `${Number((value / 1_000_000).toPrecision(3))}M`;
  if (Math.abs(value) >= 1) return value.toLocaleString('en-US', { maximumFractionDigits: 2 });
  return String(Number(value.toPrecision(2)));
}

/** Ticks of a log axis over `domain`: powers of ten, with 2× and 5× between them when few decades show. */
export function logTicks(domain: readonly [number, number]): number[] {
  const [low, high] = domain;
  const decades = Math.log10(high / low);
  const steps = decades <= 2.5 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let exponent = Math.floor(Math.log10(low)); exponent <= Math.ceil(Math.log10(high)); exponent += 1) {
    for (const step of steps) {
      const tick = Number((step * 10 ** exponent).toPrecision(6));
      if (tick >= low * 0.999 && tick <= high * 1.001) ticks.push(tick);
    }
  }
  return ticks;
}

/** Scale options and marks of one axis. */
export interface Axis {
  log: boolean;
  domain?: [number, number];
  scale: Plot.ScaleOptions;
  /** The explicit axis of a log scale (empty for a linear one): Plot's own would blank some labels. */
  marks: Plot.Markish[];
}

/**
 * A log axis over `domain` with labels on every tick of `logTicks`. Plot formats log ticks
 * through d3's log tickFormat, which blanks 5× labels (and any function's output) when the
 * domain spans a few decades, so the ticks are drawn as an explicit axis mark.
 */
export function logAxis(dim: 'x' | 'y', domain: [number, number], label: string): Axis {
  const ticks = logTicks(domain);
  const text = (d: number): string => formatTick(d);
  return {
    log: true,
    domain,
    scale: { type: 'log', domain, grid: ticks, label },
    marks: [dim === 'x' ? Plot.axisX(ticks, { text, label, labelAnchor: 'center' }) : Plot.axisY(ticks, { text, label })],
  };
}

/** An axis over `values`: log with readable ticks when the spread needs it, else linear from Plot's ticks. */
export function axisScale(
  dim: 'x' | 'y',
  values: readonly number[],
  what: string,
  unit: string,
  padding: { low: number; high: number } = { low: 0.8, high: 1.25 },
): Axis {
  const positive = values.filter((v) => Number.isFinite(v) && v > 0);
  if (!needsLog(values)) {
    return {
      log: false,
      scale: { type: 'linear', tickFormat: formatTick, nice: true, grid: true, label: axisLabel(what, unit, false) },
      marks: [],
    };
  }
  return logAxis(dim, [Math.min(...positive) * padding.low, Math.max(...positive) * padding.high], axisLabel(what, unit, true));
}
