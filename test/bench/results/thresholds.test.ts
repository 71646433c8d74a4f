import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { runResultSchema } from '../../../bench/results/schema.ts';
import { judgeThresholds, parseThreshold, renderThresholds, ThresholdError, thresholdsOf } from '../../../bench/results/thresholds.ts';
import { parseScenario } from '../../../bench/scenario/schema.ts';

const fixture = runResultSchema.parse(JSON.parse(await readFile(new URL('../../fixtures/bench-result.json', import.meta.url), 'utf8')));

describe('thresholds', () => {
  it('parse as k6 writes them, with an optional technique first', () => {
    expect(parseThreshold('p99<20')).toEqual({ text: 'p99<20', metric: 'p99', operator: '<', value: 20 });
    expect(parseThreshold(' websocket:p99 <= 20.5 ')).toEqual({
      text: 'websocket:p99 <= 20.5',
      scope: 'websocket',
      metric: 'p99',
      operator: '<=',
      value: 20.5,
    });
    expect(parseThreshold('short-poll@250ms:requestsPerMessage>=1').scope).toBe('short-poll@250ms');
    for (const op of ['<', '<=', '>', '>=', '==']) expect(parseThreshold(`lost${op}0`).operator).toBe(op);
  });

  it('refuse a bad one with what is allowed', () => {
    expect(() => parseThreshold('p99<<20')).toThrow(ThresholdError);
    expect(() => parseThreshold('p99 20')).toThrow(/<metric><op><number>/);
    expect(() => parseThreshold('latency<20')).toThrow(/unknown metric latency; choose from p50, p90, p99, max, lost/);
  });

  it('judge every row they apply to, and name the rows that fail', () => {
    const [all, one, none] = judgeThresholds(fixture, ['p99<50', 'websocket:p99<=8', 'jsonp:bytesPerMessage<700'].map(parseThreshold));
    expect(all).toMatchObject({ passed: false, checked: 6, failures: [{ key: 'short-poll', value: 104.895 }] });
    expect(one).toMatchObject({ passed: true, checked: 1, failures: [] });
    expect(none).toMatchObject({ passed: false, checked: 1, failures: [{ key: 'jsonp', value: 724.43 }] });
  });

  it('fail when they apply to no row: a threshold that checks nothing guards nothing', () => {
    const [verdict] = judgeThresholds(fixture, [parseThreshold('peer:baseline:p99<1')]);
    expect(verdict?.passed).toBe(false);
    expect(renderThresholds(verdict === undefined ? [] : [verdict])).toContain('FAILED: no row of this run is peer:baseline');
  });

  it('fail a run that lost or duplicated messages by default, unless the scenario sets its own bound', () => {
    const lossy = { ...fixture, techniques: { ...fixture.techniques, sse: { ...fixture.techniques.sse!, lost: 3 } } };
    const byDefault = judgeThresholds(lossy, thresholdsOf());
    expect(byDefault.map((v) => [v.threshold.text, v.passed])).toEqual([
      ['lost==0', false],
      ['duplicated==0', true],
    ]);
    const expected = judgeThresholds(lossy, thresholdsOf(['lost<=10'], ['p50<1000']));
    expect(expected.map((v) => [v.threshold.text, v.passed])).toEqual([
      ['duplicated==0', true],
      ['lost<=10', true],
      ['p50<1000', true],
    ]);
  });

  it("take `pushlab` for every row but the peers'", () => {
    const withPeer = {
      ...fixture,
      techniques: {
        ...fixture.techniques,
        'peer:socketio-websocket': { ...fixture.techniques.websocket!, peer: 'socketio-websocket' as const, lost: 19 },
      },
    };
    const [own, all] = judgeThresholds(withPeer, ['pushlab:lost==0', 'lost==0'].map(parseThreshold));
    expect(own).toMatchObject({ passed: true, checked: 6 });
    expect(all).toMatchObject({ passed: false, checked: 7, failures: [{ key: 'peer:socketio-websocket', value: 19 }] });
  });

  it('are a scenario field, checked when the scenario is read', () => {
    const base = { clients: 1, ratePerSecond: 1, durationMs: 1000 };
    expect(parseScenario({ ...base, thresholds: ['p99<20', 'sse:lost==0'] }).thresholds).toEqual(['p99<20', 'sse:lost==0']);
    expect(() => parseScenario({ ...base, thresholds: ['p99~20'] })).toThrow(/thresholds\.0: threshold "p99~20" is not/);
  });
});
