/**
 * A server's CPU budget: a share of one core, enforced by the Linux CFS bandwidth controller
 * (the quota `docker run --cpus` sets) on a control group of the server's own. On a machine
 * with two cores the load generator cannot out-read a server that has a whole core (reading a
 * socket costs about what writing it does), so a saturation run gives the server less than
 * the load has: its ceiling is then the server's, at a known budget, with the CPU per delivery
 * measured as ever.
 *
 * cgroup v1 (`/sys/fs/cgroup/cpu`, `cpu.cfs_quota_us`) and v2 (`cpu.max` beside this process's
 * own group) are both handled; writing either needs root. The period is 10 ms: short enough
 * that a throttled server is a slower CPU, not one that stops for tens of milliseconds.
 * https://docs.kernel.org/scheduler/sched-bwc.html
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The CFS period of a budget, in microseconds. */
export const budgetPeriodUs = 10_000;

/** Where budgets can be made here, or why not. */
export type BudgetSupport = { ok: true; version: 1 | 2; parent: string } | { ok: false; why: string };

/** A server process's budget, applied. */
export interface CpuBudget {
  /** The share of one core the process may use (0–1). */
  readonly share: number;
  /** The group's directory. */
  readonly path: string;
  /** Nanoseconds the group spent throttled (it wanted more than its budget), since it was made. */
  throttledNs(): number;
  /** Removes the group once the process has left it (it leaves a moment after its exit); never rejects. */
  release(): Promise<void>;
}

function writable(dir: string): boolean {
  try {
    const probe = join(dir, `pushlab-probe-${process.pid}`);
    mkdirSync(probe);
    rmdirSync(probe);
    return true;
  } catch {
    return false;
  }
}

/** This process's cgroup v2 directory, from `/proc/self/cgroup` (`0::/path`). */
function ownV2Group(root: string): string | undefined {
  try {
    const line = readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('0::'));
    return line === undefined ? undefined : join(root, line.slice(3).trim());
  } catch {
    return undefined;
  }
}

/** Whether a budget can be made here, and where. */
export function budgetSupport(): BudgetSupport {
  if (process.platform !== 'linux') return { ok: false, why: 'CPU budgets need Linux cgroups' };
  const v1 = '/sys/fs/cgroup/cpu';
  if (existsSync(join(v1, 'cpu.cfs_quota_us'))) {
    return writable(v1) ? { ok: true, version: 1, parent: v1 } : { ok: false, why: `${v1} is not writable (run as root)` };
  }
  const own = ownV2Group('/sys/fs/cgroup');
  if (own !== undefined && existsSync(join(own, 'cgroup.controllers'))) {
    const controllers = readFileSync(join(own, 'cgroup.subtree_control'), 'utf8');
    if (!controllers.split(/\s+/).includes('cpu')) {
      try {
        writeFileSync(join(own, 'cgroup.subtree_control'), '+cpu');
      } catch {
        return { ok: false, why: `the cpu controller is not enabled under ${own} and cannot be` };
      }
    }
    return writable(own) ? { ok: true, version: 2, parent: own } : { ok: false, why: `${own} is not writable (run as root)` };
  }
  return { ok: false, why: 'no cgroup cpu controller is mounted' };
}

let made = 0;

/**
 * Puts process `pid` (every thread of it) in a new group limited to `share` of one core.
 * Throws, saying why, where budgets cannot be made.
 */
export function limitCpu(pid: number, share: number): CpuBudget {
  if (!(share > 0 && share <= 1)) throw new RangeError(`a CPU budget is a share of one core, above 0 and at most 1 (got ${share})`);
  const support = budgetSupport();
  if (!support.ok) throw new Error(`cannot give the server a CPU budget: ${support.why}`);
  sweepStale(support.parent);
  const path = join(support.parent, `pushlab-${process.pid}-${++made}`);
  mkdirSync(path);
  const quotaUs = Math.max(1000, Math.round(share * budgetPeriodUs));
  try {
    if (support.version === 1) {
      writeFileSync(join(path, 'cpu.cfs_period_us'), String(budgetPeriodUs));
      writeFileSync(join(path, 'cpu.cfs_quota_us'), String(quotaUs));
    } else {
      writeFileSync(join(path, 'cpu.max'), `${quotaUs} ${budgetPeriodUs}`);
    }
    writeFileSync(join(path, 'cgroup.procs'), String(pid));
  } catch (error) {
    rmdirSafe(path);
    throw error;
  }
  return {
    share: quotaUs / budgetPeriodUs,
    path,
    throttledNs() {
      try {
        const stat = readFileSync(join(path, 'cpu.stat'), 'utf8');
        // v1 counts nanoseconds (`throttled_time`), v2 microseconds (`throttled_usec`).
        const v1 = /^throttled_time (\d+)$/m.exec(stat);
        if (v1 !== null) return Number(v1[1]);
        const v2 = /^throttled_usec (\d+)$/m.exec(stat);
        return v2 === null ? 0 : Number(v2[1]) * 1000;
      } catch {
        return 0;
      }
    },
    async release() {
      // The exited process leaves the group a moment after its exit event: retry for up to 2 s.
      for (let tries = 0; tries < 40 && !rmdirSafe(path); tries++) await new Promise((done) => setTimeout(done, 50));
    },
  };
}

/** Removes `path`; whether it is gone. */
function rmdirSafe(path: string): boolean {
  try {
    rmdirSync(path);
    return true;
  } catch (error) {
    // ENOENT: already gone. EBUSY: a process is still in it.
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** Removes the empty groups of harness processes that no longer run (one killed before it could). */
function sweepStale(parent: string): void {
  for (const name of readdirSync(parent)) {
    const owner = /^pushlab-(\d+)-\d+$/.exec(name)?.[1];
    if (owner === undefined || Number(owner) === process.pid) continue;
    try {
      process.kill(Number(owner), 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') rmdirSafe(join(parent, name));
    }
  }
}
