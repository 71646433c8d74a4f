/**
 * The first screen: what was run in one line, the verdict table of the six techniques from the
 * headline scenarios, and at most five findings, each linked to the scenario that shows it.
 * Winners are named only when the gap exceeds the noise (`noise.ts`).
 */
import { techniqueIds, type TechniqueId } from '../../../registry/techniques.ts';
import type { SaturationStep, TechniqueResult } from '../../results/schema.ts';
import { formatBytes, formatCount, formatNumber, formatRatio, networkOf, techniqueName } from '../format.ts';
import { coreRows } from '../rows.ts';
import type { Row, ScenarioReport, Table, Text } from '../types.ts';
import { leaders, singleRunNoiseShare, type Measured } from './noise.ts';

/** Fewer subscribers than this and RSS per connection is process noise (pages, GC), not the connection's cost. */
export const memoryMinClients = 100;

/** Scenarios whose rows the verdict reads latency, bytes, requests and CPU from, the first present. */
const headlineScenarios = ['ticker', 'chat', 'smoke'];

/** The scenario each verdict column came from, and each technique's row there. */
interface Source {
  scenario: ScenarioReport;
  rows: Map<TechniqueId, Row>;
}

function source(s: ScenarioReport | undefined): Source | undefined {
  if (s === undefined) return undefined;
  const rows = new Map<TechniqueId, Row>();
  for (const row of coreRows(s.rows)) {
    const known = rows.get(row.result.technique);
    // The row without a variant is the technique's own; a sweep's first setting otherwise.
    if (known === undefined || (known.result.variant !== undefined && row.result.variant === undefined))
      rows.set(row.result.technique, row);
  }
  return rows.size === 0 ? undefined : { scenario: s, rows };
}

/** Where the verdict's figures come from: latency and cost, memory, ceiling. */
export function verdictSources(scenarios: readonly ScenarioReport[]): {
  headline?: Source;
  memory?: Source;
  ceiling?: Source;
} {
  const named = (name: string): ScenarioReport | undefined => scenarios.find((s) => s.scenario === name);
  const headline =
    source(headlineScenarios.map(named).find((s) => s !== undefined)) ??
    source(scenarios.find((s) => s.run.params.saturation === undefined && s.run.params.faults === undefined));
  const enough = (s: ScenarioReport | undefined): ScenarioReport | undefined =>
    s?.rows.some((row) => row.result.clients >= memoryMinClients) ? s : undefined;
  const memory = source(enough(named('idle')) ?? enough(headline?.scenario));
  const ceiling = source(scenarios.find((s) => s.rows.some((row) => row.result.saturation !== undefined)));
  return {
    ...(headline === undefined ? {} : { headline }),
    ...(memory === undefined ? {} : { memory }),
    ...(ceiling === undefined ? {} : { ceiling }),
  };
}

