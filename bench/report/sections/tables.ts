/**
 * The report's tables as data (headers with units, cells as text), so the Markdown and the
 * HTML show exactly the same figures. Every figure of a results file lands in one of them
 * (the latency distribution is drawn, not tabulated). Optional columns no row has are left out.
 */
import type { RunResult, TechniqueResult } from '../../results/schema.ts';
import { formatCount, formatDelta, formatNumber } from '../format.ts';
import type { Change, Row, Table } from '../types.ts';
import { networkChecksTable } from './networks.ts';

interface Field {
  header: string;
  value: (r: TechniqueResult) => number | string | undefined;
  format?: (value: number) => string;
  align?: 'left' | 'right';
}

/** A count that should be zero: shown loudly when it is not. */
function flagged(value: number): string {
  return value === 0 ? '0' : `**${formatCount(value)}** ⚠`;
}

function rowTable(id: string, caption: string, rows: readonly Row[], fields: readonly Field[]): Table {
  const present = fields.filter((field) => rows.some((row) => field.value(row.result) !== undefined));
  return {
    id,
    caption,
    columns: [{ header: 'row', align: 'left' }, ...present.map((f) => ({ header: f.header, align: f.align ?? 'right' }))],
    rows: rows.map((row) => [
      `\`${row.key}\``,
      ...present.map((field) => {
        const value = field.value(row.result);
        if (value === undefined) return '–';
        if (typeof value === 'string') return value;
        return (field.format ?? formatNumber)(value);
      }),
    ]),
  };
}

const delivery: Field[] = [
  { header: 'clients', value: (r) => r.clients, format: formatCount },
  { header: 'published (msg)', value: (r) => r.published, format: formatCount },
  { header: 'expected (msg)', value: (r) => r.expected, format: formatCount },
  { header: 'delivered (msg)', value: (r) => r.delivered, format: formatCount },
  { header: 'lost (msg)', value: (r) => r.lost, format: flagged },
  { header: 'duplicated (msg)', value: (r) => r.duplicated, format: flagged },
  { header: 'out of order (msg)', value: (r) => r.outOfOrder, format: flagged },
  { header: 'gaps', value: (r) => r.gaps, format: flagged },
  { header: 'delivered (msg/s)', value: (r) => r.deliveredPerSecond },
];

const latency: Field[] = [
  { header: 'p50 (ms)', value: (r) => r.latencyMs.p50 },
  { header: 'p90 (ms)', value: (r) => r.latencyMs.p90 },
  { header: 'p99 (ms)', value: (r) => r.latencyMs.p99 },
  { header: 'p99.9 (ms)', value: (r) => r.latencyMs.p999 },
  { header: 'max (ms)', value: (r) => r.latencyMs.max },
  { header: 'mean (ms)', value: (r) => r.latencyMs.mean },
];

const cost: Field[] = [
  { header: 'requests per msg', value: (r) => r.requestsPerMessage },
  { header: 'bytes per msg (B)', value: (r) => r.bytesPerMessage },
  { header: 'in per msg (B)', value: (r) => r.bytesInPerMessage },
  { header: 'out per msg (B)', value: (r) => r.bytesOutPerMessage },
  { header: 'payload share (%)', value: (r) => r.payloadShare, format: (v) => formatNumber(v * 100) },
  { header: 'empty responses', value: (r) => r.emptyResponses, format: formatCount },
  { header: 'server CPU (ms/1k msg)', value: (r) => r.serverCpuMsPer1kMessages },
  { header: 'server memory (B/conn)', value: (r) => r.serverRssBytesPerConnection },
];

const busy: Field[] = [
  { header: 'server CPU (% of a core)', value: (r) => r.serverCpuShare, format: (v) => formatNumber(v * 100) },
  { header: 'load CPU (% of a core)', value: (r) => r.loadCpuShare, format: (v) => formatNumber(v * 100) },
  { header: 'load event loop busy (%)', value: (r) => r.loadElu, format: (v) => formatNumber(v * 100) },
  { header: 'delay proxy CPU (% of a core)', value: (r) => r.proxyCpuShare, format: (v) => formatNumber(v * 100) },
  { header: 'delay proxy CPU (ms)', value: (r) => r.proxyCpuMs },
  { header: 'bottleneck', value: (r) => (r.bottleneck === 'load' ? '**load** ⚠' : r.bottleneck), align: 'left' },
  { header: 'notes', value: (r) => r.notes?.join(' '), align: 'left' },
];

/** First and last of a soak's samples, e.g. `41.2 MB → 41.9 MB`. */
function firstToLast(
  samples: readonly (readonly number[])[] | undefined,
  column: number,
  format: (v: number) => string,
): string | undefined {
  const first = samples?.[0]?.[column];
  const last = samples?.at(-1)?.[column];
  return first === undefined || last === undefined ? undefined : `${format(first)} → ${format(last)}`;
}

