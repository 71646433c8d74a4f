/** Findings computed from the rows of a run: what was cheapest, fastest, what went wrong, what changed. */
import type { RunResult, TechniqueResult } from '../../results/schema.ts';
import { capitalize, formatBytes, formatCount, formatDelta, formatDuration, formatNumber, formatRatio } from '../format.ts';
import type { Change, Row, Text } from '../types.ts';
import { perRequest } from './explain.ts';
import { leaders } from './noise.ts';
import { memoryMinClients } from './verdict.ts';

/** Changes of at least this many percent are called out in the findings. */
export const notableChangePercent = 10;

const compared: { label: string; unit: string; value: (r: TechniqueResult) => number }[] = [
  { label: 'p50', unit: 'ms', value: (r) => r.latencyMs.p50 },
  { label: 'p99', unit: 'ms', value: (r) => r.latencyMs.p99 },
  { label: 'bytes per message', unit: 'B', value: (r) => r.bytesPerMessage },
  { label: 'server CPU per 1,000 messages', unit: 'ms', value: (r) => r.serverCpuMsPer1kMessages },
];

/** What kind of problem an alert is, for the one line per scenario that groups them. */
export type AlertKind = 'failed' | 'lost' | 'duplicated' | 'outOfOrder' | 'gaps' | 'load';

/** One problem of one row. */
export interface Alert {
  kind: AlertKind;
  /** The row's key; the scenario's name for a whole-run alert. */
  key: string;
  text: Text;
}

/** What a scenario means to happen, so its outcome is a result, not a warning: a restart's gaps. */
export interface Expected {
  /** The server is restarted in the window: subscribers are told of gaps on purpose. */
  gaps: boolean;
  /** Subscribers drop their connections on purpose and resume with their cursor. Default false. */
  churn?: boolean;
  /**
   * A process is killed in the window (failover): what a peer loses, repeats or reorders there
   * is its result, shown in the Scale-out section, not a warning. pushlab's rows stay held to 0.
   */
  peerLoss?: boolean;
}

/** Whether the run's scenario injects the fault that causes `kind`. */
export function expectedOf(run: RunResult): Expected {
  const faults = run.params.faults as { restartAtMs?: number; churnMeanMs?: number; failoverAtMs?: number } | undefined;
  return {
    gaps: faults?.restartAtMs !== undefined,
    churn: faults?.churnMeanMs !== undefined,
    peerLoss: faults?.failoverAtMs !== undefined,
  };
}

/** Loss, duplicates, disorder, unexpected gaps and load-generator bottlenecks, one alert each. */
export function alertsOf(rows: readonly Row[], expected: Expected = { gaps: false }): Alert[] {
  const alerts: Alert[] = [];
  for (const { key, name, result: r } of rows) {
    const who = capitalize(name);
    const add = (kind: AlertKind, text: Text): void => {
      alerts.push({ kind, key, text });
    };
    const lossIsResult = expected.peerLoss === true && r.peer !== undefined;
    if (r.lost > 0 && !lossIsResult)
      add(
        'lost',
        `${who} lost **${formatCount(r.lost)}** of ${formatCount(r.expected)} expected messages (${formatNumber((r.lost / Math.max(1, r.expected)) * 100)} %).`,
      );
    if (r.duplicated > 0 && !lossIsResult) add('duplicated', `${who} delivered **${formatCount(r.duplicated)}** duplicate messages.`);
    if (r.outOfOrder > 0 && !lossIsResult) add('outOfOrder', `${who} delivered **${formatCount(r.outOfOrder)}** messages out of order.`);
    if ((r.gaps ?? 0) > 0 && !expected.gaps)
      add(
        'gaps',
        `${who} was told of **${formatCount(r.gaps ?? 0)}** gap${r.gaps === 1 ? '' : 's'}: messages a subscriber asked for were no longer in the server's replay buffer.`,
      );
    if (r.bottleneck === 'load') {
      const shares = [
        r.loadCpuShare === undefined ? '' : `load process at ${formatNumber(r.loadCpuShare * 100)} % of a core`,
        r.loadElu === undefined ? '' : `its event loop ${formatNumber(r.loadElu * 100)} % busy`,
        r.serverCpuShare === undefined ? '' : `server at ${formatNumber(r.serverCpuShare * 100)} %`,
      ].filter((s) => s !== '');
      const why = shares.length > 0 ? ` (${shares.join(', ')})` : '';
      add('load', `${who}: the load generator, not the server, was the bottleneck${why}.`);
    }
  }
  return alerts;
}

