/**
 * What kind of row a row is, and the row groups the report compares within: pushlab rows
 * against peer rows, and one series (technique and setting) across networks.
 */
import type { TechniqueResult } from '../results/schema.ts';
import { baselinePeer, networkOf, networkRank, peerRank, techniqueOrder } from './format.ts';
import type { Row } from './types.ts';

/** Whether the row measured a peer server instead of pushlab. */
export function isPeer(row: Row): boolean {
  return row.result.peer !== undefined;
}

/** Whether the row measured the raw TCP baseline, the machine's ceiling. */
export function isBaseline(row: Row): boolean {
  return row.result.peer === baselinePeer;
}

/** The row's key without its network: `short-poll@250ms,broadband` → `short-poll@250ms`, `sse@loopback` → `sse`. */
export function seriesKey(key: string, result: TechniqueResult): string {
  const network = result.network;
  if (network === undefined) return key;
  for (const suffix of [`@${network}`, `,${network}`]) if (key.endsWith(suffix)) return key.slice(0, -suffix.length);
  return key;
}

/** The networks the rows ran over, in increasing round-trip time. */
export function networksOf(rows: readonly Row[]): string[] {
  return [...new Set(rows.map((row) => networkOf(row.result)))].sort((a, b) => networkRank(a) - networkRank(b) || a.localeCompare(b));
}

/**
 * The rows the general findings and sweep charts compare: pushlab's own (peers have their
 * section), over the run's fastest network when it ran over several (networks have theirs).
 */
export function coreRows(rows: readonly Row[]): Row[] {
  const [fastest] = networksOf(rows);
  return rows.filter((row) => !isPeer(row) && networkOf(row.result) === fastest);
}

function knob(row: TechniqueResult): number {
  const v = row.variant;
  return v?.intervalMs ?? v?.payloadBytes ?? v?.clients ?? v?.holdMs ?? -1;
}

/**
 * Reading order: by technique (oldest trick first), pushlab's row before its peers', the
 * baseline last in the scenario; then by network (increasing RTT), the swept knob, the key.
 */
export function compareRows(a: Row, b: Row): number {
  const rank = (row: Row): number => {
    if (isBaseline(row)) return techniqueOrder.length + 1;
    const index = (techniqueOrder as readonly string[]).indexOf(row.result.technique);
    return index === -1 ? techniqueOrder.length : index;
  };
  const source = (row: Row): number => (row.result.peer === undefined ? -1 : peerRank(row.result.peer));
  return (
    rank(a) - rank(b) ||
    source(a) - source(b) ||
    networkRank(networkOf(a.result)) - networkRank(networkOf(b.result)) ||
    networkOf(a.result).localeCompare(networkOf(b.result)) ||
    knob(a.result) - knob(b.result) ||
    a.key.localeCompare(b.key)
  );
}
