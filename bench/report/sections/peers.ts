/**
 * The Peers section: each pushlab technique beside the peer servers that do the
 * same job (Socket.IO, SockJS) and the raw TCP baseline, the ratios between them, and where
 * pushlab falls short of the peer targets. Every figure and verdict is computed from the rows.
 */
import { techniquesIn, type TechniqueId } from '../../../registry/techniques.ts';
import type { TechniqueResult } from '../../results/schema.ts';
import { barChart } from '../charts/scenario-charts.ts';
import { capitalize, formatBytes, formatCount, formatNumber, formatRatio, networkOf } from '../format.ts';
import type { Row, Section, Text } from '../types.ts';
import { isBaseline, isPeer, networksOf } from '../rows.ts';
import { chartWidthPx, renderChart } from '../charts/svg.ts';
import type { Table } from '../types.ts';

/** Deliveries per second: sustained at saturation when the row has a saturation run, else over the window. */
export function throughputOf(r: TechniqueResult): number | undefined {
  return r.saturation?.sustainedDeliveredPerSecond ?? r.deliveredPerSecond;
}

/** A throughput for a table: `≥ 41,000` when the saturation ceiling is above the highest step tried. */
function throughputText(r: TechniqueResult): string {
  const value = throughputOf(r);
  if (value === undefined) return '–';
  if (r.saturation !== undefined && !r.saturation.steps.some((step) => step.sustained)) return '0 (no step sustained)';
  return `${r.saturation?.ceilingAbove === true ? '≥ ' : ''}${formatNumber(value)}`;
}

/** One figure compared between a pushlab row and a peer: which way is better. */
interface Figure {
  header: string;
  value: (r: TechniqueResult) => number | undefined;
  higherIsBetter: boolean;
}

const compared: Figure[] = [
  { header: 'deliveries/s', value: throughputOf, higherIsBetter: true },
  { header: 'p50', value: (r) => r.latencyMs.p50, higherIsBetter: false },
  { header: 'p99', value: (r) => r.latencyMs.p99, higherIsBetter: false },
  { header: 'server CPU per 1k msg', value: (r) => r.serverCpuMsPer1kMessages, higherIsBetter: false },
  { header: 'bytes per msg', value: (r) => r.bytesPerMessage, higherIsBetter: false },
  { header: 'server memory per conn', value: (r) => r.serverRssBytesPerConnection, higherIsBetter: false },
];

/** A pushlab row and one row it is compared with: a peer of its technique, or the baseline. */
export interface PeerPair {
  ours: Row;
  theirs: Row;
}

/** Every pushlab row against its technique's peers and the baseline, over the same network, in row order. */
export function peerPairs(rows: readonly Row[]): PeerPair[] {
  const own = rows.filter((row) => !isPeer(row));
  const sameNetwork = (a: Row, b: Row): boolean => networkOf(a.result) === networkOf(b.result);
  return own.flatMap((ours) =>
    [
      ...rows.filter(
        (theirs) => isPeer(theirs) && !isBaseline(theirs) && theirs.result.technique === ours.result.technique && sameNetwork(ours, theirs),
      ),
      ...rows.filter((theirs) => isBaseline(theirs) && sameNetwork(ours, theirs)),
    ].map((theirs) => ({ ours, theirs })),
  );
}

