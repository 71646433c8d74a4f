/**
 * `--workers N`: N server processes on one port (`node:cluster`; the primary accepts and
 * hands connections to the workers in turn), all on one shared Redis hub, so any worker can
 * answer any client's next request from its cursor. The primary serves nothing itself: it
 * starts the workers, prints the one `pushlab listening on <url>` line once all of them
 * listen, replaces a worker that dies, and passes SIGINT/SIGTERM on.
 */
import cluster, { type Worker } from 'node:cluster';

/** Replacements the primary makes for dead workers before it gives up (a crash loop). */
const maxRestarts = 10;

interface Listening {
  readonly type: 'pushlab-listening';
  readonly url: string;
}

function isListening(message: unknown): message is Listening {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'pushlab-listening';
}

/** True in a worker of `--workers N`: its primary decides when it stops. */
export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

/** True in the primary of a `--workers N` run (N > 1): it should call `runPrimary` and serve nothing. */
export function isClusterPrimary(workers: number): boolean {
  return workers > 1 && cluster.isPrimary;
}

/**
 * Prints the listening line, or, in a worker, tells the primary (which prints it once for
 * all workers, so the first line stays the one line scripts wait for).
 */
export function announceListening(url: string): void {
  if (cluster.isWorker && process.send !== undefined) process.send({ type: 'pushlab-listening', url } satisfies Listening);
  else console.log(`pushlab listening on ${url}`);
}

/**
 * Runs the primary: forks `workers` processes of this program with the same arguments and
 * resolves with the exit code once they are all gone (after a signal, or when one failed to
 * start: an unreachable Redis fails every worker alike, so the primary exits with it).
 */
export function runPrimary(workers: number, shownHub: string): Promise<number> {
  return new Promise((resolve) => {
    const listening = new Set<Worker>();
    let started = false;
    let stopping = false;
    let restarts = 0;
    let exitCode = 0;

    function fork(): void {
      const worker = cluster.fork();
      worker.on('message', (message: unknown) => {
        if (!isListening(message)) return;
        listening.add(worker);
        if (!started && listening.size === workers) {
          started = true;
          console.log(`pushlab listening on ${message.url}`);
          console.log(`pushlab: ${workers} worker processes on one port, sharing the hub at ${shownHub}`);
        }
      });
    }

    cluster.on('exit', (worker, code, signal) => {
      const wasListening = listening.delete(worker);
      if (!stopping && started && wasListening && restarts < maxRestarts) {
        restarts++;
        console.error(`pushlab: worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
        fork();
        return;
      }
      if (!stopping) {
        // A worker that never listened (bad flags, Redis unreachable) or a crash loop: stop all.
        exitCode = code === 0 ? 1 : code;
        if (started) console.error('pushlab: workers keep dying; stopping');
        stop();
      }
      if (Object.keys(cluster.workers ?? {}).length === 0) resolve(exitCode);
    });

    function stop(): void {
      if (stopping) return;
      stopping = true;
      // SIGTERM for both: workers leave SIGINT (a terminal's Ctrl-C reaches every process of
      // the group) to the primary, so each worker shuts down once, gracefully.
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
      if (Object.keys(cluster.workers ?? {}).length === 0) resolve(exitCode);
    }
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    for (let i = 0; i < workers; i++) fork();
  });
}
