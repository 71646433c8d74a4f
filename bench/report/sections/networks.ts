/**
 * The Networks section, for a scenario whose rows ran over more than one network
 * profile: each technique's latency, bytes and requests per profile side by side, a chart of
 * the medians, what the numbers say in round trips, and the check of the emulation itself.
 */
import { techniquesIn } from '../../../registry/techniques.ts';
import * as Plot from '@observablehq/plot';
import { profiles } from '../../network/profiles.ts';
import type { RunResult, TechniqueResult } from '../../results/schema.ts';
import { axisScale } from '../charts/kit.ts';
import { capitalize, formatNumber, formatShare, networkOf, networkRank, seriesName } from '../format.ts';
import type { Row, Section, Text } from '../types.ts';
import { isPeer, networksOf } from '../rows.ts';
import { chartWidthPx, renderChart, textWidthPx } from '../charts/svg.ts';
import type { Table } from '../types.ts';

/** One colour per stock profile, light (fast) to dark (slow); a custom profile is grey. */
const networkColors: Record<string, string> = {
  loopback: '#9ec5f4',
  lan: '#4269d0',
  broadband: '#3ca951',
  'mobile-4g': '#efb118',
  'mobile-3g': '#b42318',
};

/** The colour of a network profile in charts. */
export function networkColor(network: string): string {
  return networkColors[network] ?? '#9498a0';
}

/** A technique and setting measured over several networks: its rows by profile. */
interface Series {
  key: string;
  name: string;
  peer: boolean;
  byNetwork: Map<string, TechniqueResult>;
}

function seriesOf(rows: readonly Row[]): Series[] {
  const series = new Map<string, Series>();
  for (const row of rows) {
    const entry = series.get(row.series) ?? { key: row.series, name: seriesName(row.result), peer: isPeer(row), byNetwork: new Map() };
    entry.byNetwork.set(networkOf(row.result), row.result);
    series.set(row.series, entry);
  }
  return [...series.values()];
}

/** The round trip of `network` for prose: as measured by the run's check, else as the stock profile promises. */
function roundTripMs(run: RunResult, network: string): number | undefined {
  const checked = run.networks?.[network]?.measuredRttMs;
  if (checked !== undefined) return checked;
  return (profiles as Record<string, { rttMs: number } | undefined>)[network]?.rttMs;
}

const figures: { id: string; caption: string; value: (r: TechniqueResult) => number }[] = [
  { id: 'p50', caption: 'Median latency (p50, ms) by network', value: (r) => r.latencyMs.p50 },
  { id: 'p99', caption: 'p99 latency (ms) by network', value: (r) => r.latencyMs.p99 },
  { id: 'bytes', caption: 'Bytes on the wire per delivered message (B) by network', value: (r) => r.bytesPerMessage },
  { id: 'requests', caption: 'HTTP requests per delivered message by network', value: (r) => r.requestsPerMessage },
];

function pivotTables(slug: string, series: readonly Series[], networks: readonly string[]): Table[] {
  return figures.map((figure) => ({
    id: `${slug}-networks-${figure.id}`,
    caption: figure.caption,
    columns: [{ header: 'row', align: 'left' as const }, ...networks.map((network) => ({ header: network }))],
    rows: series.map((s) => [
      s.name,
      ...networks.map((network) => {
        const result = s.byNetwork.get(network);
        return result === undefined ? '–' : formatNumber(figure.value(result));
      }),
    ]),
  }));
}

/** The check of each profile the run made before measuring (`run.networks`), slowest last. */
export function networkChecksTable(slug: string, run: RunResult): Table | undefined {
  const checks = Object.entries(run.networks ?? {}).sort(([a], [b]) => networkRank(a) - networkRank(b) || a.localeCompare(b));
  if (checks.length === 0) return undefined;
  const mbit = (bits: number | undefined): string => (bits === undefined ? '–' : formatNumber(bits / 1e6));
  const ratio = (value: number | undefined): string => (value === undefined ? '–' : `${formatNumber(value)}×`);
  return {
    id: `${slug}-network-checks`,
    caption:
      'Check of each emulated network before the run: round trip (median of the pings) and rate through the proxy, against the profile',
    columns: [
      { header: 'profile', align: 'left' },
      { header: 'method', align: 'left' },
      { header: 'promised RTT (ms)' },
      { header: 'measured RTT (ms)' },
      { header: 'RTT p90 (ms)' },
      { header: 'RTT measured ÷ promised' },
      { header: 'down (Mbit/s)' },
      { header: 'down measured ÷ cap' },
      { header: 'up (Mbit/s)' },
      { header: 'up measured ÷ cap' },
      { header: 'proxy CPU (ms)' },
    ],
    rows: checks.map(([name, c]) => [
      name,
      c.method,
      formatNumber(c.promisedRttMs),
      formatNumber(c.measuredRttMs),
      formatNumber(c.rttP90Ms),
      ratio(c.rttRatio),
      mbit(c.down?.measuredBitsPerSecond),
      ratio(c.down?.ratio),
      mbit(c.up?.measuredBitsPerSecond),
      ratio(c.up?.ratio),
      formatNumber(c.proxyCpuMs),
    ]),
  };
}

