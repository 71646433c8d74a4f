/**
 * One hub listener per topic and transport, not per connection: a topic's streams of one
 * transport (its audience) share a subscription, so a publish costs O(1) however many
 * streams follow the topic, and the fan-out to them happens once per event-loop turn, in the
 * flush, where each caught-up stream takes the turn's messages as one prepared write. Before,
 * every publish called every stream's listener (a thousand calls per publish for a thousand
 * subscribers, several publishes per turn), a cost that grew with the publish rate while the
 * writes did not.
 */
import type { Hub, HubMessage, RunFrames } from '../hub.ts';
import type { Metrics, Technique } from '../metrics.ts';
import type { Flushable, Flusher } from './flusher.ts';

/**
 * What an audience's streams share for one run in one flush: its frames, and its bytes in
 * each wire form, made by the first stream that needs them (the audience's streams are of
 * one transport, so they frame alike). A class with every field set from the start, so each
 * stream's `take` reads one shape of object: an object literal that gained its fields one by
 * one took megamorphic property loads in a CPU profile of the flush under a CPU budget.
 */
export class RunSlot {
  frames: RunFrames | undefined = undefined;
  raw: Buffer | undefined = undefined;
  chunked: Buffer | undefined = undefined;
}

/** A stream in an audience (a `PushStream`). */
export interface Member {
  /** While catching up: messages as the hub hands them out, at once (the stream keeps them aside). */
  hold(messages: readonly HubMessage[]): void;
  /**
   * Once caught up: the turn's messages of the topic (consecutive, oldest first), at flush
   * time, with the run's shared `slot`. Returns how many the stream wrote at once; 0 when it
   * queued them on its own path (it had frames of its own queued, a cursor behind, or a sink
   * that takes no prepared bytes).
   */
  take(messages: readonly HubMessage[], slot: RunSlot): number;
}

/** A stream's place in its audience. */
export interface Membership {
  /** The stream caught up: from now on it takes the turn's messages at flush time. */
  live(): void;
  /** Leaves the audience (the last one out unsubscribes it from the hub). Safe to call twice. */
  leave(): void;
}

/** The server's audiences, by transport and topic. */
export interface Audiences {
  /**
   * Adds `member` to the audience of `technique` on `topic`, catching up; the first member
   * subscribes the audience to the hub, which throws a `TopicLimitError` for a new topic
   * over the hub's cap. What its members write at flush time is counted as `technique`'s
   * deliveries.
   */
  join(technique: Technique, topic: string, member: Member): Membership;
}

/** Creates the registry; audiences flush on `flusher` and count into `metrics`. */
export function createAudiences(hub: Hub, flusher: Flusher, metrics: Metrics): Audiences {
  const audiences = new Map<string, Audience>();
  return {
    join(technique, topic, member) {
      const key = `${technique}\n${topic}`;
      let audience = audiences.get(key);
      if (audience === undefined) {
        const made = new Audience(
          flusher,
          (count) => metrics.delivered(technique, count),
          () => {
            if (audiences.get(key) === made) audiences.delete(key);
          },
        );
        made.unsubscribe = hub.subscribe(topic, (messages) => made.receive(messages));
        audiences.set(key, made);
        audience = made;
      }
      return audience.add(member);
    },
  };
}

/** One topic's streams of one transport. */
class Audience implements Flushable {
  private readonly catching = new Set<Member>();
  private readonly caughtUp = new Set<Member>();
  /** The runs the hub handed out this turn, oldest first. */
  private pending: (readonly HubMessage[])[] = [];
  unsubscribe: (() => void) | undefined;

  constructor(
    private readonly flusher: Flusher,
    private readonly delivered: (count: number) => void,
    private readonly closed: () => void,
  ) {}

  add(member: Member): Membership {
    this.catching.add(member);
    let gone = false;
    return {
      live: () => {
        if (gone || !this.catching.delete(member)) return;
        this.caughtUp.add(member);
      },
      leave: () => {
        if (gone) return;
        gone = true;
        this.catching.delete(member);
        this.caughtUp.delete(member);
        if (this.catching.size === 0 && this.caughtUp.size === 0) this.close();
      },
    };
  }

  receive(messages: readonly HubMessage[]): void {
    for (const member of this.catching) member.hold(messages);
    if (this.caughtUp.size === 0) return;
    this.pending.push(messages);
    this.flusher.schedule(this);
  }

  flush(): void {
    const runs = joinRuns(this.pending);
    this.pending = [];
    let count = 0;
    for (const run of runs) {
      const slot = new RunSlot();
      for (const member of this.caughtUp) count += member.take(run, slot);
    }
    if (count > 0) this.delivered(count);
  }

  private close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.pending = [];
    this.flusher.cancel(this);
    this.closed();
  }
}

/** The turn's runs with every run that continues the one before it (same epoch, next id) joined to it. */
function joinRuns(runs: readonly (readonly HubMessage[])[]): (readonly HubMessage[])[] {
  if (runs.length <= 1) return runs as (readonly HubMessage[])[];
  const joined: (readonly HubMessage[])[] = [];
  let current: HubMessage[] | undefined;
  for (const run of runs) {
    const first = run[0];
    const last = current?.at(-1);
    if (current !== undefined && first !== undefined && last !== undefined && first.epoch === last.epoch && first.id === last.id + 1) {
      for (const message of run) current.push(message);
      continue;
    }
    current = [...run];
    joined.push(current);
  }
  return joined;
}
