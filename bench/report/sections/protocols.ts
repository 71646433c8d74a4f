/**
 * The Protocols section, for a scenario whose rows name their protocol (`h1`, `h1-tls`, `h2`):
 * per technique under each protocol, requests and bytes per message, latency and server CPU
 * per delivery; what TLS costs (ciphertext at the socket against the HTTP/1.1 bytes or HTTP/2
 * frames it carries); and, for a tabs run, how many of K tabs of one browser stayed live.
 */
import type { TechniqueResult } from '../../results/schema.ts';
import { formatCount, formatNumber, protocolName, techniqueName, techniqueOrder } from '../format.ts';
import type { Row, Section, Table, Text } from '../types.ts';

const protocolOrder = ['h1', 'h1-tls', 'h2'];

/** Rows with a protocol, tabs rows apart; in technique, then protocol order. */
function byTechnique(rows: readonly Row[]): Row[] {
  const rank = (row: Row): number =>
    (techniqueOrder as readonly string[]).indexOf(row.result.technique) * 10 + protocolOrder.indexOf(row.result.protocol ?? 'h1');
  return rows.filter((row) => row.result.protocol !== undefined && row.result.peer === undefined).sort((a, b) => rank(a) - rank(b));
}

const bytes = (value: number | undefined): string => (value === undefined ? '–' : formatNumber(value));

function costTable(slug: string, rows: readonly Row[]): Table {
  return {
    id: `${slug}-protocols-cost`,
    caption:
      'Per delivered message under each protocol: requests, bytes at the server (HTTP/1.1 bytes, or HTTP/2 frames), latency and server CPU',
    columns: [
      { header: 'row', align: 'left' },
      { header: 'requests/msg' },
      { header: 'bytes out/msg' },
      { header: 'bytes in/msg' },
      { header: 'p50 (ms)' },
      { header: 'p99 (ms)' },
      { header: 'server CPU ms per 1,000 deliveries' },
    ],
    rows: rows.map(({ name, result: r }) => [
      name,
      formatNumber(r.requestsPerMessage),
      bytes(r.bytesOutPerMessage),
      bytes(r.bytesInPerMessage),
      formatNumber(r.latencyMs.p50),
      formatNumber(r.latencyMs.p99),
      formatNumber(r.serverCpuMsPer1kMessages),
    ]),
  };
}

function tlsTable(slug: string, rows: readonly Row[]): Table {
  return {
    id: `${slug}-protocols-tls`,
    caption:
      'What TLS costs per delivered message: ciphertext at the TCP socket (records and handshakes included) against the HTTP bytes or HTTP/2 frames it carried',
    columns: [
      { header: 'row', align: 'left' },
      { header: 'HTTP bytes out/msg' },
      { header: 'TLS bytes out/msg' },
      { header: 'TLS adds out' },
      { header: 'HTTP bytes in/msg' },
      { header: 'TLS bytes in/msg' },
    ],
    rows: rows
      .filter((row) => row.result.tlsBytesOutPerMessage !== undefined)
      .map(({ name, result: r }) => [
        name,
        bytes(r.bytesOutPerMessage),
        bytes(r.tlsBytesOutPerMessage),
        r.bytesOutPerMessage === undefined || r.tlsBytesOutPerMessage === undefined
          ? '–'
          : `${formatNumber(r.tlsBytesOutPerMessage - r.bytesOutPerMessage)} B`,
        bytes(r.bytesInPerMessage),
        bytes(r.tlsBytesInPerMessage),
      ]),
  };
}

