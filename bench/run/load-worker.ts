/**
 * One load process of `--load-workers`: opens its share of a run's subscribers
 * (`openSubscribers`, fast path and all) and reports their state to the main process over
 * IPC every 50 ms: each subscriber's sequence state and the encoded latency histogram
 * (`histograms.ts`), which the main process merges. Started by `load-workers.ts`.
 */
import { performance } from 'node:perf_hooks';
import { encodeHistogram } from './histograms.ts';
import { readSchedstat } from '../processes/schedstat.ts';
import { openSubscribers, type LoadProcessCounters, type SubscriberOptions, type Subscribers } from './subscribers.ts';
import type { WorkerReport, WorkerRequest } from './load-workers.ts';

let subs: Subscribers | undefined;
let timer: NodeJS.Timeout | undefined;

function send(message: WorkerReport): void {
  process.send?.(message);
}

/** This process's CPU and scheduler counters: the main process sums the load side from them. */
function counters(): LoadProcessCounters {
  const cpu = process.cpuUsage();
  const elu = performance.eventLoopUtilization();
  const sched = readSchedstat(process.pid);
  return {
    pid: process.pid,
    atNs: String(process.hrtime.bigint()),
    cpuMicros: cpu.user + cpu.system,
    eluActiveMs: elu.active,
    eluIdleMs: elu.idle,
    ...(sched === undefined ? {} : { waitNs: sched.waitNs }),
  };
}

function report(): void {
  if (subs === undefined) return;
  send({
    counters: counters(),
    type: 'state',
    subscribers: subs.list.map((s) => s.checker.state()),
    histogram: encodeHistogram(subs.histogram),
    gaps: subs.gaps,
    errors: subs.errors,
    foreign: subs.foreign,
    corrupt: subs.corrupt,
    corruptReasons: [...subs.corruptReasons],
    drops: subs.drops,
  });
}

process.on('message', (message: WorkerRequest) => {
  switch (message.type) {
    case 'open':
      void openSubscribers(message.options as SubscriberOptions, (ready) => send({ type: 'ready', ready })).then(
        (opened) => {
          subs = opened;
          report();
          timer = setInterval(report, 50);
          send({ type: 'opened' });
        },
        (error: unknown) => send({ type: 'failed', error: error instanceof Error ? error.message : String(error) }),
      );
      return;
    case 'measure':
      subs?.histogram.reset();
      subs?.measure({ startNs: BigInt(message.startNs), endNs: BigInt(message.endNs) });
      report();
      return;
    case 'close':
      if (timer !== undefined) clearInterval(timer);
      subs?.close();
      process.disconnect?.();
      setTimeout(() => process.exit(0), 200).unref();
      return;
  }
});
send({ type: 'started' });
