/**
 * "How to read this" and "How it was measured", written from the runs' own numbers. The
 * harness's parameter names may vary, so a figure is looked up under its likely names and
 * left out when absent; the parameters table lists every parameter as recorded.
 */
import type { RunResult } from '../../results/schema.ts';
import { logSpread } from '../charts/kit.ts';
import { notableChangePercent } from './findings.ts';
import { formatBytes, formatCount, formatDuration, formatNumber } from '../format.ts';
import type { Row, ScenarioReport, Text } from '../types.ts';

function numberParam(params: RunResult['params'], names: readonly string[]): number | undefined {
  for (const name of names) {
    const value = params[name];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
  }
  return undefined;
}

/** The names the benchmark writes in `params` (bench/scenario/plan.ts); knobs sit under `params.knobs`. */
const names = {
  rate: ['ratePerSecond'],
  duration: ['durationMs'],
  warmup: ['warmupMs'],
  payload: ['payloadBytes'],
  topics: ['topics'],
  interval: ['intervalMs'],
  hold: ['holdMs'],
};

/** `one request per message`, `one request per 12.5 messages`, `1.5 requests per message`. */
export function perRequest(requestsPerMessage: number): string {
  if (requestsPerMessage > 1.05) return `${formatNumber(requestsPerMessage)} requests per message`;
  if (requestsPerMessage >= 0.95) return 'one request per message';
  return `one request per ${formatNumber(1 / requestsPerMessage)} messages`;
}

function range(values: readonly number[], format: (v: number) => string): string {
  const [low, high] = [Math.min(...values), Math.max(...values)];
  return low === high ? format(low) : `${format(low)} to ${format(high)}`;
}

/** What the rows are: `techniques`, or `rows (techniques, settings and networks)` when they vary more than the technique. */
function rowKinds(rows: readonly Row[]): string {
  const kinds = [
    'techniques',
    rows.some((row) => row.result.variant !== undefined) ? 'settings' : '',
    rows.some((row) => row.result.peer !== undefined) ? 'peer servers' : '',
    new Set(rows.map((row) => row.result.network ?? 'loopback')).size > 1 ? 'networks' : '',
  ].filter((kind) => kind !== '');
  if (kinds.length === 1) return 'techniques';
  return `rows (${kinds.slice(0, -1).join(', ')} and ${kinds.at(-1) ?? ''})`;
}

/** What was done to get the numbers of `run`, in a few sentences with its parameters. */
export function explainMeasurement(run: RunResult, rows: readonly Row[]): Text[] {
  const { environment: env } = run;
  const runKnobs = run.params.knobs;
  const params =
    typeof runKnobs === 'object' && runKnobs !== null ? { ...run.params, ...(runKnobs as Record<string, unknown>) } : run.params;
  const lines: Text[] = [];
  const clients = rows.map((row) => row.result.clients);
  const published = rows.map((row) => row.result.published);
  const topics = numberParam(params, names.topics);
  const durationMs = numberParam(params, names.duration);
  const warmupMs = numberParam(params, names.warmup);
  const payloadBytes = numberParam(params, names.payload);
  const rate =
    numberParam(params, names.rate) ??
    (durationMs !== undefined && durationMs > 0 && published[0] !== undefined ? published[0] / (durationMs / 1000) : undefined);
  if (rows.length > 0) {
    lines.push(
      `${formatCount(rows.length)} ${rowKinds(rows)}, ` +
        `each with its own subscribers: ${range(clients, formatCount)} clients each` +
        `${topics === undefined ? '' : ` on ${formatCount(topics)} topic${topics === 1 ? '' : 's'}`}, one connection each.`,
    );
  }
  const publish = [
    rate === undefined ? '' : `at ${formatNumber(rate)} messages/s`,
    payloadBytes === undefined ? '' : `with ${formatBytes(payloadBytes)} payloads`,
    durationMs === undefined ? '' : `for ${formatDuration(durationMs)}`,
    warmupMs === undefined ? '' : `after ${formatDuration(warmupMs)} of warm-up that is not measured`,
  ].filter((s) => s !== '');
  const saturation = run.params.saturation as { rates?: number[]; stepMs?: number } | undefined;
  if (rows.length > 0 && saturation?.rates !== undefined && saturation.rates.length > 0) {
    // The rate was stepped: the scenario's one rate and each row's total would both mislead.
    lines.push(
      `The publisher stepped the rate up from ${range(saturation.rates, (v) => `${formatNumber(v)} messages/s`)}, ` +
        `holding each step for ${formatDuration(saturation.stepMs ?? durationMs ?? 0)}` +
        `${payloadBytes === undefined ? '' : ` with ${formatBytes(payloadBytes)} payloads`}, until a row could not keep up; each message stamped with a monotonic timestamp.`,
    );
  } else if (rows.length > 0) {
    lines.push(
      `The publisher sent ${range(published, formatCount)} messages per row${publish.length > 0 ? ` ${publish.join(', ')}` : ''}, each stamped with a monotonic timestamp.`,
    );
  }
  const interval = numberParam(params, names.interval);
  const hold = numberParam(params, names.hold);
  const knobs = [
    interval === undefined ? '' : `short polling every ${formatDuration(interval)}`,
    hold === undefined ? '' : `long polling and JSONP held up to ${formatDuration(hold)}`,
  ].filter((s) => s !== '');
  const intervals = rows.flatMap((row) => (row.result.variant?.intervalMs === undefined ? [] : [row.result.variant.intervalMs]));
  if (new Set(intervals).size > 1) knobs.push(`short polling swept from every ${range(intervals, formatDuration)}`);
  const payloads = rows.flatMap((row) => (row.result.variant?.payloadBytes === undefined ? [] : [row.result.variant.payloadBytes]));
  if (new Set(payloads).size > 1) knobs.push(`payloads swept from ${range(payloads, formatBytes)}`);
  if (knobs.length > 0) lines.push(`Knobs: ${knobs.join('; ')}.`);
  const networks = new Set(rows.map((row) => row.result.network ?? 'loopback'));
  const [only] = networks;
  if (networks.size === 1 && only !== undefined && only !== 'loopback') {
    lines.push(
      `The subscribers reached the server over an emulated ${only} network: a user-space delay proxy on the load generator’s core held each direction for half the round trip and paced each connection to the profile’s rates.`,
    );
  }
  lines.push(
    'Latency runs from each message’s scheduled publish time to its receipt on the same monotonic clock, so a late publish is charged to the technique ' +
      '(no coordinated omission); every subscriber checks the sequence of ids for loss, duplicates and disorder.',
  );
  lines.push(
    'Requests and bytes are the server’s own counters at the socket (headers and framing included), read from `/metrics` before and after the measured window; ' +
      'CPU is the server process’s, over the same window.',
  );
  lines.push(
    env.pinned
      ? `The server ran as its own process pinned to one core (\`taskset\`), the load generator on the other${env.cores > 2 ? 's' : ''}: ${env.cpu}, ${formatCount(env.cores)} cores.`
      : `The server was **not pinned** to a core (no \`taskset\`): it shared ${env.cpu}'s ${formatCount(env.cores)} cores with the load generator, so its CPU figures include contention.`,
  );
  const budgets = [...new Set(rows.flatMap((row) => (row.result.serverCpuBudget === undefined ? [] : [row.result.serverCpuBudget])))];
  if (budgets.length > 0) {
    const cores = rows.find((row) => row.result.loadCores !== undefined)?.result.loadCores;
    lines.push(
      `Each server had a CPU budget of ${budgets.map((b) => formatNumber(b)).join(' and ')} of its core (a CFS quota), so that the load generator` +
        `${cores === undefined ? '' : `, with ${formatNumber(cores)} cores,`} could out-read it: deliveries/s are what that budget serves, CPU per delivery is measured as ever, and the calibration had a whole core.`,
    );
  }
  lines.push(
    `Node ${env.node}${env.platform === undefined ? '' : ` on ${env.platform}`}, commit \`${env.commit}\`, network: ${env.network ?? 'loopback'}; started ${run.startedAt}.`,
  );
  return lines;
}