/** One line per technique and protocol: for each K, live tabs of K (and the browser's connections). */
function tabsTable(slug: string, rows: readonly Row[]): Table {
  const counts = [...new Set(rows.map((row) => row.result.tabs ?? 0))].sort((a, b) => a - b);
  const lines = new Map<string, Map<number, TechniqueResult>>();
  for (const row of rows) {
    const line = `${techniqueName(row.result.technique)} (${protocolName(row.result.protocol ?? 'h1')})`;
    const cells = lines.get(line) ?? new Map<number, TechniqueResult>();
    cells.set(row.result.tabs ?? 0, row.result);
    lines.set(line, cells);
  }
  return {
    id: `${slug}-protocols-tabs`,
    caption: 'K tabs of one simulated browser: tabs that got the window’s messages, of K (and the connections the browser opened)',
    columns: [{ header: 'tabs', align: 'left' }, ...counts.map((count) => ({ header: formatCount(count) }))],
    rows: [...lines].map(([line, cells]) => [
      line,
      ...counts.map((count) => {
        const r = cells.get(count);
        if (r === undefined) return '–';
        const live = r.tabsLive === r.tabs ? 'all' : formatCount(r.tabsLive ?? 0);
        return `${live} (${formatCount(r.browserConnections ?? 0)})`;
      }),
    ]),
  };
}

/** What the figures say: bytes per message of HTTP/2 against HTTP/1.1, and where the tabs stalled. */
function findings(rows: readonly Row[], tabRows: readonly Row[]): Text[] {
  const text: Text[] = [];
  for (const technique of techniqueOrder) {
    const of = (protocol: string): TechniqueResult | undefined =>
      rows.find((row) => row.result.technique === technique && row.result.protocol === protocol)?.result;
    const h1 = of('h1-tls') ?? of('h1');
    const h2 = of('h2');
    if (h1 === undefined || h2 === undefined || h1.bytesPerMessage === 0) continue;
    const ratio = h2.bytesPerMessage / h1.bytesPerMessage;
    text.push(
      `${techniqueName(technique)}: **${formatNumber(h2.bytesPerMessage)} B** per message over HTTP/2 against ${formatNumber(h1.bytesPerMessage)} B over ${protocolName(h1.protocol ?? 'h1')} (${formatNumber(ratio * 100)} %).`,
    );
  }
  const stalls = new Map<string, number>();
  for (const row of tabRows) {
    const r = row.result;
    if (r.tabs === undefined || r.tabsLive === undefined || r.tabsLive >= r.tabs) continue;
    const line = `${techniqueName(r.technique)} over ${protocolName(r.protocol ?? 'h1')}`;
    stalls.set(line, Math.min(stalls.get(line) ?? Infinity, r.tabs));
  }
  for (const [line, from] of stalls)
    text.push(`${line} stalled from **${formatCount(from)} tabs**: a tab beyond the browser's connections got nothing.`);
  if (tabRows.length > 0 && stalls.size === 0) text.push('No tab stalled at any K.');
  return text;
}

/** The Protocols section of a scenario's rows, or undefined when no row names a protocol. */
export function protocolSection(slug: string, rows: readonly Row[]): Section | undefined {
  const named = byTechnique(rows);
  if (named.length === 0) return undefined;
  const tabRows = named.filter((row) => row.result.tabs !== undefined);
  const plain = named.filter((row) => row.result.tabs === undefined);
  const tables: Table[] = [];
  if (plain.length > 0) {
    tables.push(costTable(slug, plain));
    const tls = tlsTable(slug, plain);
    if (tls.rows.length > 0) tables.push(tls);
  }
  if (tabRows.length > 0) tables.push(tabsTable(slug, tabRows));
  return {
    id: `${slug}-protocols`,
    title: 'Protocols: HTTP/1.1, TLS and HTTP/2',
    text: [
      'Each row’s subscribers spoke one protocol; the server ran with `--tls` for `h1-tls` and `h2`, and the harness published and read `/metrics` over the other TLS protocol, so the TLS bytes are the subscribers’ own. WebSocket is an HTTP/1.1 upgrade under HTTP/2 too (`wss:`).',
      ...findings(plain, tabRows),
    ],
    charts: [],
    tables,
  };
}
