/**
 * `npm run report -- --compare <old> <new>`: a regression table per scenario, one line per row
 * present in both, each figure's change marked `noise` when it is inside the noise (the rows'
 * repeat spreads where both were repeated, else `singleRunNoiseShare`). Pure: runs in, tables out.
 */
import type { RunResult, TechniqueResult } from '../results/schema.ts';
import { formatBytes, formatDelta, formatNumber } from './format.ts';
import { groupRuns } from './model.ts';
import { singleRunNoiseShare } from './sections/noise.ts';
import type { Table } from './types.ts';

/** The figures compared, lower is better for each. */
const figures: { label: string; value: (r: TechniqueResult) => number; format: (v: number) => string }[] = [
  { label: 'p50 ms', value: (r) => r.latencyMs.p50, format: formatNumber },
  { label: 'p99 ms', value: (r) => r.latencyMs.p99, format: formatNumber },
  { label: 'bytes/msg', value: (r) => r.bytesPerMessage, format: formatBytes },
  { label: 'CPU ms/1k', value: (r) => r.serverCpuMsPer1kMessages, format: formatNumber },
  { label: 'memory/conn', value: (r) => r.serverRssBytesPerConnection, format: formatBytes },
];

function spread(result: TechniqueResult, value: (r: TechniqueResult) => number): [number, number] | undefined {
  const runs = result.repeats?.runs;
  if (runs === undefined || runs.length < 2) return undefined;
  const values = runs.map((run) => value({ ...result, ...run } as TechniqueResult));
  return [Math.min(...values), Math.max(...values)];
}

/** Whether the change from `before` to `after` is inside the noise. */
export function isNoise(before: TechniqueResult, after: TechniqueResult, value: (r: TechniqueResult) => number): boolean {
  const [a, b] = [spread(before, value), spread(after, value)];
  if (a !== undefined && b !== undefined) return a[0] <= b[1] && b[0] <= a[1];
  const [x, y] = [value(before), value(after)];
  return Math.abs(y - x) <= Math.abs(x) * singleRunNoiseShare;
}

/** One cell: `3.1 → 3.32 (+7.2 %, noise)`; a change outside the noise is bold, a worse one marked ▲. */
function cell(before: TechniqueResult, after: TechniqueResult, figure: (typeof figures)[number]): string {
  const [x, y] = [figure.value(before), figure.value(after)];
  const percent = x === 0 ? (y === 0 ? 0 : Number.NaN) : ((y - x) / x) * 100;
  const change = `${figure.format(x)} → ${figure.format(y)} (${formatDelta(percent)}`;
  if (isNoise(before, after, figure.value)) return `${change}, noise)`;
  return y > x ? `**${change}** ▲ worse)` : `**${change}** ▼ better)`;
}

/** The regression table of each scenario in both sets: the newest run of each set compared. */
export function compareRuns(older: readonly RunResult[], newer: readonly RunResult[]): Table[] {
  const before = groupRuns(older);
  const tables: Table[] = [];
  for (const [scenario, [after]] of groupRuns(newer)) {
    const base = before.get(scenario)?.[0];
    if (after === undefined || base === undefined) continue;
    const rows = Object.entries(after.techniques)
      .filter(([key]) => base.techniques[key] !== undefined)
      .map(([key, row]) => [`\`${key}\``, ...figures.map((figure) => cell(base.techniques[key] as TechniqueResult, row, figure))]);
    if (rows.length === 0) continue;
    tables.push({
      id: `compare-${scenario}`,
      caption: `${scenario}: ${base.startedAt} (commit \`${base.environment.commit}\`) → ${after.startedAt} (commit \`${after.environment.commit}\`)`,
      columns: [{ header: 'row', align: 'left' }, ...figures.map((figure) => ({ header: figure.label }))],
      rows,
    });
  }
  return tables;
}