const kindWords: Record<AlertKind, string> = {
  failed: 'not measured',
  lost: 'lost messages',
  duplicated: 'duplicates',
  outOfOrder: 'out of order',
  gaps: 'unexpected gaps',
  load: 'load-bound',
};

/** One line for a scenario's alerts: `load-bound: 12 of 15 rows — their latency describes the load generator`. */
export function groupAlerts(alerts: readonly Alert[], rowCount: number): Text | undefined {
  if (alerts.length === 0) return undefined;
  // Worst first: rows not measured, then losses, then what only qualifies the figures.
  const kinds = (Object.keys(kindWords) as AlertKind[]).filter((kind) => alerts.some((a) => a.kind === kind));
  const parts = kinds.map((kind) => {
    const rows = new Set(alerts.filter((a) => a.kind === kind).map((a) => a.key)).size;
    const part = `${kindWords[kind]}: ${formatCount(rows)} of ${formatCount(rowCount)} row${rowCount === 1 ? '' : 's'}`;
    return kind === 'load' ? `${part} — their latency and throughput describe the load generator as much as the server` : part;
  });
  return parts.join('; ');
}

/** A restart's gaps, as the result they are: how many subscribers were told, and what they had missed. */
export function expectedOutcomes(rows: readonly Row[], expected: Expected): Text[] {
  if (expected.churn === true) {
    const drops = rows.reduce((sum, row) => sum + (row.result.drops ?? 0), 0);
    const lost = rows.reduce((sum, row) => sum + row.result.lost + row.result.duplicated, 0);
    const dropped = rows.filter((row) => (row.result.drops ?? 0) > 0).length;
    return [
      `As intended, subscribers dropped their connections and resumed with their cursor: ${formatCount(drops)} drops over ${dropped} of ${rows.length} rows, ` +
        (lost === 0 ? '**0 lost and 0 duplicated**.' : `and **${formatCount(lost)}** messages lost or duplicated (see the warning).`),
    ];
  }
  if (!expected.gaps) return [];
  const restarted = rows.filter((row) => (row.result.restarts ?? 0) > 0);
  if (restarted.length === 0) return [];
  const told = restarted.filter((row) => (row.result.subscribersWithGap ?? 0) >= row.result.clients).map((row) => row.name);
  const lines: Text[] = [
    `As intended, the restart was reported: ${told.length === restarted.length ? 'in every row' : `in ${told.length} of ${restarted.length} rows`}, ` +
      `every subscriber was told of a gap (the new server cannot replay the old one’s ids)${restarted.every((row) => row.result.lost === 0) ? ', and nothing was lost unreported' : ''}.`,
  ];
  const reported = restarted.filter((row) => (row.result.reportedLost ?? 0) > 0);
  if (reported.length > 0)
    lines.push(
      `Messages sent by the old server but missed, and reported as a gap: ${reported
        .map((row) => `${row.name} ${formatCount(row.result.reportedLost ?? 0)}`)
        .join(', ')}${reported.length < restarted.length ? '; the other rows missed none' : ''}.`,
    );
  return lines;
}

/** The change of every figure of `compared`, for the rows present in both runs. */
export function changesOf(rows: readonly Row[], previous: RunResult): Change[] {
  const changes: Change[] = [];
  for (const { key, name, result } of rows) {
    const before = previous.techniques[key];
    if (before === undefined) continue;
    const deltas = compared.map(({ label, unit, value }) => {
      const [b, a] = [value(before), value(result)];
      return { label, unit, before: b, after: a, percent: b === 0 ? (a === 0 ? 0 : Number.NaN) : ((a - b) / b) * 100 };
    });
    changes.push({ key, name, deltas });
  }
  return changes;
}

function extremes(rows: readonly Row[], value: (r: TechniqueResult) => number): { low: Row; high: Row } | undefined {
  const usable = rows.filter((row) => Number.isFinite(value(row.result)));
  const [first] = usable;
  if (first === undefined || usable.every((row) => value(row.result) === 0)) return undefined;
  let low = first;
  let high = first;
  for (const row of usable) {
    if (value(row.result) < value(low.result)) low = row;
    if (value(row.result) > value(high.result)) high = row;
  }
  return { low, high };
}