/** The check's RTT ratios, with any off by more than this share called out. */
const checkTolerance = 0.2;

function checkText(run: RunResult): Text[] {
  const checks = Object.entries(run.networks ?? {}).filter(([, c]) => c.rttRatio !== undefined);
  if (checks.length === 0) return [];
  const ratios = checks.map(([, c]) => c.rttRatio ?? 1);
  const off = checks.filter(([, c]) => Math.abs((c.rttRatio ?? 1) - 1) > checkTolerance);
  const range = `${formatNumber(Math.min(...ratios))}× to ${formatNumber(Math.max(...ratios))}×`;
  return [
    `Before measuring, each profile was checked with pings and a bulk transfer through the proxy (table below): measured round trips were ${range} the promised ones` +
      (off.length === 0
        ? '.'
        : `; **off by more than ${formatShare(checkTolerance)}**: ${off.map(([name, c]) => `${name} (${formatNumber(c.measuredRttMs)} ms against ${formatNumber(c.promisedRttMs)} ms)`).join(', ')}.`),
  ];
}

/** The proxy's own CPU, from the rows that recorded it. */
function proxyText(rows: readonly Row[]): Text[] {
  const measured = rows.filter((row) => row.result.proxyCpuShare !== undefined);
  if (measured.length === 0) return [];
  const busiest = measured.reduce((a, b) => ((b.result.proxyCpuShare ?? 0) > (a.result.proxyCpuShare ?? 0) ? b : a));
  return [
    `The proxy used at most ${formatShare(busiest.result.proxyCpuShare ?? 0)} of a core (${busiest.name}); that core is the load generator's, so a busy proxy shows as a load bottleneck, not as server cost.`,
  ];
}

const polling: readonly string[] = techniquesIn('polling');
const streaming: readonly string[] = techniquesIn('streaming');

/** Over the slowest network: each polling technique's median against the fastest streaming one's, in round trips. */
function roundTripText(run: RunResult, series: readonly Series[], networks: readonly string[]): Text[] {
  const slowest = networks.at(-1);
  if (slowest === undefined || slowest === 'loopback') return [];
  const rtt = roundTripMs(run, slowest);
  const own = series.filter((s) => !s.peer);
  const at = (s: Series): TechniqueResult | undefined => s.byNetwork.get(slowest);
  const streams = own.filter((s) => streaming.includes(at(s)?.technique ?? '') && (at(s)?.delivered ?? 0) > 0);
  const stream = streams.reduce<Series | undefined>(
    (a, b) => (a === undefined || (at(b)?.latencyMs.p50 ?? Infinity) < (at(a)?.latencyMs.p50 ?? Infinity) ? b : a),
    undefined,
  );
  const streamResult = stream === undefined ? undefined : at(stream);
  if (stream === undefined || streamResult === undefined) return [];
  return own
    .filter((s) => polling.includes(at(s)?.technique ?? '') && (at(s)?.delivered ?? 0) > 0)
    .map((s) => {
      const p50 = at(s)?.latencyMs.p50 ?? 0;
      const extra = p50 - streamResult.latencyMs.p50;
      // Rounded to a tenth: "about 0.526 round trips" claims a precision the network does not have.
      const tenths = Math.round((Math.abs(extra) / (rtt ?? 1)) * 10) / 10;
      const trips = tenths === 0.5 ? 'half a round trip' : `${tenths} round trip${tenths === 1 ? '' : 's'}`;
      const inTrips = rtt === undefined || rtt <= 0 ? '' : `, about ${trips} of the ${formatNumber(rtt)} ms RTT`;
      return (
        `Over ${slowest}, the median latency of ${s.name} was **${formatNumber(p50)} ms** against ${formatNumber(streamResult.latencyMs.p50)} ms for ${stream.name}: ` +
        `${formatNumber(Math.abs(extra))} ms ${extra >= 0 ? 'more' : 'less'}${inTrips}.`
      );
    });
}