/** pushlab ÷ peer, or undefined when either is missing or the peer's is 0. */
export function pairRatio(pair: PeerPair, value: (r: TechniqueResult) => number | undefined): number | undefined {
  const [a, b] = [value(pair.ours.result), value(pair.theirs.result)];
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

function figuresTable(slug: string, rows: readonly Row[]): Table {
  const saturated = rows.some((row) => row.result.saturation !== undefined);
  return {
    id: `${slug}-peers-figures`,
    caption: 'pushlab beside its peers and the raw TCP baseline',
    columns: [
      { header: 'row', align: 'left' },
      { header: saturated ? 'deliveries (msg/s, sustained at saturation)' : 'delivered (msg/s)' },
      { header: 'p50 (ms)' },
      { header: 'p99 (ms)' },
      { header: 'server CPU (ms/1k msg)' },
      { header: 'bytes per msg (B)' },
      { header: 'server memory (B/conn)' },
      { header: 'bottleneck', align: 'left' },
    ],
    rows: rows
      .map((row) => [row, row.result] as const)
      .map(([row, r]) => [
        isPeer(row) ? row.name : `**${row.name}**`,
        throughputText(r),
        formatNumber(r.latencyMs.p50),
        formatNumber(r.latencyMs.p99),
        formatNumber(r.serverCpuMsPer1kMessages),
        formatNumber(r.bytesPerMessage),
        formatNumber(r.serverRssBytesPerConnection),
        r.bottleneck === 'load' ? '**load** ⚠' : (r.bottleneck ?? '–'),
      ]),
  };
}

function ratiosTable(slug: string, pairs: readonly PeerPair[]): Table {
  return {
    id: `${slug}-peers-ratios`,
    caption: 'Ratios pushlab ÷ peer: above 1 is better for deliveries/s, below 1 is better for every other figure',
    columns: [
      { header: 'pushlab ÷ peer', align: 'left' },
      ...compared.map((f) => ({ header: `${f.header} (${f.higherIsBetter ? 'higher' : 'lower'} is better)` })),
      { header: 'limited by', align: 'left' },
    ],
    rows: pairs.map((pair) => [
      `${pair.ours.name} ÷ ${pair.theirs.name}`,
      ...compared.map((f) => {
        const ratio = pairRatio(pair, f.value);
        return ratio === undefined ? '–' : formatRatio(ratio);
      }),
      [pair.ours, pair.theirs].some((row) => row.result.bottleneck === 'load') ? '**load generator** ⚠' : 'server',
    ]),
  };
}

const streaming: readonly string[] = techniquesIn('streaming');

/** A peer target checked on one pair: met, short, or not settled by this run. */
export interface TargetCheck {
  status: 'met' | 'short' | 'unsettled';
  text: Text;
}

function bounds(pair: PeerPair): string {
  const [ours, theirs] = [pair.ours.result.saturation?.ceilingAbove === true, pair.theirs.result.saturation?.ceilingAbove === true];
  if (ours && theirs) return ` Both ceilings are above the highest step tried, so the ratio is not measured.`;
  if (ours) return ` ${capitalize(pair.ours.name)}'s ceiling is above its highest step: the ratio is a lower bound.`;
  if (theirs) return ` ${capitalize(pair.theirs.name)}'s ceiling is above its highest step: the ratio is an upper bound.`;
  return '';
}

function loadNote(pair: PeerPair): string {
  const limited = [pair.ours, pair.theirs].filter((row) => row.result.bottleneck === 'load').map((row) => row.name);
  return limited.length === 0
    ? ''
    : ` The load generator was the bottleneck for ${limited.join(' and ')}: the ratio is bounded by the load generator, not the server.`;
}

/**
 * The share of the baseline's sustained deliveries/s each streaming technique is to reach at
 * saturation: a WebSocket frame is the baseline's line with a 2-byte header, so WebSocket is
 * held close to it; SSE's and the iframe's frames ride an HTTP chunked response, framed by
 * text, which leaves them more room.
 */
const baselineTargets: Readonly<Partial<Record<TechniqueId, number>>> = { websocket: 0.9, sse: 0.75, iframe: 0.75 };

/** The target against Socket.IO's websocket: every streaming technique at 5× its deliveries/s. */
const socketioTarget = 5;

function rateTarget(pair: PeerPair, target: number): TargetCheck {
  const [ours, theirs] = [pair.ours.result.saturation, pair.theirs.result.saturation];
  const what = `${pair.ours.name} sustained ${formatNumber(throughputOf(pair.ours.result) ?? 0)} deliveries/s`;
  if (ours === undefined || theirs === undefined) {
    const missing = [pair.ours, pair.theirs].filter((row) => row.result.saturation === undefined).map((row) => row.name);
    return {
      status: 'unsettled',
      text: `Not checked: ${pair.ours.name} against ${pair.theirs.name} at saturation (target ≥ ${formatRatio(target)}) needs a saturation run of ${missing.join(' and ')}.`,
    };
  }
  const ratio = theirs.sustainedDeliveredPerSecond === 0 ? Infinity : ours.sustainedDeliveredPerSecond / theirs.sustainedDeliveredPerSecond;
  const shown = Number.isFinite(ratio) ? formatRatio(ratio) : 'any multiple';
  const versus = `${what} against ${formatNumber(theirs.sustainedDeliveredPerSecond)} for ${pair.theirs.name}: ${shown} (target ≥ ${formatRatio(target)}).`;
  const met = ratio >= target;
  // A ceiling above the highest step makes the measured ratio a bound, which settles only one side.
  const settled = met ? !theirs.ceilingAbove : !ours.ceilingAbove;
  const status = !settled ? 'unsettled' : met ? 'met' : 'short';
  const lead = status === 'met' ? 'Target met' : status === 'short' ? '**Short of target**' : 'Not settled';
  return { status, text: `${lead}: ${versus}${bounds(pair)}${loadNote(pair)}` };
}

function memoryTarget(ours: Row, socketio: Row): TargetCheck {
  const [a, b] = [ours.result.serverRssBytesPerConnection, socketio.result.serverRssBytesPerConnection];
  const met = a <= b;
  // The runner reads RSS with every client subscribed and before the first publish: idle connections.
  const idle = 'idle connection';
  return {
    status: met ? 'met' : 'short',
    text:
      `${met ? 'Target met' : '**Short of target**'}: ${ours.name} held ${formatBytes(a)} per ${idle} against ${formatBytes(b)} for ${socketio.name}` +
      ` (${formatRatio(b === 0 ? Infinity : a / b)}; target ≤ 1×).`,
  };
}

/** The peer targets that this run can speak to, one check per pair. */
export function targetChecks(rows: readonly Row[], pairs: readonly PeerPair[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const own = rows.filter((row) => !isPeer(row));
  const socketioBeside = (ours: Row): Row | undefined =>
    rows.find((row) => row.result.peer === 'socketio-websocket' && networkOf(row.result) === networkOf(ours.result));
  for (const pair of pairs) {
    const target = baselineTargets[pair.ours.result.technique];
    if (target !== undefined && isBaseline(pair.theirs)) checks.push(rateTarget(pair, target));
  }
  // Socket.IO's websocket is the yardstick of every streaming technique's rate, and of every technique's memory.
  for (const ours of own.filter((row) => streaming.includes(row.result.technique))) {
    const socketio = socketioBeside(ours);
    if (socketio !== undefined) checks.push(rateTarget({ ours, theirs: socketio }, socketioTarget));
  }
  // Short polling holds no connection between polls: its RSS per client is no connection's cost.
  for (const ours of own.filter((row) => row.result.technique !== 'short-poll')) {
    const socketio = socketioBeside(ours);
    if (socketio !== undefined) checks.push(memoryTarget(ours, socketio));
  }
  return checks;
}

/** One line for the findings: how many targets were met and which fell short. */
export function targetSummary(checks: readonly TargetCheck[]): Text[] {
  if (checks.length === 0) return [];
  const count = (status: TargetCheck['status']): number => checks.filter((c) => c.status === status).length;
  const short = checks.filter((c) => c.status === 'short').length;
  return [
    `**Against the peer targets**: ${formatCount(count('met'))} met, ${formatCount(short)} short` +
      `${count('unsettled') > 0 ? `, ${formatCount(count('unsettled'))} not settled by this run` : ''} (see Peers below).`,
  ];
}

/** The Peers section, or undefined when the run measured no peer. */
export function peerSection(slug: string, allRows: readonly Row[]): Section | undefined {
  // Only the networks a peer was measured over: elsewhere pushlab has nothing to stand beside.
  const peerNetworks = new Set(allRows.filter(isPeer).map((row) => networkOf(row.result)));
  if (peerNetworks.size === 0) return undefined;
  const rows = allRows.filter((row) => peerNetworks.has(networkOf(row.result)));
  const pairs = peerPairs(rows);
  const checks = targetChecks(rows, pairs);
  const own = rows.filter((row) => !isPeer(row));
  const peers = [...new Set(rows.filter(isPeer).map((row) => row.name))];
  const text: Text[] = [
    `Beside pushlab's own rows, the same load was put on ${peers.length} peer row${peers.length === 1 ? '' : 's'}: ${peers.join(', ')}. ` +
      'Each peer is its own server process, pinned and measured like pushlab; the baseline is a raw `node:net` fan-out server (messages pre-encoded, the messages of a turn to a topic joined once and written to each subscriber in one write): ' +
      'the ceiling of Node on this machine, beside every technique.',
  ];
  if (own.length === 0) text.push('This run measured peers only: there is no pushlab row to compare them with.');
  const hasYardstick = rows.some((row) => isBaseline(row) || row.result.peer === 'socketio-websocket');
  if (hasYardstick && !rows.some((row) => row.result.saturation !== undefined)) {
    text.push(
      'The peer throughput targets (at saturation, WebSocket ≥ 0.9× the baseline, SSE and the iframe ≥ 0.75×, every streaming technique ≥ 5× Socket.IO’s websocket) need saturation runs; this run has none.',
    );
  }
  text.push(...checks.filter((c) => c.status !== 'met').map((c) => c.text), ...checks.filter((c) => c.status === 'met').map((c) => c.text));
  const chart = barChart(rows, {
    id: `${slug}-peers-throughput`,
    title: 'Deliveries per second: pushlab, its peers and the baseline',
    caption:
      'Messages delivered per second across all subscribers (sustained at saturation where the row has a saturation run). ' +
      'Peers are drawn in a lighter (Socket.IO) or darker (SockJS) shade of their technique’s colour, the baseline in near-black.',
    what: 'deliveries',
    unit: 'msg/s',
    value: (row) => throughputOf(row.result) ?? Number.NaN,
  });
  const networks = networksOf(rows);
  if (networksOf(allRows).length > 1) {
    text.push(
      `Each pushlab row is compared with the peers measured over the same network; peers were measured over ${networks.join(', ')}.`,
    );
  }
  return {
    id: `${slug}-peers`,
    title: 'Peers',
    text,
    charts: chart === undefined ? [] : [renderChart({ ...chart, plot: { width: chartWidthPx, ...chart.plot } })],
    tables: [figuresTable(slug, rows), ...(pairs.length > 0 ? [ratiosTable(slug, pairs)] : [])],
  };
}
