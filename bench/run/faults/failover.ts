/**
 * The failover fault of a scale-out run: `failoverAtMs` into the window, one of the server
 * processes behind nginx is killed (SIGKILL, as a crash). Its clients' connections end; they
 * reconnect through nginx, which passes them to a process still up, and resume from their
 * cursors. The stream lives in Redis, so ids go on without a break and the window's ordinary
 * accounting (each subscriber's id sequence) applies: anything lost, repeated or reordered
 * across the failover is counted as such. The last process is the one killed, so the first
 * one's scheduler figures stay readable.
 */
import type { TechniqueResult } from '../../results/schema.ts';
import { sample } from '../../processes/prometheus.ts';
import type { ScaleOut } from '../../processes/scale-out.ts';
import { waitUntil } from '../wait.ts';

/** What the failover did. */
export interface FailedOver {
  killedNs: bigint;
  /** The index of the killed process among the topology's. */
  victim: number;
  /** Connections the killed process had open (its `/metrics` just before the kill), for the row's label. */
  openOnVictim: number;
}

/** Kills the topology's last process `atMs` after `startNs`. */
export async function failoverAt(topology: ScaleOut, label: string, startNs: bigint, atMs: number): Promise<FailedOver> {
  await waitUntil(startNs + BigInt(atMs) * 1_000_000n, startNs, () => undefined);
  const victim = topology.members.length - 1;
  const member = topology.members[victim];
  let openOnVictim = 0;
  try {
    if (member !== undefined) openOnVictim = sample(await member.metrics(), 'pushlab_open_connections', label);
  } catch {
    // Its /metrics did not answer: the count is unknown, the kill goes ahead.
  }
  await topology.killMember(victim);
  return { killedNs: process.hrtime.bigint(), victim, openOnVictim };
}

/** redis-server's and nginx's CPU so far (ms), read at the window's edges. */
export type SideCpu = ReturnType<ScaleOut['sideCpuMs']>;

/** The scale-out fields of a row, and its notes: processes, the side processes' CPU, the failover. */
export function scaleOutExtras(
  topology: ScaleOut,
  before: SideCpu,
  after: SideCpu,
  failedOver: FailedOver | undefined,
  failoverAtMs: number | undefined,
): { extra: Partial<TechniqueResult>; notes: string[] } {
  const extra: Partial<TechniqueResult> = { processes: topology.members.length };
  const notes: string[] = [
    `${topology.members.length} processes on one redis-server behind nginx (deploy/nginx.conf, round robin): server figures are their sum; bytes are counted at the processes' sockets, between nginx and them`,
  ];
  if (before !== undefined && after !== undefined) {
    extra.redisCpuMs = Math.max(0, Math.round(after.redisMs - before.redisMs));
    extra.nginxCpuMs = Math.max(0, Math.round(after.nginxMs - before.nginxMs));
  }
  if (failedOver !== undefined) {
    extra.failovers = 1;
    notes.push(
      `process ${failedOver.victim + 1} of ${topology.members.length} was killed (SIGKILL) ${failoverAtMs} ms into the window` +
        (failedOver.openOnVictim > 0 ? ` with ${failedOver.openOnVictim} client connections open on it` : '') +
        '; its clients reconnected through nginx to the others; its counters count up to the kill',
    );
  }
  return { extra, notes };
}
