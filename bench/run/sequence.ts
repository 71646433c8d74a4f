/**
 * The per-subscriber sequence check: ids of one topic must arrive as 1, 2, 3 … once each.
 * Lost, duplicated and out-of-order messages are counted, never hidden.
 */

/** Counts of one subscriber's topic, for the ids the caller asks about. */
export interface SequenceCounts {
  /** Distinct ids of the asked set that arrived. */
  delivered: number;
  /** Ids of the asked set that never arrived. */
  lost: number;
}

/** A checker's state in plain data (`SequenceChecker.state`). */
export interface SequenceState {
  highest: number;
  missing: number[];
  duplicated: number;
  outOfOrder: number;
  received: number;
}

/**
 * Follows one topic as seen by one subscriber. An id above the highest seen marks the ids in
 * between as missing; a missing id arriving later counts as out of order (and is no longer
 * missing); any other id at or below the highest seen is a duplicate.
 */
export class SequenceChecker {
  /** Arrivals of an id already seen. */
  duplicated = 0;
  /** Arrivals of an id below one seen before it (it came late, but it came). */
  outOfOrder = 0;
  /** All arrivals, duplicates included. */
  received = 0;
  private highest: number;
  private readonly missing = new Set<number>();

  /** `after`: the id the subscriber starts after (its cursor when it subscribed). Default 0. */
  constructor(after = 0) {
    this.highest = after;
  }

  /** Records the arrival of `id`; returns false for a duplicate (not to be counted again). */
  receive(id: number): boolean {
    this.received++;
    if (id > this.highest) {
      for (let skipped = this.highest + 1; skipped < id; skipped++) this.missing.add(skipped);
      this.highest = id;
      return true;
    }
    if (this.missing.delete(id)) {
      this.outOfOrder++;
      return true;
    }
    this.duplicated++;
    return false;
  }

  /** The checker's whole state, as a load worker sends it to the main process. */
  state(): SequenceState {
    return {
      highest: this.highest,
      missing: [...this.missing],
      duplicated: this.duplicated,
      outOfOrder: this.outOfOrder,
      received: this.received,
    };
  }

  /** Takes over `state` (a load worker's checker), replacing this one's. */
  restore(state: SequenceState): void {
    this.highest = state.highest;
    this.missing.clear();
    for (const id of state.missing) this.missing.add(id);
    this.duplicated = state.duplicated;
    this.outOfOrder = state.outOfOrder;
    this.received = state.received;
  }

  /** Whether `id` arrived (at least once). */
  has(id: number): boolean {
    return id <= this.highest && !this.missing.has(id);
  }

  /** How many of `ids` (ids published to this topic) arrived and how many did not. */
  count(ids: Iterable<number>): SequenceCounts {
    let delivered = 0;
    let lost = 0;
    for (const id of ids) {
      if (this.has(id)) delivered++;
      else lost++;
    }
    return { delivered, lost };
  }
}
