/**
 * The printer: renders a results document as a plain-text summary (the CLI prints it). It
 * returns a string and never prints, so it is tested against a stored result.
 */
import { formatChecks } from '../network/check-table.ts';
import { formatBytes } from './format.ts';
import { failureAbove, type RunResult, type TechniqueResult } from './schema.ts';
import { renderThresholds, type ThresholdVerdict } from './thresholds.ts';

/** The width the default summary fits, as autocannon's table does; `wide` prints every column. */
export const summaryColumns = 100;

/** Options of `renderSummary`. */
export interface SummaryOptions {
  /** Every column, in two tables, however wide; default false (one table that fits `summaryColumns`). */
  wide?: boolean;
  /** The run's thresholds, judged; listed each as passed or failed. Default none listed. */
  thresholds?: readonly ThresholdVerdict[];
}

/** Wraps prose at `width`, continuation lines indented by `indent` spaces. */
export function wrapText(text: string, width = summaryColumns, indent = 2): string {
  if (text.length <= width) return text;
  const lead = /^ */.exec(text)?.[0] ?? '';
  const lines: string[] = [];
  let line = '';
  for (const word of text.slice(lead.length).split(' ')) {
    const prefix = lines.length === 0 ? lead : ' '.repeat(indent);
    if (line !== '' && prefix.length + line.length + 1 + word.length > width) {
      lines.push(prefix + line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  lines.push((lines.length === 0 ? lead : ' '.repeat(indent)) + line);
  return lines.join('\n');
}

/** Cuts a table line to `width`, marking the cut with `…`. */
function fitLine(line: string, width = summaryColumns): string {
  return line.length <= width ? line : `${line.slice(0, width - 1)}…`;
}

/** Lays out `rows` under `headers`: the first column left-aligned, the others right-aligned. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

/** Milliseconds with a precision that suits their size. */
export function formatMs(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** autocannon's latencies are whole milliseconds; 0 means under one. */
const wholeMs = (value: number): string => (value < 1 ? '<1' : String(Math.round(value)));

const percent = (share: number): string => `${(share * 100).toFixed(0)}%`;

/** Delivery and latency: did every message arrive, and how late. */
function deliveryRow(key: string, r: TechniqueResult): string[] {
  return [
    key,
    `${r.delivered}/${r.expected}`,
    String(r.lost),
    String(r.duplicated),
    String(r.outOfOrder),
    formatMs(r.latencyMs.p50),
    formatMs(r.latencyMs.p90),
    formatMs(r.latencyMs.p99),
    formatMs(r.latencyMs.max),
    r.publishLagMs === undefined ? '-' : formatMs(r.publishLagMs.p50),
  ];
}

const deliveryHeaders = ['run', 'delivered/expected', 'lost', 'dup', 'ooo', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'pub lag p50 ms'];

const share = (value: number | undefined): string => (value === undefined ? '-' : percent(value));

/** Cost and sides: what each message cost on the wire and on the server, and who was busy. */
function costRow(key: string, r: TechniqueResult): string[] {
  return [
    key,
    r.requestsPerMessage.toFixed(3),
    formatBytes(r.bytesPerMessage),
    percent(r.payloadShare),
    r.serverCpuMsPer1kMessages.toFixed(1),
    formatBytes(r.serverRssBytesPerConnection),
    share(r.serverCpuShare),
    share(r.serverWaitShare),
    share(r.loadCpuShare),
    share(r.loadWaitShare),
    share(r.loadElu),
    r.bottleneck ?? '-',
  ];
}

const costHeaders = [
  'run',
  'req/msg',
  'bytes/msg',
  'payload',
  'srv cpu ms/1k',
  'srv RSS/conn',
  'srv cpu',
  'srv wait',
  'load cpu',
  'load wait',
  'load ELU',
  'bottleneck',
];

/** The narrow table: what a reader needs of each row in one line of at most `summaryColumns`. */
function narrowRow(key: string, r: TechniqueResult): string[] {
  return [
    key,
    `${r.lost}/${r.duplicated}`,
    formatMs(r.latencyMs.p50),
    formatMs(r.latencyMs.p99),
    formatBytes(r.bytesPerMessage),
    r.requestsPerMessage.toFixed(2),
    r.serverCpuMsPer1kMessages.toFixed(0),
    formatBytes(r.serverRssBytesPerConnection),
    r.bottleneck ?? '-',
  ];
}

const narrowHeaders = ['run', 'lost/dup', 'p50 ms', 'p99 ms', 'bytes/msg', 'req/msg', 'cpu/1k', 'RSS/conn', 'limit'];

/** The first column cut so every line of the table fits `summaryColumns`. */
function narrowTable(rows: readonly (readonly string[])[]): string {
  const others = narrowHeaders.slice(1).map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i + 1] ?? '').length)));
  const room = summaryColumns - others.reduce((sum, width) => sum + width + 2, 0);
  const cut = (key: string): string => (key.length <= room ? key : `${key.slice(0, Math.max(3, room - 1))}…`);
  return renderTable(
    narrowHeaders,
    rows.map(([key = '', ...rest]) => [cut(key), ...rest]),
  );
}