/** `11.2× fewer`, `2× more`, or `about as many` when within 10 %. */
function ratioWords(ours: number, theirs: number, fewer: string, more: string, same: string): string {
  if (ours <= 0 || theirs <= 0) return same;
  const ratio = theirs / ours;
  if (ratio >= 1.1) return `${formatRatio(ratio)} ${fewer}`;
  if (ratio <= 1 / 1.1) return `${formatRatio(1 / ratio)} ${more}`;
  return same;
}

function spread(low: number, high: number): string {
  return low > 0 ? `, ${formatRatio(high / low)} as much` : '';
}

/** `; the most: <name>, <value><spread>`, or a note when every row had the same value. */
function most(low: Row, high: Row, value: (r: TechniqueResult) => number, unit: string): string {
  const [a, b] = [value(low.result), value(high.result)];
  if (formatNumber(a) === formatNumber(b)) return ' (every row the same)';
  return `; the most: ${high.name}, ${formatNumber(b)}${unit}${spread(a, b)}`;
}

/** The short-poll row push techniques are compared with: the one at 1 s, or the only one. */
function shortPollReference(rows: readonly Row[]): Row | undefined {
  const polls = rows.filter((row) => row.result.technique === 'short-poll' && row.result.delivered > 0);
  return polls.find((row) => row.result.variant?.intervalMs === 1000) ?? (polls.length === 1 ? polls[0] : undefined);
}

function pushAgainstPolling(rows: readonly Row[]): Text[] {
  const poll = shortPollReference(rows);
  if (poll === undefined) return [];
  const p = poll.result;
  return rows
    .filter((row) => (row.result.technique === 'sse' || row.result.technique === 'websocket') && row.result.delivered > 0)
    .map(({ name, result: r }) => {
      const bytes = ratioWords(r.bytesPerMessage, p.bytesPerMessage, 'fewer bytes than', 'more bytes than', 'about as many bytes as');
      const latency = ratioWords(r.latencyMs.p50, p.latencyMs.p50, 'lower', 'higher', 'about the same');
      return (
        `${capitalize(name)} delivered each message with **${bytes}** ${poll.name} ` +
        `(${formatNumber(r.bytesPerMessage)} B against ${formatNumber(p.bytesPerMessage)} B), ` +
        `at a ${latency} median latency (${formatNumber(r.latencyMs.p50)} ms against ${formatNumber(p.latencyMs.p50)} ms).`
      );
    });
}

function intervalTradeOff(rows: readonly Row[]): Text[] {
  const polls = rows
    .filter((row) => row.result.technique === 'short-poll' && row.result.variant?.intervalMs !== undefined && row.result.delivered > 0)
    .sort((a, b) => (a.result.variant?.intervalMs ?? 0) - (b.result.variant?.intervalMs ?? 0));
  const push = extremes(
    rows.filter((row) => row.result.technique !== 'short-poll' && row.result.delivered > 0),
    (r) => r.bytesPerMessage,
  )?.low;
  const [shortest] = polls;
  const longest = polls[polls.length - 1];
  if (polls.length < 2 || push === undefined || shortest === undefined || longest === undefined) return [];
  const target = push.result.bytesPerMessage;
  const interval = (row: Row): string => formatDuration(row.result.variant?.intervalMs ?? 0);
  const match = polls.find((row) => row.result.bytesPerMessage <= target);
  const lines: Text[] = [
    `At ${interval(shortest)}, short polling made **${formatNumber(shortest.result.requestsPerMessage)} requests per message** ` +
      `and sent ${formatNumber(shortest.result.bytesPerMessage)} B per message for a median latency of ${formatNumber(shortest.result.latencyMs.p50)} ms.`,
  ];
  if (match !== undefined) {
    lines.push(
      `Short polling used as few bytes per message as ${push.name} (${formatNumber(target)} B) only from an interval of ${interval(match)}, ` +
        `where its median latency was ${formatNumber(match.result.latencyMs.p50)} ms against ${formatNumber(push.result.latencyMs.p50)} ms.`,
    );
  } else {
    lines.push(
      `At no interval tested (${interval(shortest)} to ${interval(longest)}) did short polling use as few bytes per message as ${push.name} ` +
        `(${formatNumber(target)} B); at ${interval(longest)} it used ${formatRatio(longest.result.bytesPerMessage / target)} as many, ` +
        `with a median latency of ${formatNumber(longest.result.latencyMs.p50)} ms.`,
    );
  }
  return lines;
}

