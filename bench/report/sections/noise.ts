/**
 * Noise-aware winners: a figure's leader is named alone only when its gap to the next exceeds
 * the noise — the spread of repeated runs where a row has them, else `singleRunNoiseShare`.
 */

/** Without repeats, rows within this share of the best are called within noise of it (a shared machine moves figures by this much). */
export const singleRunNoiseShare = 0.1;

/** One row's figure, lower is better. */
export interface Measured {
  name: string;
  value: number;
  /** [min, max] over the row's repeated runs, when it was repeated. */
  spread?: [number, number];
}

/** The rows that share the lead: the best, and every row within noise of it; lowest first. */
export function leaders(items: readonly Measured[]): Measured[] {
  const sorted = items.filter((m) => Number.isFinite(m.value)).sort((a, b) => a.value - b.value);
  const [best] = sorted;
  if (best === undefined) return [];
  return sorted.filter((m) => m === best || withinNoise(best, m));
}

/** Whether `other` is within noise of `best`: their spreads overlap, or without spreads the gap is under `singleRunNoiseShare`. */
export function withinNoise(best: Measured, other: Measured): boolean {
  if (best.spread !== undefined && other.spread !== undefined) return other.spread[0] <= best.spread[1];
  return other.value - best.value <= Math.abs(best.value) * singleRunNoiseShare;
}
