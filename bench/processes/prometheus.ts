/**
 * Prometheus text as the harness reads it, from pushlab's server and the peers' alike: one
 * parser for `name{labels} value` lines, and the sample lookups every reader uses.
 */

/** The samples of one `/metrics` read, by `name{labels}` as printed, and when it was read. */
export interface MetricsSnapshot {
  readonly at: bigint;
  readonly samples: ReadonlyMap<string, number>;
}

/**
 * Parses Prometheus text: `name{labels} value` lines; comments skipped. The read is dated by
 * the server's own `process_collected_hrtime_seconds` when it has one (when its counters were
 * sampled: a saturated server answers late, and a saturated reader reads late, either of
 * which put its CPU share of a window past one core), else by `at` (now).
 */
export function parseMetrics(text: string, at = process.hrtime.bigint()): MetricsSnapshot {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    if (space <= 0) continue;
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  const collected = samples.get('process_collected_hrtime_seconds');
  return { at: collected !== undefined && Number.isFinite(collected) ? BigInt(Math.round(collected * 1e9)) : at, samples };
}

/** A sample's value (`technique` adds the label); 0 when the server did not report it. */
export function sample(snapshot: MetricsSnapshot, name: string, technique?: string): number {
  return snapshot.samples.get(technique === undefined ? name : `${name}{technique="${technique}"}`) ?? 0;
}

/** `after − before` of one sample. */
export function delta(before: MetricsSnapshot, after: MetricsSnapshot, name: string, technique?: string): number {
  return sample(after, name, technique) - sample(before, name, technique);
}

/** One sample straight from Prometheus text, such as `pushlab_open_connections{technique="baseline"}`; undefined when absent. */
export function metricValue(text: string, name: string, technique?: string): number | undefined {
  return parseMetrics(text).samples.get(technique === undefined ? name : `${name}{technique="${technique}"}`);
}
