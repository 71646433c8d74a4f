/**
 * The CPU time of a process by pid, from Linux's `/proc/<pid>/stat` (utime + stime, fields
 * 14 and 15, in clock ticks): for the processes the harness starts that have no `/metrics`
 * of their own (redis-server, nginx and its workers).
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of `/proc/<pid>/stat`: 100 on every Linux the harness runs on (USER_HZ). */
const ticksPerSecond = 100;

/** CPU time (user + system) of `pid` so far, in ms; undefined where it cannot be read (not Linux, gone). */
export function readCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
    return ((utime + stime) * 1000) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

/** The children of `pid` (Linux), such as nginx's workers under its master. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