/** From the fastest to the slowest network, how each of pushlab's medians moved. */
function growthText(series: readonly Series[], networks: readonly string[]): Text[] {
  const [fastest] = networks;
  const slowest = networks.at(-1);
  if (fastest === undefined || slowest === undefined) return [];
  const moves = series
    .filter((s) => !s.peer && s.byNetwork.has(fastest) && s.byNetwork.has(slowest))
    .map(
      (s) =>
        `${s.name} ${formatNumber(s.byNetwork.get(fastest)?.latencyMs.p50 ?? 0)} → ${formatNumber(s.byNetwork.get(slowest)?.latencyMs.p50 ?? 0)} ms`,
    );
  return moves.length === 0 ? [] : [`From ${fastest} to ${slowest}, median latency went: ${moves.join('; ')}.`];
}

function medianChart(slug: string, series: readonly Series[], networks: readonly string[]): Section['charts'][number] | undefined {
  const points = series.flatMap((s) =>
    networks.flatMap((network) => {
      const result = s.byNetwork.get(network);
      return result === undefined || result.delivered === 0 ? [] : [{ row: s.name, network, ms: result.latencyMs.p50 }];
    }),
  );
  const x = axisScale(
    'x',
    points.map((p) => p.ms),
    'median latency',
    'ms',
  );
  const shown = x.log ? points.filter((p) => p.ms > 0) : points;
  if (shown.length === 0) return undefined;
  const names = series.map((s) => s.name).filter((name) => shown.some((p) => p.row === name));
  const spans = names.map((name) => {
    const values = shown.filter((p) => p.row === name).map((p) => p.ms);
    return { row: name, from: Math.min(...values), to: Math.max(...values) };
  });
  return renderChart({
    id: `${slug}-networks-p50`,
    title: 'Median latency per technique on each network',
    caption:
      'One dot per network profile, coloured from the fastest (light) to the slowest (dark); the grey line spans a technique’s medians. ' +
      'A streaming technique’s median grows by about half a round trip; a poll pays at least one more round trip to ask again.',
    legend: networks.map((network) => ({ label: network, color: networkColor(network), shape: 'dot' as const })),
    plot: {
      width: chartWidthPx,
      height: names.length * 26 + 56,
      marginLeft: Math.ceil(Math.max(40, ...names.map((name) => textWidthPx(name, 11))) + 16),
      marginRight: 24,
      x: { ...x.scale, labelAnchor: 'center' },
      y: { domain: names, label: null },
      color: { domain: [...networks], range: networks.map(networkColor) },
      marks: [
        ...x.marks,
        Plot.ruleY(spans, { y: 'row', x1: 'from', x2: 'to', stroke: '#c9ccd1', strokeWidth: 2 }),
        Plot.dot(shown, { x: 'ms', y: 'row', fill: 'network', r: 4.5, stroke: 'white', strokeWidth: 0.8 }),
      ],
    },
  });
}

/** For the findings: over the slowest network, each polling technique against the fastest stream, in round trips. */
export function networkFindings(run: RunResult, rows: readonly Row[]): Text[] {
  const networks = networksOf(rows);
  return networks.length < 2 ? [] : roundTripText(run, seriesOf(rows), networks);
}

/** The Networks section, or undefined when every row ran over one network. */
export function networkSection(slug: string, run: RunResult, rows: readonly Row[]): Section | undefined {
  const networks = networksOf(rows);
  if (networks.length < 2) return undefined;
  const series = seriesOf(rows);
  const chart = medianChart(slug, series, networks);
  const checks = networkChecksTable(slug, run);
  const sortedRows = [...rows].sort((a, b) => networkRank(networkOf(a.result)) - networkRank(networkOf(b.result)));
  return {
    id: `${slug}-networks`,
    title: 'Networks',
    text: [
      `The same rows over ${networks.length} networks: ${networks.join(', ')} (in increasing round-trip time).`,
      'Every profile but loopback was emulated by a user-space delay proxy between the load clients and the server, running on the load generator’s core: ' +
        'it holds each direction for half the round trip, paces each connection to the profile’s rate caps (each connection is its own access line) ' +
        'and holds back a lost segment, and everything behind it, for a retransmit. Server-side figures (bytes, requests, CPU) are counted at the server, before the proxy.',
      ...checkText(run),
      ...proxyText(sortedRows),
      ...roundTripText(run, series, networks),
      ...growthText(series, networks),
    ].map(capitalize),
    charts: chart === undefined ? [] : [chart],
    tables: [...pivotTables(slug, series, networks), ...(checks === undefined ? [] : [checks])],
  };
}
