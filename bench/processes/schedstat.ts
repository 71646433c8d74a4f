/**
 * How long a process ran and how long it waited for a CPU, from Linux's
 * `/proc/<pid>/schedstat` (main thread): "time on the cpu" and "time waiting on a runqueue",
 * both in nanoseconds (https://docs.kernel.org/scheduler/sched-stats.html). Waiting time is
 * what other processes on a shared machine took from a pinned process: CPU share alone
 * would call a starved process idle.
 */
import { readFileSync } from 'node:fs';

/** A process's scheduler counters, in nanoseconds since it started. */
export interface Schedstat {
  runNs: number;
  waitNs: number;
}

/** The counters of `pid`, or undefined where `/proc/<pid>/schedstat` does not exist. */
export function readSchedstat(pid: number): Schedstat | undefined {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    if (run === undefined || wait === undefined || !Number.isFinite(run) || !Number.isFinite(wait)) return undefined;
    return { runNs: run, waitNs: wait };
  } catch {
    // Not Linux, or the process is gone: no scheduler figures.
    return undefined;
  }
}

/** The share of `wallNs` that the process spent waiting for a CPU between two reads. */
export function waitShare(before: Schedstat | undefined, after: Schedstat | undefined, wallNs: number): number | undefined {
  if (before === undefined || after === undefined || wallNs <= 0) return undefined;
  return Math.max(0, (after.waitNs - before.waitNs) / wallNs);
}
