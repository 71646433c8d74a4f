/** The `network:check` table: promised against measured, one row per profile. Returns a string; the CLI prints it. */
import type { NetworkCheck, ThroughputCheck } from './check.ts';

const ms = (value: number): string => (value < 10 ? value.toFixed(2) : value.toFixed(1));

/** `50 Mbit/s`, `750 kbit/s`, or `–` for none. */
export function formatRate(bitsPerSecond: number | undefined): string {
  if (bitsPerSecond === undefined) return '–';
  if (bitsPerSecond >= 1e9) return `${(bitsPerSecond / 1e9).toFixed(bitsPerSecond >= 1e10 ? 0 : 1)} Gbit/s`;
  if (bitsPerSecond >= 1e6) return `${Number((bitsPerSecond / 1e6).toFixed(2))} Mbit/s`;
  return `${Number((bitsPerSecond / 1e3).toFixed(1))} kbit/s`;
}

const ratio = (value: number | undefined): string => (value === undefined ? '–' : value.toFixed(3));

function rateCells(check: ThroughputCheck | undefined): string[] {
  if (check === undefined) return ['–', '–', '–'];
  return [formatRate(check.promisedBitsPerSecond), formatRate(check.measuredBitsPerSecond), ratio(check.ratio)];
}

/** A plain-text table of checks, columns aligned. */
export function formatChecks(checks: readonly NetworkCheck[]): string {
  const header = [
    'profile',
    'RTT promised ms',
    'RTT p50 ms',
    'p90 ms',
    'ratio',
    'down cap',
    'down measured',
    'ratio',
    'up cap',
    'up measured',
    'ratio',
    'proxy CPU ms',
  ];
  const rows = checks.map((check) => [
    check.profile,
    ms(check.promisedRttMs),
    ms(check.measuredRttMs),
    ms(check.rttP90Ms),
    ratio(check.rttRatio),
    ...rateCells(check.down),
    ...rateCells(check.up),
    check.method === 'none' ? '– (no proxy)' : check.proxyCpuMs.toFixed(0),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]): string =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}
