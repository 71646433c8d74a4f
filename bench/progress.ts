/**
 * Shows the runner's progress on stderr (stdout stays clean for `--json`): a `cli-progress`
 * bar per phase on a terminal, plain lines otherwise (CI logs, pipes, tests).
 */
import cliProgress from 'cli-progress';
import type { ProgressEvent } from './runner.ts';

/** A progress sink for `RunOptions.onProgress`. */
export type ProgressSink = (event: ProgressEvent) => void;

/** Bars when `stream` is a TTY, lines when it is not. */
export function createProgress(stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  return stream.isTTY ? createBars(stream) : createLines(stream);
}

function createBars(stream: NodeJS.WriteStream): ProgressSink {
  let bar: cliProgress.SingleBar | undefined;
  return (event) => {
    switch (event.type) {
      case 'scenario':
        stream.write(`scenario ${event.scenario}: ${event.runs} run(s)\n`);
        break;
      case 'phase':
        bar = new cliProgress.SingleBar(
          { stream, format: `{run} {phase} [{bar}] {value}/{total} {unit}`, hideCursor: true, clearOnComplete: false },
          cliProgress.Presets.shades_classic,
        );
        bar.start(event.total, 0, { run: event.run.padEnd(20), phase: event.phase.padEnd(8), unit: event.unit });
        break;
      case 'update':
        bar?.update(Math.round(event.value));
        break;
      case 'phase-end':
        bar?.stop();
        bar = undefined;
        break;
      case 'run-end':
        stream.write(`${event.run}: ${event.result.delivered}/${event.result.expected} delivered, p50 ${event.result.latencyMs.p50} ms, bottleneck ${event.result.bottleneck}\n`);
        break;
    }
  };
}

function createLines(stream: NodeJS.WriteStream): ProgressSink {
  let current: { run: string; phase: string; started: number } | undefined;
  return (event) => {
    switch (event.type) {
      case 'scenario':
        stream.write(`scenario ${event.scenario}: ${event.runs} run(s)\n`);
        break;
      case 'phase':
        current = { run: event.run, phase: event.phase, started: Date.now() };
        stream.write(`${event.run} ${event.phase}: ${event.total} ${event.unit} ...\n`);
        break;
      case 'update':
        break;
      case 'phase-end':
        if (current !== undefined) stream.write(`${current.run} ${current.phase}: done in ${Date.now() - current.started} ms\n`);
        current = undefined;
        break;
      case 'run-end':
        stream.write(`${event.run}: ${event.result.delivered}/${event.result.expected} delivered, p50 ${event.result.latencyMs.p50} ms, bottleneck ${event.result.bottleneck}\n`);
        break;
    }
  };
}
