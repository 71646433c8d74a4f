/**
 * The benchmark's protocol dimension through the real runner: every technique over HTTP/2 and
 * HTTP/1.1-over-TLS (the server under `--tls`) delivers every message and records its TLS
 * bytes; K tabs of one simulated browser stall past six over HTTP/1.1 and not over HTTP/2.
 * Correctness only (what arrives, what is recorded); speed belongs to the benchmark.
 */
import { describe, expect, it } from 'vitest';
import { techniqueIds } from '../../../registry/techniques.ts';
import { runScenario } from '../../../bench/run/runner.ts';
import { parseScenario } from '../../../bench/scenario/schema.ts';
import { expandScenario } from '../../../bench/scenario/plan.ts';
import { runResultSchema, type TechniqueResult } from '../../../bench/results/schema.ts';

const context = (row: TechniqueResult | undefined): string => JSON.stringify({ ...row, latencyCdf: undefined });

describe('protocol plans', () => {
  it('names the protocol in every key once any but h1 is asked for, runs peers on h1 only, and takes tabs as the clients', () => {
    const base = { clients: 3, ratePerSecond: 1, durationMs: 1000, techniques: ['sse'] };
    expect(expandScenario(parseScenario(base)).map((plan) => [plan.key, plan.protocol])).toEqual([['sse', undefined]]);
    const both = expandScenario(parseScenario({ ...base, protocol: ['h1', 'h2'], peers: ['baseline'] }));
    expect(both.map((plan) => [plan.key, plan.protocol])).toEqual([
      ['sse@h1', 'h1'],
      ['peer:baseline@h1', 'h1'],
      ['sse@h2', 'h2'],
    ]);
    const tabs = expandScenario(parseScenario({ ...base, protocol: ['h2'], sweep: { variants: [{ tabs: 8 }] } }));
    expect(tabs.map((plan) => [plan.key, plan.tabs, plan.clients])).toEqual([['sse@8tabs,h2', 8, 8]]);
    expect(() => parseScenario({ ...base, protocol: ['h1-tls'], faults: { stalledShare: 0.2 } })).toThrow(/protocol/);
    expect(() => parseScenario({ ...base, protocol: ['h3'] })).toThrow(/protocol/);
  });
});

describe('every technique over HTTP/2 and HTTP/1.1 over TLS', () => {
  it('delivers every message once and in order, and counts more TLS bytes than HTTP bytes per message', async () => {
    const scenario = parseScenario(
      {
        clients: 2,
        ratePerSecond: 10,
        durationMs: 800,
        warmupMs: 300,
        drainMs: 3000,
        capacityMs: 0,
        knobs: { intervalMs: 100, holdMs: 5000 },
        protocol: ['h1-tls', 'h2'],
      },
      'test',
      'protocols',
    );
    const run = runResultSchema.parse(await runScenario(scenario));
    expect(run.failed).toBeUndefined();
    const keys = ['h1-tls', 'h2'].flatMap((protocol) => techniqueIds.map((technique) => `${technique}@${protocol}`));
    expect(Object.keys(run.techniques)).toEqual(keys);
    for (const key of keys) {
      const row = run.techniques[key];
      expect(row?.protocol, key).toBe(key.split('@')[1]);
      expect(row?.expected, context(row)).toBeGreaterThan(0);
      expect(row?.delivered, context(row)).toBe(row?.expected);
      expect([row?.lost, row?.duplicated, row?.outOfOrder], context(row)).toEqual([0, 0, 0]);
      // Ciphertext is the HTTP bytes (or HTTP/2 frames) plus TLS records: never less.
      expect(row?.tlsBytesOutPerMessage, context(row)).toBeGreaterThan(row?.bytesOutPerMessage ?? Infinity);
    }
  }, 240_000);
});

describe('tabs of one simulated browser', () => {
  it('over HTTP/1.1 an SSE tab past the sixth gets no connection and nothing; over HTTP/2 all eight share one session', async () => {
    const scenario = parseScenario(
      {
        clients: 1,
        ratePerSecond: 10,
        durationMs: 800,
        warmupMs: 300,
        drainMs: 1000,
        capacityMs: 0,
        techniques: ['sse'],
        protocol: ['h1', 'h2'],
        sweep: { variants: [{ tabs: 6 }, { tabs: 8 }] },
      },
      'test',
      'tabs',
    );
    const run = runResultSchema.parse(await runScenario(scenario));
    const row = (key: string): TechniqueResult | undefined => run.techniques[key];
    const h1six = row('sse@6tabs,h1');
    expect([h1six?.tabsLive, h1six?.lost, h1six?.browserConnections], context(h1six)).toEqual([6, 0, 6]);
    const h1eight = row('sse@8tabs,h1');
    expect([h1eight?.tabs, h1eight?.tabsLive, h1eight?.browserConnections], context(h1eight)).toEqual([8, 6, 6]);
    // The two tabs without a connection got none of the window's messages.
    expect(h1eight?.lost, context(h1eight)).toBe((h1eight?.expected ?? 0) / 4);
    for (const key of ['sse@6tabs,h2', 'sse@8tabs,h2']) {
      const h2 = row(key);
      expect([h2?.tabsLive, h2?.lost, h2?.browserConnections], context(h2)).toEqual([h2?.tabs, 0, 1]);
    }
  }, 120_000);
});
