/**
 * The publisher on a thread of its own. In the load generator's process it shares an event
 * loop with the subscribers, and at saturation that loop is full of reads: the publisher's
 * timers fire late and its acknowledgements wait, so the run reports "the publisher fell
 * behind" when it was the load generator that did. On its own thread (same core, same
 * clock: `process.hrtime` is the process's) its schedule is kept by the OS, and what is left
 * of its lag is the server's, or a load core so full the OS has little time for the thread.
 * The acknowledged publishes are sent back as they come, in
 * batches; `stopAt` resolves once all of them are in.
 *
 * A server under `--tls` is published to over the run's control client, which lives in this
 * thread: that publisher stays in-process (`startPublisher`).
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { startPublisher, type Published, type Publisher, type PublisherOptions } from './publisher.ts';

/** What the thread tells the run. */
type FromThread =
  | { type: 'started'; startNs: bigint }
  | { type: 'published'; published: Published[]; errors: number }
  | { type: 'stopped'; published: Published[]; errors: number };

/** How often the thread sends the publishes acknowledged since its last batch. */
const forwardEveryMs = 20;

/** Starts a publisher on its own thread (in-process when it needs the run's control client); message 0 is due once it has started. */
export async function startPublisherThread(options: PublisherOptions): Promise<Publisher> {
  if (options.control !== undefined) return startPublisher(options);
  const url = new URL(import.meta.url).href;
  // The thread loads this module through tsx, as the process did (a worker does not inherit its loader).
  const worker = new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(url)}); })`, {
    eval: true,
    workerData: { publisher: options },
  });
  const published: Published[] = [];
  let errors = 0;
  let stopped: (() => void) | undefined;
  let failed: ((error: Error) => void) | undefined;
  /** Why the thread ended before it was stopped, once it has. */
  let dead: Error | undefined;
  const die = (error: Error): void => {
    dead ??= error;
    failed?.(dead);
  };
  const startNs = await new Promise<bigint>((resolve, reject) => {
    failed = reject;
    worker.on('message', (message: FromThread) => {
      if (message.type === 'started') resolve(message.startNs);
      else {
        for (const one of message.published) published.push(one);
        errors = message.errors;
        if (message.type === 'stopped') stopped?.();
      }
    });
    worker.on('error', die);
    worker.on('exit', (code) => die(new Error(`the publisher thread exited with ${code} before it was stopped`)));
  });
  return {
    published,
    get errors() {
      return errors;
    },
    startNs,
    stopAt(endNs) {
      return new Promise<void>((resolve, reject) => {
        if (dead !== undefined) {
          reject(dead);
          return;
        }
        failed = reject;
        stopped = () => {
          failed = undefined;
          dead = new Error('the publisher thread was stopped');
          void worker.terminate().then(() => resolve());
        };
        worker.postMessage({ stopAt: endNs });
      });
    },
  };
}

/** The thread's side: publish, forward what was acknowledged, stop when told. */
function runThread(options: PublisherOptions, port: NonNullable<typeof parentPort>): void {
  const publisher = startPublisher(options);
  let sent = 0;
  const take = (): Published[] => {
    const fresh = publisher.published.slice(sent);
    sent = publisher.published.length;
    return fresh;
  };
  const forward = setInterval(() => {
    if (publisher.published.length > sent) port.postMessage({ type: 'published', published: take(), errors: publisher.errors });
  }, forwardEveryMs);
  port.on('message', (message: { stopAt: bigint }) => {
    void publisher.stopAt(message.stopAt).then(() => {
      clearInterval(forward);
      port.postMessage({ type: 'stopped', published: take(), errors: publisher.errors });
    });
  });
  port.postMessage({ type: 'started', startNs: publisher.startNs });
}

const given = (workerData as { publisher?: PublisherOptions } | null)?.publisher;
if (!isMainThread && parentPort !== null && given !== undefined) runThread(given, parentPort);