/** The bound most rows of a saturation run were held to: the one every technique is judged by. */
export function commonBoundMs(rows: readonly Row[]): number | undefined {
  const counts = new Map<number, number>();
  for (const row of rows) {
    const bound = row.result.saturation?.p99BoundMs;
    if (bound !== undefined) counts.set(bound, (counts.get(bound) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0];
}

/**
 * The deliveries/s a row sustained when held to `boundMs`: its highest sustained step whose
 * p99 was within that bound (a row's own looser bound would crown it unfairly).
 */
export function ceilingAt(result: TechniqueResult, boundMs: number): { deliveredPerSecond: number; step?: SaturationStep } {
  const steps = result.saturation?.steps ?? [];
  let best: SaturationStep | undefined;
  for (const step of steps) {
    if (!step.sustained || step.latencyMs.p99 > boundMs) break;
    best = step;
  }
  return best === undefined ? { deliveredPerSecond: 0 } : { deliveredPerSecond: best.deliveredPerSecond, step: best };
}

const ms = (value: number): string => `${formatNumber(value)} ms`;

/** Messages lost by the technique's pushlab rows over every reported run. */
function lostOf(scenarios: readonly ScenarioReport[], technique: TechniqueId): number {
  return scenarios
    .flatMap((s) => s.rows)
    .filter((row) => row.result.peer === undefined && row.result.technique === technique)
    .reduce((sum, row) => sum + row.result.lost, 0);
}

/** The verdict table: one row per technique, each column from its headline scenario. */
export function verdictTable(scenarios: readonly ScenarioReport[]): Table | undefined {
  const { headline, memory, ceiling } = verdictSources(scenarios);
  if (headline === undefined) return undefined;
  const bound = ceiling === undefined ? undefined : commonBoundMs([...ceiling.rows.values()]);
  const ownBounds: Text[] = [];
  let loadBoundRows = 0;
  const rows = techniqueIds
    .filter((id) => headline.rows.has(id))
    .map((id) => {
      const r = headline.rows.get(id)?.result as TechniqueResult;
      const m = memory?.rows.get(id)?.result;
      const c = ceiling?.rows.get(id)?.result;
      // Short polling holds no connection between polls: its RSS per client is not a connection's.
      const memoryCell = m === undefined ? '–' : id === 'short-poll' ? 'none held' : formatBytes(m.serverRssBytesPerConnection);
      let ceilingCell = '–';
      if (c?.saturation !== undefined && bound !== undefined) {
        const at = ceilingAt(c, bound);
        ceilingCell = formatCount(Math.round(at.deliveredPerSecond));
        // A ceiling the load generator set is a floor of the server's, never its ceiling.
        if (c.loadBound === true || c.bottleneck === 'load') {
          ceilingCell += ' ‡';
          loadBoundRows++;
        }
        if (c.saturation.p99BoundMs !== bound) {
          ceilingCell += ' †';
          ownBounds.push(
            `† ${techniqueName(id)} held to its own p99 ≤ ${ms(c.saturation.p99BoundMs)}: ${formatCount(Math.round(c.saturation.sustainedDeliveredPerSecond))}`,
          );
        }
      }
      // A repeated row shows its median with the spread of its runs: `20.4 (19.9–21)`.
      const cell = (value: (x: TechniqueResult) => number, format: (v: number) => string): string => {
        const spread = spreadOf(r, value);
        return spread === undefined ? format(value(r)) : `${format(value(r))} (${format(spread[0])}–${format(spread[1])})`;
      };
      // A load-bound row's latency is the load generator's as much as the server's: marked, not hidden.
      const loadBound = r.bottleneck === 'load' ? ' ‡' : '';
      if (loadBound !== '') loadBoundRows++;
      return [
        techniqueName(id),
        cell((x) => x.latencyMs.p50, formatNumber) + loadBound,
        cell((x) => x.latencyMs.p99, formatNumber),
        formatBytes(r.bytesPerMessage),
        formatNumber(r.requestsPerMessage),
        cell((x) => x.serverCpuMsPer1kMessages, formatNumber),
        memoryCell,
        ceilingCell,
        formatCount(lostOf(scenarios, id)),
      ];
    });
  const repeats = Math.min(...[...headline.rows.values()].map((row) => row.result.repeats?.runs.length ?? 1));
  const from = [
    `${repeats > 1 ? `medians of ${repeats} runs, their range in brackets; ` : ''}latency, bytes, requests and CPU from \`${headline.scenario.scenario}\``,
    memory === undefined ? `no run had ${memoryMinClients}+ clients for memory` : `memory from \`${memory.scenario.scenario}\``,
    ceiling === undefined || bound === undefined
      ? 'no saturation run'
      : `ceiling from \`${ceiling.scenario.scenario}\` at p99 ≤ ${ms(bound)}`,
  ];
  return {
    id: 'verdict',
    caption:
      `The six techniques at a glance (${from.join('; ')}; lost over every run)` +
      (ownBounds.length > 0 ? `. ${ownBounds.join('; ')}` : '') +
      (loadBoundRows > 0
        ? ". ‡ the load generator was the bottleneck of this row: its latency describes the clients as much as the server, and its ceiling is the load generator's (the server's is higher)"
        : ''),
    columns: [
      { header: 'technique', align: 'left' },
      { header: 'p50 ms' },
      { header: 'p99 ms' },
      { header: 'bytes/msg' },
      { header: 'requests/msg' },
      { header: 'CPU ms/1k' },
      { header: 'memory/conn' },
      { header: 'ceiling deliveries/s' },
      { header: 'lost' },
    ],
    rows,
  };
}

const link = (s: ScenarioReport): string => `[→ ${s.scenario}](#${s.slug})`;

/** Names the leaders of one figure, or says they are within noise of each other. */
function leaderText(items: readonly Measured[], what: string, unit: (value: number) => string): Text | undefined {
  const lead = leaders(items);
  const [first] = lead;
  if (first === undefined) return undefined;
  if (lead.length === 1) return `**${what}**: ${first.name}, ${unit(first.value)}`;
  const values = lead.map((m) => m.value);
  const names = lead.map((m) => m.name);
  const listed = `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  const [low, high] = [unit(Math.min(...values)), unit(Math.max(...values))];
  if (low === high) return `**${what}**: ${listed} tie at ${low}`;
  return `**${what}**: ${listed} are within noise of each other, ${low}–${high}`;
}

function measured(source: Source, value: (r: TechniqueResult) => number, skip: readonly TechniqueId[] = []): Measured[] {
  return [...source.rows.values()]
    .filter((row) => row.result.delivered > 0 && !skip.includes(row.result.technique))
    .map((row) => ({ name: techniqueName(row.result.technique), value: value(row.result), spread: spreadOf(row.result, value) }));
}

/** A repeated row's spread of `value` (min and max over its repeats); undefined for a single run. */
function spreadOf(result: TechniqueResult, value: (r: TechniqueResult) => number): [number, number] | undefined {
  const runs = result.repeats?.runs;
  if (runs === undefined || runs.length < 2) return undefined;
  const values = runs.map((run) => value({ ...result, ...run } as TechniqueResult));
  return [Math.min(...values), Math.max(...values)];
}

/** At most five findings for the first screen, each linked to its evidence. */
export function headlineFindings(scenarios: readonly ScenarioReport[]): Text[] {
  const { headline, memory, ceiling } = verdictSources(scenarios);
  const findings: Text[] = [];
  if (headline !== undefined) {
    const s = headline.scenario;
    const p50 = leaderText(
      measured(headline, (r) => r.latencyMs.p50),
      'Lowest median latency',
      ms,
    );
    const p99 = leaderText(
      measured(headline, (r) => r.latencyMs.p99),
      'lowest p99',
      ms,
    );
    if (p50 !== undefined) findings.push(`${p50}${p99 === undefined ? '' : `; ${p99}`} ${link(s)}`);
    const bytes = leaderText(
      measured(headline, (r) => r.bytesPerMessage),
      'Fewest bytes per message',
      formatBytes,
    );
    const poll = headline.rows.get('short-poll')?.result;
    const best = Math.min(...measured(headline, (r) => r.bytesPerMessage).map((m) => m.value));
    // Worth a clause only where polling paid clearly more than the noise.
    const ratio = poll === undefined || !Number.isFinite(best) || best <= 0 ? 1 : poll.bytesPerMessage / best;
    if (bytes !== undefined)
      findings.push(`${bytes}${ratio > 1 + singleRunNoiseShare ? `; short polling sent ${formatRatio(ratio)} as many` : ''} ${link(s)}`);
    const cpu = leaderText(
      measured(headline, (r) => r.serverCpuMsPer1kMessages),
      'Least server CPU per 1,000 deliveries',
      ms,
    );
    if (cpu !== undefined) findings.push(`${cpu} ${link(s)}`);
  }
  if (memory !== undefined) {
    const text = leaderText(
      measured(memory, (r) => r.serverRssBytesPerConnection, ['short-poll']),
      'Least memory per held connection',
      formatBytes,
    );
    if (text !== undefined) findings.push(`${text} ${link(memory.scenario)}`);
  }
  if (ceiling !== undefined) {
    const bound = commonBoundMs([...ceiling.rows.values()]);
    if (bound !== undefined) {
      const items = [...ceiling.rows.values()].map((row) => ({
        name: techniqueName(row.result.technique),
        // Highest first: leaders() takes the lowest, so the ceiling is negated.
        value: -ceilingAt(row.result, bound).deliveredPerSecond,
      }));
      const text = leaderText(items, `Highest ceiling at p99 ≤ ${ms(bound)}`, (v) => `${formatCount(Math.round(-v))} deliveries/s`);
      const loadBound = [...ceiling.rows.values()].filter((row) => row.result.loadBound === true || row.result.bottleneck === 'load');
      const note =
        loadBound.length === 0
          ? ''
          : ` (load-bound: ${loadBound.map((row) => techniqueName(row.result.technique)).join(', ')}; their server ceiling is higher than measured)`;
      if (text !== undefined) findings.push(`${text}${note} ${link(ceiling.scenario)}`);
    }
  }
  return findings.slice(0, 5);
}

/** One line: what was run, on what, when. */
export function whatWasRun(scenarios: readonly ScenarioReport[]): Text {
  const [first] = scenarios;
  if (first === undefined) return '';
  const env = first.run.environment;
  const dates = scenarios.map((s) => s.run.startedAt.slice(0, 10)).sort();
  const span = dates[0] === dates.at(-1) ? dates[0] : `${dates[0]} to ${dates.at(-1)}`;
  const networks = new Set(scenarios.flatMap((s) => s.rows.map((row) => networkOf(row.result))));
  return (
    `${scenarios.length} scenario${scenarios.length === 1 ? '' : 's'} (${scenarios.map((s) => `[${s.scenario}](#${s.slug})`).join(', ')}) ` +
    `on ${env.cpu}, ${env.cores} cores, Node ${env.node}, ${env.pinned ? 'server and load pinned' : 'not pinned'}, ` +
    `${networks.size === 1 ? [...networks][0] : `${networks.size} networks`}; run ${span}.`
  );
}