/** The first row with deliveries in the report, to give the definitions a real number. */
function example(scenarios: readonly ScenarioReport[]): { scenario: string; row: Row } | undefined {
  for (const s of scenarios) {
    // pushlab's own rows first: a peer's figure would not explain pushlab's.
    const usable = (r: Row): boolean => r.result.delivered > 0 && r.result.latencyMs.p99 > 0;
    const row = s.rows.find((r) => r.result.peer === undefined && usable(r)) ?? s.rows.find(usable);
    if (row !== undefined) return { scenario: s.scenario, row };
  }
  return undefined;
}

/** What each figure means, with an example from the runs. */
export function explainReading(scenarios: readonly ScenarioReport[]): Text[] {
  const e = example(scenarios);
  const r = e?.row.result;
  const where = e === undefined ? '' : `In \`${e.scenario}\`, `;
  return [
    `**Latency** (ms) is the time from a message's scheduled publish to its receipt by a subscriber. p50 is the median; p99 is the time 99 % of messages beat.` +
      (r === undefined || e === undefined
        ? ''
        : ` ${where}${e.row.name}'s p99 of ${formatNumber(r.latencyMs.p99)} ms means 1 message in 100 took longer than that.`),
    `**Requests per message** counts the HTTP requests (or connections) the clients made per delivered message: above 1, clients asked more often than messages came; ` +
      `far below 1, one request carried many messages (a stream, or a poll that collected a batch).` +
      (r === undefined || r.requestsPerMessage <= 0 ? '' : ` ${where}${e?.row.name} made ${perRequest(r.requestsPerMessage)}.`),
    `**Bytes per message** (B) is everything on the wire in both directions, headers, framing and padding included, per delivered message; ` +
      `**payload share** (%) is the part of it that was the message's payload.` +
      (r === undefined
        ? ''
        : ` ${where}${e?.row.name} sent ${formatNumber(r.bytesPerMessage)} B per message, ${formatNumber(r.payloadShare * 100)} % of it payload.`),
    '**Server CPU** (ms per 1,000 messages) is the server process’s CPU time per 1,000 delivered messages; 1,000 ms per second would be one whole core. ' +
      '**Server memory** (B per connection) is resident memory per open connection.',
    '**Lost, duplicated, out of order** should all be 0: each subscriber checks the ids it receives. Anything else, and any row where the load generator rather than ' +
      'the server was the bottleneck, is flagged with ⚠ at the top of this report.',
    `**Change** compares a figure with the earlier run of the same scenario, in %; on a shared machine, changes under ${notableChangePercent} % are often noise.`,
    `Figures are rounded to 3 significant figures. A chart axis switches to a log scale when its values span ${logSpread}× or more, and its label says so.`,
  ];
}
