/**
 * Small results documents built in code for the report's peers, networks and saturation
 * cases (networks, peers, saturation): every one is validated against `runResultSchema`, as a file would be.
 */
import { buildReport, type ScenarioReport } from '../../bench/report/index.ts';
import { runResultSchema, type RunResult, type Saturation, type TechniqueResult } from '../../bench/results/schema.ts';

/** A row with round figures; `overrides` replace any of them. */
export function row(technique: TechniqueResult['technique'], overrides: Partial<TechniqueResult> = {}): TechniqueResult {
  return {
    technique,
    clients: 1000,
    published: 1000,
    expected: 1_000_000,
    delivered: 1_000_000,
    lost: 0,
    duplicated: 0,
    outOfOrder: 0,
    latencyMs: { p50: 2, p90: 4, p99: 8, max: 20 },
    deliveredPerSecond: 50_000,
    requestsPerMessage: 0.001,
    bytesPerMessage: 200,
    payloadShare: 0.6,
    serverCpuMsPer1kMessages: 10,
    serverRssBytesPerConnection: 10_000,
    ...overrides,
  };
}

/** A saturation run over `rates`, sustained up to and including `sustainedUpTo` (none when 0). */
export function saturation(
  rates: readonly number[],
  sustainedUpTo: number,
  clients = 1000,
  reason = 'p99 420 ms over the 250 ms bound',
): Saturation {
  const steps = rates.map((rate) => {
    const sustained = rate <= sustainedUpTo;
    return {
      ratePerSecond: rate,
      deliveredPerSecond: sustained ? rate * clients : rate * clients * 0.7,
      expected: rate * clients * 5,
      delivered: Math.round(sustained ? rate * clients * 5 : rate * clients * 3.5),
      lost: sustained ? 0 : 10,
      latencyMs: { p50: sustained ? 3 : 180, p99: sustained ? 20 : 420 },
      publishLagMs: { p50: 1, p99: sustained ? 2 : 90 },
      sustained,
      ...(sustained ? {} : { reason }),
    };
  });
  const last = steps.filter((step) => step.sustained).at(-1);
  return {
    p99BoundMs: 250,
    publishLagBoundMs: 50,
    steps,
    sustainedRatePerSecond: last?.ratePerSecond ?? 0,
    sustainedDeliveredPerSecond: last?.deliveredPerSecond ?? 0,
    ceilingAbove: steps.at(-1)?.sustained ?? false,
  };
}

/** A run of `scenario` with these rows, validated; `extra` adds run-level fields such as `networks`. */
export function run(scenario: string, techniques: Record<string, TechniqueResult>, extra: Partial<RunResult> = {}): RunResult {
  return runResultSchema.parse({
    scenario,
    startedAt: '2026-12-01T10:00:00.000Z',
    environment: { node: 'v20.20.0', cpu: 'test cpu', cores: 2, commit: 'abc1234', pinned: true, platform: 'linux x64' },
    params: { durationMs: 20_000 },
    techniques,
    ...extra,
  });
}

/** A network check as the runner records it in `run.networks`. */
export function networkCheck(
  profile: string,
  rttMs: number,
  measuredRttMs: number,
  proxyCpuMs = 12,
): NonNullable<RunResult['networks']>[string] {
  return {
    profile,
    method: 'user-space proxy',
    promisedRttMs: rttMs,
    measuredRttMs,
    rttP90Ms: measuredRttMs * 1.05,
    rttRatio: measuredRttMs / rttMs,
    rounds: 20,
    down: { direction: 'down', bytes: 1_000_000, promisedBitsPerSecond: 12e6, measuredBitsPerSecond: 11.4e6, ratio: 0.95 },
    up: { direction: 'up', bytes: 500_000, promisedBitsPerSecond: 4e6, measuredBitsPerSecond: 3.9e6, ratio: 0.975 },
    proxyCpuMs,
  };
}

