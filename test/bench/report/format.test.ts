/** Rounding and naming rules of the report. */
import { describe, expect, it } from 'vitest';
import { formatDelta, formatDuration, formatNumber, rowName } from '../../../bench/report/format.ts';
import { parseRunResult, ResultsFileError } from '../../../bench/report/index.ts';
import { formatTick } from '../../../bench/report/charts/kit.ts';
import type { TechniqueResult } from '../../../bench/results/schema.ts';

describe('formatTick', () => {
  it('writes axis labels in full up to a million, then in millions, so they do not run into each other', () => {
    expect([0, 0.5, 250, 10_000, 800_000, 1_000_000, 1_200_000, 1_650_000].map(formatTick)).toEqual([
      '0',
      '0.5',
      '250',
      '10,000',
      '800,000',
      '1M',
      '1.2M',
      '1.65M',
    ]);
  });
});

describe('formatNumber', () => {
  it('keeps 3 significant figures, with thousands separators', () => {
    expect([0, 1, 2.497, 0.0005, 0.000833, 12.04, 382.1, 3770.2, 1_999_963, -4.567].map(formatNumber)).toEqual([
      '0',
      '1',
      '2.5',
      '0.0005',
      '0.000833',
      '12',
      '382',
      '3,770',
      '2,000,000',
      '-4.57',
    ]);
  });
});

describe('formatDelta and formatDuration', () => {
  it('sign changes and keep at most one decimal', () => {
    expect([12, -4, 0.01, 250.4, Number.NaN].map(formatDelta)).toEqual(['+12.0 %', '−4.0 %', '±0 %', '+250 %', 'n/a']);
    expect([250, 1000, 2500, 300_000].map(formatDuration)).toEqual(['250 ms', '1 s', '2.5 s', '5 min']);
  });

  it('names a row by technique and variant', () => {
    const row = { technique: 'short-poll', variant: { intervalMs: 250 } } as TechniqueResult;
    expect(rowName(row)).toBe('short polling at 250 ms');
    expect(rowName({ technique: 'sse', variant: { payloadBytes: 1024 } } as TechniqueResult)).toBe('SSE with 1 KiB payloads');
  });
});

describe('parseRunResult', () => {
  it('names the file and the field of a bad results file', () => {
    const bad = {
      scenario: 'x',
      startedAt: 'now',
      environment: { node: 'v20', cpu: 'c', cores: 2, commit: 'abc', pinned: true },
      params: {},
      techniques: { sse: { technique: 'sse' } },
    };
    expect(() => parseRunResult(JSON.stringify(bad), 'results/x.json')).toThrow(ResultsFileError);
    expect(() => parseRunResult(JSON.stringify(bad), 'results/x.json')).toThrow(
      /^results\/x\.json: not a pushlab results file: techniques\.sse\.clients: /,
    );
    expect(() => parseRunResult('{', 'results/y.json')).toThrow(/^results\/y\.json: not valid JSON/);
  });
});
