/**
 * Shows the runner's progress on stderr (stdout stays clean for `--json`): a `cli-progress`
 * bar per phase on a terminal, plain lines otherwise (CI logs, pipes, tests).
 */
import cliProgress from 'cli-progress';
import type { TechniqueResult } from './schema.ts';
import type { ProgressEvent } from '../run/events.ts';

/** A progress sink for `RunOptions.onProgress`. */
export type ProgressSink = (event: ProgressEvent) => void;

/** One line per finished run: what arrived, how fast, what limited it, and a saturation's ceiling. */
function runEndLine(run: string, result: TechniqueResult): string {
  const line = `${run}: ${result.delivered}/${result.expected} delivered, p50 ${result.latencyMs.p50} ms, bottleneck ${result.bottleneck}`;
  const saturation = result.saturation;
  if (saturation === undefined) return line;
  return `${line}; sustained ${saturation.ceilingAbove ? '≥ ' : ''}${saturation.sustainedRatePerSecond} msg/s (${Math.round(saturation.sustainedDeliveredPerSecond)} deliveries/s)`;
}

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
        stream.write(`${runEndLine(event.run, event.result)}\n`);
        break;
      case 'run-failed':
        stream.write(`${event.run}: FAILED, not measured: ${event.error}\n`);
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
        stream.write(`${runEndLine(event.run, event.result)}\n`);
        break;
      case 'run-failed':
        stream.write(`${event.run}: FAILED, not measured: ${event.error}\n`);
        break;
    }
  };
}
