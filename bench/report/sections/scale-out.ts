/**
 * The Scale-out section, for a scenario whose rows ran through nginx on several processes
 * sharing one Redis (`processes` on the row): each technique beside itself on one process
 * with the in-memory hub (`<key>@single`, `<key>@scale-out`) — the latency Redis and the
 * proxy add, CPU per delivery summed over the processes with redis-server's and nginx's own
 * beside it, bytes per message — and, where a process was killed mid-window, what every row
 * (the Socket.IO peer's too) lost, repeated or reordered across the failover.
 */
import type { TechniqueResult } from '../../results/schema.ts';
import { formatCount, formatNumber } from '../format.ts';
import type { Row, Section, Table, Text } from '../types.ts';

const single = /[@,]single$/;
const scaled = /[@,]scale-out$/;

/** The Scale-out section, or undefined when no row ran on several processes. */
export function scaleOutSection(slug: string, rows: readonly Row[]): Section | undefined {
  const scaledRows = rows.filter((row) => row.result.processes !== undefined);
  if (scaledRows.length === 0) return undefined;
  const processes = Math.max(...scaledRows.map((row) => row.result.processes ?? 0));
  const text: Text[] = [
    `These rows ran through nginx (\`deploy/nginx.conf\`: round robin, no sticky sessions) in front of ${processes} server processes sharing one \`redis-server\`. ` +
      'Server CPU and bytes are summed over the processes; bytes are counted at their sockets (between nginx and them), so the proxy’s own headers to the client are not in them; ' +
      'redis-server’s and nginx’s CPU is shown beside. The processes are pinned to the one core a single server has (redis-server and nginx are not pinned): this shows what the topology costs, not what it gains.',
  ];
  const tables: Table[] = [];
  const pairs = scaledRows
    .map((row) => ({
      row,
      base: rows.find((other) => single.test(other.key) && other.key.replace(single, '') === row.key.replace(scaled, '')),
    }))
    .filter((pair): pair is { row: Row; base: Row } => pair.base !== undefined);
  if (pairs.length > 0) {
    const perK = (ms: number | undefined, r: TechniqueResult): string =>
      ms === undefined || r.delivered === 0 ? '–' : formatNumber((ms / r.delivered) * 1000);
    tables.push({
      id: `${slug}-scale-out-compare`,
      caption: `One process on the in-memory hub (1) against ${processes} processes on Redis behind nginx (${processes}): what the topology adds`,
      columns: [
        { header: 'row', align: 'left' },
        { header: 'p50 ms (1)' },
        { header: `p50 ms (${processes})` },
        { header: 'p99 ms (1)' },
        { header: `p99 ms (${processes})` },
        { header: 'server CPU ms/1k (1)' },
        { header: `server CPU ms/1k (${processes}, sum)` },
        { header: 'redis + nginx CPU ms/1k' },
        { header: 'bytes/msg (1)' },
        { header: `bytes/msg (${processes})` },
        { header: `lost/dup/ooo (${processes})` },
      ],
      rows: pairs.map(({ row, base }) => [
        base.name,
        formatNumber(base.result.latencyMs.p50),
        formatNumber(row.result.latencyMs.p50),
        formatNumber(base.result.latencyMs.p99),
        formatNumber(row.result.latencyMs.p99),
        formatNumber(base.result.serverCpuMsPer1kMessages),
        formatNumber(row.result.serverCpuMsPer1kMessages),
        perK(row.result.redisCpuMs === undefined ? undefined : row.result.redisCpuMs + (row.result.nginxCpuMs ?? 0), row.result),
        formatNumber(base.result.bytesPerMessage),
        formatNumber(row.result.bytesPerMessage),
        `${row.result.lost}/${row.result.duplicated}/${row.result.outOfOrder}`,
      ]),
    });
  }
  const failedOver = scaledRows.filter((row) => (row.result.failovers ?? 0) > 0);
  if (failedOver.length > 0) {
    const clean = failedOver.filter((row) => row.result.lost + row.result.duplicated + row.result.outOfOrder === 0);
    text.push(
      `In ${failedOver.length} row${failedOver.length === 1 ? '' : 's'} one process was killed (SIGKILL) mid-window; its clients reconnected through nginx to another. ` +
        `${clean.length} of them lost, repeated and reordered nothing` +
        (clean.length === failedOver.length
          ? '.'
          : `; ${failedOver.length - clean.length} did not: ${failedOver
              .filter((row) => !clean.includes(row))
              .map((row) => row.name)
              .join(', ')}.`),
    );
    tables.push({
      id: `${slug}-scale-out-failover`,
      caption: 'Failover: one of the processes killed mid-window, every row’s deliveries of the window',
      columns: [
        { header: 'row', align: 'left' },
        { header: 'delivered/expected' },
        { header: 'lost' },
        { header: 'duplicated' },
        { header: 'out of order' },
        { header: 'gaps reported' },
        { header: 'p99 ms' },
      ],
      rows: failedOver.map((row) => [
        row.name,
        `${formatCount(row.result.delivered)}/${formatCount(row.result.expected)}`,
        formatCount(row.result.lost),
        formatCount(row.result.duplicated),
        formatCount(row.result.outOfOrder),
        formatCount(row.result.gaps ?? 0),
        formatNumber(row.result.latencyMs.p99),
      ]),
    });
  }
  return { id: `${slug}-scale-out`, title: 'Scale-out on Redis behind nginx', text, charts: [], tables };
}
