/**
 * Accounting for a run whose server was killed and restarted: ids start again at 1, so each
 * delivery is identified by its payload's scheduled time (unique per publish) and each
 * publish by the server that acknowledged it (before or after the kill).
 *
 * A message of the old server that a subscriber never got is "reported" when the
 * subscriber received a gap after its last old-server message — the in-memory hub lost it,
 * and said so; otherwise it is lost, silently, and counted as such. Anything of the new
 * server not received is lost. Order is checked within each server's ids.
 */
import type { Published } from '../publisher.ts';
import type { Subscriber } from '../subscribers.ts';

/** What the restart accounting found for all subscribers together. */
export interface RestartCounts {
  expected: number;
  delivered: number;
  /** Missing without a gap report: silent loss. */
  lost: number;
  /** Missing old-server messages covered by a gap report. */
  reportedLost: number;
  duplicated: number;
  outOfOrder: number;
  /** Subscribers that reported at least one gap after the restart. */
  subscribersWithGap: number;
}

/** The epoch of a publish: 0 if acknowledged before the kill, 1 after. */
export function epochOf(message: Published, killedNs: bigint): 0 | 1 {
  return message.ackedNs < killedNs ? 0 : 1;
}

/**
 * Whether `subscriber` reported a gap after its last arrival of an old-server message (the
 * restart, as its client was told of it). `bySchedule` maps scheduled times to publishes.
 */
export function reportedRestart(subscriber: Subscriber, bySchedule: ReadonlyMap<bigint, Published>, killedNs: bigint): boolean {
  const arrivals = subscriber.arrivals ?? [];
  let lastOldArrival = -1;
  arrivals.forEach(({ scheduledNs }, index) => {
    const message = bySchedule.get(scheduledNs);
    if (message !== undefined && epochOf(message, killedNs) === 0) lastOldArrival = index;
  });
  return (subscriber.gapsAt ?? []).some((at) => at > lastOldArrival);
}

/**
 * Counts deliveries of the window's messages (scheduled in `[startNs, endNs)`) over
 * subscribers that recorded their arrivals.
 */
export function countRestart(
  subscribers: readonly Subscriber[],
  published: readonly Published[],
  killedNs: bigint,
  startNs: bigint,
  endNs: bigint,
): RestartCounts {
  const bySchedule = new Map<bigint, Published>(published.map((message) => [message.scheduledNs, message]));
  const counts: RestartCounts = {
    expected: 0,
    delivered: 0,
    lost: 0,
    reportedLost: 0,
    duplicated: 0,
    outOfOrder: 0,
    subscribersWithGap: 0,
  };
  for (const subscriber of subscribers) {
    const arrivals = subscriber.arrivals ?? [];
    const got = new Set<bigint>();
    const lastId: [number, number] = [0, 0];
    arrivals.forEach(({ scheduledNs, id }) => {
      const message = bySchedule.get(scheduledNs);
      if (got.has(scheduledNs)) {
        counts.duplicated++;
        return;
      }
      got.add(scheduledNs);
      if (message === undefined) return; // accepted but never acknowledged (killed mid-answer)
      const epoch = epochOf(message, killedNs);
      if (id < lastId[epoch]) counts.outOfOrder++;
      lastId[epoch] = Math.max(lastId[epoch], id);
    });
    const reported = reportedRestart(subscriber, bySchedule, killedNs);
    if (reported) counts.subscribersWithGap++;
    for (const message of published) {
      if (message.topic !== subscriber.topic || message.scheduledNs < startNs || message.scheduledNs >= endNs) continue;
      counts.expected++;
      if (got.has(message.scheduledNs)) counts.delivered++;
      else if (epochOf(message, killedNs) === 0 && reported) counts.reportedLost++;
      else counts.lost++;
    }
  }
  return counts;
}