const faults: Field[] = [
  { header: 'connections dropped and resumed', value: (r) => r.drops, format: formatCount },
  { header: 'server restarts', value: (r) => r.restarts, format: formatCount },
  { header: 'subscribers that reported the gap', value: (r) => r.subscribersWithGap, format: formatCount },
  { header: 'missing, reported by a gap (msg)', value: (r) => r.reportedLost, format: formatCount },
  { header: 'stalled subscribers', value: (r) => r.stalled, format: formatCount },
  { header: 'cut off at the bound', value: (r) => r.slowConsumerDisconnects, format: formatCount },
  { header: 'server RSS in the window (B)', value: (r) => firstToLast(r.serverSamples, 1, formatNumber), align: 'left' },
  { header: 'server RSS growth (B)', value: (r) => r.serverRssGrowthBytes },
  { header: 'open handles in the window', value: (r) => firstToLast(r.serverSamples, 2, formatCount), align: 'left' },
];

/** A parameter value as text: numbers exact, lists and objects as compact JSON. */
function paramText(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? formatCount(value) : String(value);
  if (typeof value === 'string') return value;
  return `\`${JSON.stringify(value)}\``;
}

function changeCell(change: Change, label: string): string {
  const delta = change.deltas.find((d) => d.label === label);
  if (delta === undefined) return '–';
  return `${formatNumber(delta.before)} → ${formatNumber(delta.after)} (${formatDelta(delta.percent)})`;
}

/** The tables of one scenario's run: parameters, delivery, latency, cost, load, capacity, change. */
export function scenarioTables(
  slug: string,
  run: RunResult,
  rows: readonly Row[],
  changes: readonly Change[],
  previous?: RunResult,
  /** Whether the network checks go here: not when the Networks section shows them. Default true. */
  withNetworkChecks = true,
): Table[] {
  const tables: Table[] = [
    {
      id: `${slug}-params`,
      caption: `Parameters of the \`${run.scenario}\` run`,
      columns: [
        { header: 'parameter', align: 'left' },
        { header: 'value', align: 'left' },
      ],
      rows: Object.entries(run.params).map(([key, value]) => [`\`${key}\``, paramText(value)]),
    },
    rowTable(`${slug}-delivery`, 'Delivery: every message accounted for', rows, delivery),
    rowTable(`${slug}-latency`, 'Latency, publish to receipt (ms)', rows, latency),
    rowTable(`${slug}-cost`, 'Cost per delivered message and per connection', rows, cost),
  ];
  if (rows.some((row) => faults.some((field) => field.value(row.result) !== undefined))) {
    tables.push(rowTable(`${slug}-faults`, 'Faults: churn, restarts, slow consumers, memory and handles over the window', rows, faults));
  }
  if (rows.some((row) => busy.some((field) => field.value(row.result) !== undefined))) {
    tables.push(rowTable(`${slug}-load`, 'Who was busy: server and load generator during the measured window', rows, busy));
  }
  if (run.capacity !== undefined && Object.keys(run.capacity).length > 0) {
    tables.push({
      id: `${slug}-capacity`,
      caption: 'Request/response capacity (autocannon)',
      columns: [
        { header: 'endpoint', align: 'left' },
        { header: 'requests/s' },
        { header: 'p50 (ms)' },
        { header: 'p99 (ms)' },
        { header: 'errors' },
      ],
      rows: Object.entries(run.capacity).map(([endpoint, c]) => [
        `\`${endpoint}\``,
        formatNumber(c.requestsPerSecond),
        formatNumber(c.latencyMs.p50),
        formatNumber(c.latencyMs.p99),
        c.errors === undefined ? '–' : flagged(c.errors),
      ]),
    });
  }
  const checks = withNetworkChecks ? networkChecksTable(slug, run) : undefined;
  if (checks !== undefined) tables.push(checks);
  if (previous !== undefined && changes.length > 0) {
    tables.push({
      id: `${slug}-change`,
      caption: `Change against the earlier run (${previous.startedAt}, commit \`${previous.environment.commit}\`): before → after (change)`,
      columns: [
        { header: 'row', align: 'left' },
        { header: 'p50 (ms)' },
        { header: 'p99 (ms)' },
        { header: 'bytes per msg (B)' },
        { header: 'server CPU (ms/1k msg)' },
      ],
      rows: changes.map((c) => [
        `\`${c.key}\``,
        changeCell(c, 'p50'),
        changeCell(c, 'p99'),
        changeCell(c, 'bytes per message'),
        changeCell(c, 'server CPU per 1,000 messages'),
      ]),
    });
  }
  return tables;
}

/** One line per reported run: where and when it ran. */
export function environmentTable(runs: readonly RunResult[]): Table {
  return {
    id: 'environment',
    caption: 'Where each reported run was made',
    columns: ['scenario', 'started (UTC)', 'Node', 'CPU', 'cores', 'commit', 'server pinned to a core', 'platform', 'network'].map(
      (header) => ({
        header,
        align: header === 'cores' ? 'right' : 'left',
      }),
    ),
    rows: runs.map(({ scenario, startedAt, environment: e }) => [
      `\`${scenario}\``,
      startedAt,
      e.node,
      e.cpu,
      formatCount(e.cores),
      `\`${e.commit}\``,
      e.pinned ? 'yes' : '**no**',
      e.platform ?? '–',
      e.network ?? 'loopback',
    ]),
  };
}
