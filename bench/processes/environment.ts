/** Where a run happened: Node, CPU, cores, commit, whether the two sides were pinned. */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, platform, release } from 'node:os';
import type { RunResult } from '../results/schema.ts';
import { coresAtStart, projectRoot } from './server.ts';

/** The commit of the working tree, with `-dirty` when it has uncommitted changes; `unknown` outside git. */
export function currentCommit(): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: projectRoot, encoding: 'utf8' });
  if (head.status !== 0) return 'unknown';
  const status = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: projectRoot, encoding: 'utf8' });
  return head.stdout.trim() + (status.stdout.trim() === '' ? '' : '-dirty');
}

/** The `environment` of a results file. */
export function describeEnvironment(pinned: boolean): RunResult['environment'] {
  return {
    node: process.version,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: coresAtStart,
    commit: currentCommit(),
    pinned,
    platform: `${platform()} ${release()}`,
    network: 'loopback',
    loadAverage: Number((loadavg()[0] ?? 0).toFixed(2)),
  };
}
