/** The check table, against a stored rendering. */
import { describe, expect, it } from 'vitest';
import { formatChecks, formatRate } from '../../../bench/network/check-table.ts';
import type { NetworkCheck } from '../../../bench/network/check.ts';

const checks: NetworkCheck[] = [
  { profile: 'loopback', method: 'none', promisedRttMs: 0, measuredRttMs: 0.043, rttP90Ms: 0.1, rounds: 20, proxyCpuMs: 0 },
  {
    profile: 'mobile-3g',
    method: 'user-space proxy',
    promisedRttMs: 300.5,
    measuredRttMs: 301.46,
    rttP90Ms: 304.5,
    rttRatio: 1.0032,
    rounds: 20,
    down: { direction: 'down', bytes: 400_000, promisedBitsPerSecond: 1.6e6, measuredBitsPerSecond: 1_600_100, ratio: 1.0001 },
    up: { direction: 'up', bytes: 187_500, promisedBitsPerSecond: 750_000, measuredBitsPerSecond: 688_100, ratio: 0.9176 },
    proxyCpuMs: 57.6,
  },
];

describe('network check table', () => {
  it('renders promised against measured, aligned', () => {
    expect(formatChecks(checks)).toBe(
      [
        'profile    RTT promised ms  RTT p50 ms  p90 ms  ratio    down cap  down measured  ratio      up cap   up measured  ratio  proxy CPU ms',
        '---------  ---------------  ----------  ------  -----  ----------  -------------  -----  ----------  ------------  -----  ------------',
        'loopback              0.00        0.04    0.10      –           –              –      –           –             –      –  – (no proxy)',
        'mobile-3g            300.5       301.5   304.5  1.003  1.6 Mbit/s     1.6 Mbit/s  1.000  750 kbit/s  688.1 kbit/s  0.918            58',
      ].join('\n'),
    );
  });

  it('formats rates with their unit', () => {
    expect(formatRate(50e6)).toBe('50 Mbit/s');
    expect(formatRate(12.5e9)).toBe('13 Gbit/s');
    expect(formatRate(2.4e9)).toBe('2.4 Gbit/s');
    expect(formatRate(64_000)).toBe('64 kbit/s');
    expect(formatRate(undefined)).toBe('–');
  });
});