/** One sentence per row on which side limited it, or one saying neither did. */
export function describeBottlenecks(result: RunResult): string[] {
  const rows = Object.entries(result.techniques);
  const limited = rows.filter(([, r]) => r.bottleneck === 'server' || r.bottleneck === 'load');
  if (limited.length === 0) {
    return [
      'Bottleneck: none. Neither the server nor the load generator was saturated in any run, so the figures describe the techniques.',
    ];
  }
  return limited.map(([key, r]) =>
    r.bottleneck === 'load'
      ? `Bottleneck in ${key}: the LOAD GENERATOR was saturated (CPU ${percent(r.loadCpuShare ?? 0)}` +
        `${r.loadWaitShare === undefined ? '' : `, waiting for its core ${percent(r.loadWaitShare)}`}, event loop ${percent(r.loadElu ?? 0)}); ` +
        'its latency and throughput measure the clients, not the server.'
      : `Bottleneck in ${key}: the SERVER was saturated (CPU ${percent(r.serverCpuShare ?? 0)} of its core` +
        `${r.serverWaitShare === undefined ? '' : `, waiting for it ${percent(r.serverWaitShare)}`}); its figures show the server at its limit.`,
  );
}

/**
 * The whole summary: scenario line, environment, the table (by default one that fits 100
 * columns; `wide` for every column), bottlenecks, notes, capacity, thresholds.
 */
export function renderSummary(result: RunResult, options: SummaryOptions = {}): string {
  const wide = options.wide ?? false;
  const p = result.params as {
    clients?: number;
    topics?: number;
    ratePerSecond?: number;
    payloadBytes?: number;
    durationMs?: number;
    warmupMs?: number;
  };
  const env = result.environment;
  const rows = Object.entries(result.techniques);
  const tables = wide
    ? [
        renderTable(
          deliveryHeaders,
          rows.map(([key, r]) => deliveryRow(key, r)),
        ),
        '',
        renderTable(
          costHeaders,
          rows.map(([key, r]) => costRow(key, r)),
        ),
        '(wait: share of the window the process waited for its core while others used it; ELU: event-loop utilisation)',
      ]
    : [
        narrowTable(rows.map(([key, r]) => narrowRow(key, r))),
        '(lost/dup: messages lost / duplicated; cpu/1k: server CPU ms per 1,000 deliveries; limit: the saturated side; --wide for all)',
      ];
  const out: string[] = [
    `${result.scenario}: ${p.clients} clients, ${p.topics} topic(s), ${p.ratePerSecond} msg/s, ${p.payloadBytes} B payload, ` +
      `${p.durationMs} ms measured after ${p.warmupMs} ms warm-up (started ${result.startedAt})`,
    `node ${env.node}, ${env.cpu}, ${env.cores} cores, commit ${env.commit}, ${env.pinned ? 'server and load pinned to their own cores' : 'NOT pinned (server and load share cores)'}` +
      (env.loadAverage === undefined ? '' : `, load average ${env.loadAverage} at start`),
    '',
    ...tables,
    '',
    ...describeBottlenecks(result),
  ];
  const saturated = Object.entries(result.techniques).filter(([, r]) => r.saturation !== undefined);
  if (saturated.length > 0) {
    out.push(
      '',
      'Saturation (the rate each row sustained on the same subscribers, and why the next step failed):',
      renderTable(
        ['run', 'sustained msg/s', 'deliveries/s', 'steps', wide ? 'next step' : 'failed at msg/s'],
        saturated.map(([key, r]) => {
          const s = r.saturation as NonNullable<typeof r.saturation>;
          const failed = failureAbove(s);
          const next = wide ? `${failed?.ratePerSecond}: ${failed?.reason}` : String(failed?.ratePerSecond);
          return [
            key,
            `${s.ceilingAbove ? '≥ ' : ''}${s.sustainedRatePerSecond}`,
            String(Math.round(s.sustainedDeliveredPerSecond)),
            String(s.steps.length),
            s.ceilingAbove ? '(none failed)' : next,
          ];
        }),
      ),
    );
  }
  if (result.networks !== undefined) {
    out.push(
      '',
      'Network emulation (user-space delay proxy on the load core), checked before the runs:',
      formatChecks(Object.values(result.networks)),
    );
  }
  if (result.failed !== undefined) {
    out.push(
      '',
      'NOT MEASURED (the row failed; the others ran):',
      ...Object.entries(result.failed).map(([key, error]) => `  - ${key}: ${error}`),
    );
  }
  const notes = Object.entries(result.techniques).flatMap(([key, r]) => (r.notes ?? []).map((note) => `${key}: ${note}`));
  if (notes.length > 0) out.push('', 'Notes:', ...notes.map((note) => `  - ${note}`));
  if (result.capacity !== undefined) {
    out.push(
      '',
      'Request/response capacity (autocannon from the load process, 10 connections, fresh server; each poll answered at once with one message):',
      renderTable(
        ['endpoint', 'req/s', 'p50 ms', 'p99 ms', 'errors'],
        Object.entries(result.capacity).map(([name, c]) => [
          name,
          String(c.requestsPerSecond),
          wholeMs(c.latencyMs.p50),
          wholeMs(c.latencyMs.p99),
          String(c.errors ?? 0),
        ]),
      ),
    );
  }
  if (options.thresholds !== undefined && options.thresholds.length > 0) out.push('', renderThresholds(options.thresholds));
  if (wide) return `${out.join('\n')}\n`;
  // Prose wraps; a table line (cells apart by two spaces) is cut; a list item wraps under its text.
  const fitted = out
    .flatMap((block) => block.split('\n'))
    .map((line) => {
      if (line.length <= summaryColumns) return line;
      if (/^ {2}[-✓✗] /.test(line)) return wrapText(line, summaryColumns, 4);
      return /\S {2,}\S/.test(line) ? fitLine(line) : wrapText(line);
    });
  return `${fitted.join('\n')}\n`;
}
