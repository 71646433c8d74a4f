/**
 * A server started with a CPU budget runs in a control group of its own whose CFS quota is
 * that share of one core; the quota bites when the server is kept busy (the group is
 * throttled); the group goes when the server does. Where budgets cannot be made (no root, no
 * cgroups) it is skipped, except in CI, which must be able to run the saturation scenario.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { budgetPeriodUs, budgetSupport, limitCpu } from '../../../bench/processes/cpu-budget.ts';
import { startServerProcess, type ServerProcess } from '../../../bench/processes/server.ts';
import { startPeerProcess } from '../../../bench/peers/process.ts';

const support = budgetSupport();
const quotaOf = (path: string): { quotaUs: number; periodUs: number } => {
  if (existsSync(join(path, 'cpu.max'))) {
    const [quota, period] = readFileSync(join(path, 'cpu.max'), 'utf8').trim().split(' ');
    return { quotaUs: Number(quota), periodUs: Number(period) };
  }
  return {
    quotaUs: Number(readFileSync(join(path, 'cpu.cfs_quota_us'), 'utf8')),
    periodUs: Number(readFileSync(join(path, 'cpu.cfs_period_us'), 'utf8')),
  };
};

describe.skipIf(!support.ok && process.env.CI !== 'true')('a server CPU budget', () => {
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('puts the server in a group of its own at that share of one core, throttles it when busy, and removes the group after it', async () => {
    server = await startServerProcess({ cpuShare: 0.1 });
    const budget = server.cpuBudget;
    expect(budget?.share).toBe(0.1);
    const path = budget?.path ?? '';
    expect(readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n')).toContain(String(server.pid));
    expect(quotaOf(path)).toEqual({ quotaUs: budgetPeriodUs / 10, periodUs: budgetPeriodUs });
    // Keep it busy well past a tenth of a core for a while: the group must have been throttled.
    const until = Date.now() + 1500;
    const url = server.url;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (Date.now() < until) await (await fetch(`${url}/metrics`)).text();
      }),
    );
    expect(budget?.throttledNs()).toBeGreaterThan(0);
    await server.stop();
    server = undefined;
    expect(existsSync(path)).toBe(false);
  });

  it('applies to a peer server too, and not at all at a whole core', async () => {
    server = await startPeerProcess('baseline', { cpuShare: 0.5 });
    expect(quotaOf(server.cpuBudget?.path ?? '').quotaUs).toBe(budgetPeriodUs / 2);
    await server.stop();
    server = await startServerProcess({ cpuShare: 1 });
    expect(server.cpuBudget).toBeUndefined();
  });

  it('refuses a share that is no share of one core', () => {
    expect(() => limitCpu(process.pid, 0)).toThrow(/above 0 and at most 1/);
    expect(() => limitCpu(process.pid, 1.5)).toThrow(/above 0 and at most 1/);
  });
});