function changeFindings(changes: readonly Change[], previous: RunResult): Text[] {
  const when = `the run of ${previous.startedAt.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC')} (commit \`${previous.environment.commit}\`)`;
  const notable = changes
    .flatMap((c) => c.deltas.map((d) => ({ change: c, delta: d })))
    .filter(({ delta }) => Number.isFinite(delta.percent) && Math.abs(delta.percent) >= notableChangePercent)
    .sort((a, b) => Math.abs(b.delta.percent) - Math.abs(a.delta.percent));
  if (notable.length === 0) return [`Against ${when}, no p50, p99, bytes or CPU figure moved by ${notableChangePercent} % or more.`];
  const listed = notable
    .slice(0, 4)
    .map(
      ({ change, delta: d }) =>
        `${change.name} ${d.label} ${formatDelta(d.percent)} (${formatNumber(d.before)} → ${formatNumber(d.after)} ${d.unit})`,
    );
  const more = notable.length > 4 ? `, and ${notable.length - 4} more in the table below` : '';
  return [`Against ${when}, the largest changes: ${listed.join('; ')}${more}.`];
}

/** The findings of a run, most useful first; all computed from `rows` (and `previous`). */
export function findingsOf(rows: readonly Row[], changes: readonly Change[], previous?: RunResult): Text[] {
  const live = rows.filter((row) => row.result.delivered > 0);
  const findings: Text[] = [];
  // A winner only where the gap exceeds the noise, and the median and the tail judged apart.
  const lead = (value: (r: TechniqueResult) => number): string => {
    const top = leaders(live.map((row) => ({ name: row.name, value: value(row.result) })));
    const [first] = top;
    if (first === undefined) return '';
    if (top.length === 1) return `${first.name}, ${formatNumber(first.value)} ms`;
    const values = top.map((m) => m.value);
    const shown = top.length > 3 ? `${top.length} rows` : top.map((m) => m.name).join(', ');
    return `${shown} within noise of each other, ${formatNumber(Math.min(...values))}–${formatNumber(Math.max(...values))} ms`;
  };
  if (live.length > 0) {
    findings.push(`**Lowest median latency**: ${lead((r) => r.latencyMs.p50)}; **lowest p99**: ${lead((r) => r.latencyMs.p99)}.`);
  }
  const bytes = extremes(live, (r) => r.bytesPerMessage);
  if (bytes !== undefined) {
    const { low, high } = bytes;
    findings.push(
      `**Fewest bytes per message**: ${low.name}, ${formatNumber(low.result.bytesPerMessage)} B on the wire (${formatNumber(low.result.payloadShare * 100)} % of it payload)` +
        `${most(low, high, (r) => r.bytesPerMessage, ' B')}.`,
    );
  }
  const cpu = extremes(live, (r) => r.serverCpuMsPer1kMessages);
  if (cpu !== undefined) {
    const { low, high } = cpu;
    findings.push(
      `**Least server CPU per 1,000 messages**: ${low.name}, ${formatNumber(low.result.serverCpuMsPer1kMessages)} ms` +
        `${most(low, high, (r) => r.serverCpuMsPer1kMessages, ' ms')}.`,
    );
  }
  const requests = extremes(live, (r) => r.requestsPerMessage);
  if (requests !== undefined && requests.low.result.requestsPerMessage > 0) {
    const { low, high } = requests;
    findings.push(
      `**Fewest requests per message**: ${low.name}, ${formatNumber(low.result.requestsPerMessage)} (${perRequest(low.result.requestsPerMessage)})` +
        `${most(low, high, (r) => r.requestsPerMessage, '')}.`,
    );
  }
  // Too few clients and RSS per connection is the process's noise; short polling holds no connection.
  const memory = extremes(
    rows.filter((row) => row.result.clients >= memoryMinClients && row.result.technique !== 'short-poll'),
    (r) => r.serverRssBytesPerConnection,
  );
  if (memory !== undefined) {
    const { low, high } = memory;
    findings.push(
      `**Least server memory per held connection**: ${low.name}, ${formatBytes(low.result.serverRssBytesPerConnection)}` +
        (formatBytes(low.result.serverRssBytesPerConnection) === formatBytes(high.result.serverRssBytesPerConnection)
          ? ' (every row the same).'
          : `; the most: ${high.name}, ${formatBytes(high.result.serverRssBytesPerConnection)}.`),
    );
  }
  findings.push(...pushAgainstPolling(live), ...intervalTradeOff(live));
  if (previous !== undefined) findings.push(...changeFindings(changes, previous));
  return findings;
}