/** A peers scenario at saturation: pushlab's streams and long polling beside Socket.IO, SockJS and the baseline. */
export function peersRun(): RunResult {
  const rates = [100, 200, 400, 800];
  return run('peers', {
    // Keys in no particular order: the report orders them.
    'peer:baseline': row('websocket', {
      peer: 'baseline',
      saturation: saturation(rates, 800),
      serverRssBytesPerConnection: 3_000,
      serverCpuMsPer1kMessages: 2,
    }),
    websocket: row('websocket', { saturation: saturation(rates, 400), serverRssBytesPerConnection: 9_000, serverCpuMsPer1kMessages: 5 }),
    'peer:socketio-websocket': row('websocket', {
      peer: 'socketio-websocket',
      saturation: saturation(rates, 100),
      serverRssBytesPerConnection: 12_000,
      serverCpuMsPer1kMessages: 20,
    }),
    'peer:sockjs-eventsource': row('sse', {
      peer: 'sockjs-eventsource',
      saturation: saturation(rates, 200),
      serverRssBytesPerConnection: 14_000,
    }),
    sse: row('sse', { saturation: saturation(rates, 800), serverRssBytesPerConnection: 15_000, bottleneck: 'load', loadCpuShare: 0.99 }),
    'peer:socketio-polling': row('long-poll', {
      peer: 'socketio-polling',
      saturation: saturation(rates, 0, 1000, 'lost 310 messages'),
      latencyMs: { p50: 150, p90: 300, p99: 400, max: 900 },
    }),
    'long-poll': row('long-poll', { saturation: saturation(rates, 200), serverRssBytesPerConnection: 6_000 }),
    'peer:sockjs-xhr-polling': row('long-poll', { peer: 'sockjs-xhr-polling', saturation: saturation(rates, 100) }),
  });
}

/** A networks scenario: SSE, long and short polling over loopback, broadband and mobile-3g, one SockJS peer. */
export function networksRun(): RunResult {
  const over = (network: string, p50: number, extra: Partial<TechniqueResult> = {}): Partial<TechniqueResult> => ({
    network,
    latencyMs: { p50, p90: p50 * 1.5, p99: p50 * 2, max: p50 * 4 },
    ...(network === 'loopback' ? {} : { proxyCpuMs: 400, proxyCpuShare: network === 'mobile-3g' ? 0.31 : 0.12 }),
    ...extra,
  });
  return run(
    'mobile',
    {
      'sse@mobile-3g': row('sse', over('mobile-3g', 160)),
      'sse@loopback': row('sse', over('loopback', 0.9)),
      'sse@broadband': row('sse', over('broadband', 16)),
      'long-poll@broadband': row('long-poll', over('broadband', 47, { requestsPerMessage: 1, bytesPerMessage: 420 })),
      'long-poll@loopback': row('long-poll', over('loopback', 1.2, { requestsPerMessage: 1, bytesPerMessage: 420 })),
      'long-poll@mobile-3g': row('long-poll', over('mobile-3g', 470, { requestsPerMessage: 1, bytesPerMessage: 420 })),
      'short-poll@250ms,mobile-3g': row('short-poll', over('mobile-3g', 600, { variant: { intervalMs: 250 }, requestsPerMessage: 2.5 })),
      'short-poll@250ms,loopback': row('short-poll', over('loopback', 130, { variant: { intervalMs: 250 }, requestsPerMessage: 2.5 })),
      'peer:sockjs-eventsource@mobile-3g': row('sse', over('mobile-3g', 175, { peer: 'sockjs-eventsource' })),
    },
    {
      environment: {
        node: 'v20.20.0',
        cpu: 'test cpu',
        cores: 2,
        commit: 'abc1234',
        pinned: true,
        network: 'loopback, broadband, mobile-3g',
      },
      networks: { 'mobile-3g': networkCheck('mobile-3g', 301, 310), broadband: networkCheck('broadband', 30.2, 30.6) },
    },
  );
}

/** The one scenario of a report built from `runs`. */
export function only(runs: Parameters<typeof buildReport>[0]): ScenarioReport {
  const [s] = buildReport(runs).scenarios;
  if (s === undefined) throw new Error('no scenario');
  return s;
}

/** The section of `s` titled `title`; throws when it has none. */
export function section(s: ScenarioReport, title: string): NonNullable<ScenarioReport['sections'][number]> {
  const found = s.sections.find((part) => part.title === title);
  if (found === undefined) throw new Error(`no ${title} section`);
  return found;
}
