/** Numbers, sizes and durations as people read them: one rounding rule for the CLI summary and the report alike. */

/** A number to 3 significant figures with thousands separators: 12,300; 1.23; 0.00123. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const rounded = Number(value.toPrecision(3));
  if (Math.abs(rounded) >= 1000) return Math.round(rounded).toLocaleString('en-US');
  if (Math.abs(rounded) >= 1e-4) return String(rounded);
  return rounded.toExponential(2);
}

/** A count, exact, with thousands separators. */
export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

/** A share (0–1) as a percentage to 3 significant figures: `66.1 %`. */
export function formatShare(share: number): string {
  return `${formatNumber(share * 100)} %`;
}

/** A change in percent, signed, with at most one decimal: `+12.3 %`, `−4.0 %`, `+250 %`. */
export function formatDelta(percent: number): string {
  if (!Number.isFinite(percent)) return 'n/a';
  const magnitude = Math.abs(percent);
  if (magnitude < 0.05) return '±0 %';
  const text = magnitude >= 100 ? Math.round(magnitude).toLocaleString('en-US') : magnitude.toFixed(1);
  return `${percent > 0 ? '+' : '−'}${text} %`;
}

/** A ratio as `11.2×`. */
export function formatRatio(ratio: number): string {
  return `${formatNumber(ratio)}×`;
}

/** A duration for prose: `250 ms`, `1 s`, `2.5 s`, `2 min`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${formatNumber(ms)} ms`;
  if (ms < 120_000) return `${formatNumber(ms / 1000)} s`;
  return `${formatNumber(ms / 60_000)} min`;
}

/** A size for prose: `128 B`, `1 KiB`, `16 KiB`, `1.5 MiB`. */
export function formatBytes(bytes: number): string {
  if (Math.abs(bytes) < 1024) return `${formatNumber(bytes)} B`;
  if (Math.abs(bytes) < 1024 * 1024) return `${formatNumber(bytes / 1024)} KiB`;
  return `${formatNumber(bytes / 1024 / 1024)} MiB`;
}
