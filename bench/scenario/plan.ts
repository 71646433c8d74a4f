/** A scenario's plan: `expandScenario` lists the runs, one fresh server each, in the order the runner performs them. */
import type { TechniqueId } from '../clients/wire/index.ts';
import { isDirect, type NetworkProfile } from '../network/profiles.ts';
import { peerIds, peers as peerInfo, type PeerId } from '../../registry/peers.ts';
import type { Scenario, Variant } from './schema.ts';
import type { LoadProtocol } from '../clients/load/index.ts';

/** One run: a technique under one setting of the knobs, on its own fresh server. */
export interface RunPlan {
  /** The row key: the technique id, plus `@<variant>` in a sweep (`short-poll@250ms`, `sse@1024B`). */
  key: string;
  technique: TechniqueId;
  variant?: Variant;
  clients: number;
  topics: number;
  ratePerSecond: number;
  /** Messages per burst (1: evenly spaced). Default 1. */
  burst?: number;
  /** How a burst is published (`batch`: one request; `separate`: one per message). Default batch. */
  publish?: 'batch' | 'separate';
  payloadBytes: number;
  durationMs: number;
  warmupMs: number;
  drainMs: number;
  intervalMs: number;
  holdMs: number;
  heartbeatMs?: number;
  pingMs?: number;
  /** `knobs.streamMaxBytes`: where an iframe document (SockJS: a streaming response) ends. */
  streamMaxBytes?: number;
  faults?: Scenario['faults'];
  /** A peer server instead of pushlab's (its row stands beside `technique`). */
  peer?: PeerId;
  /** The network the subscribers go through; undefined for loopback (no proxy). */
  network?: NetworkProfile;
  /** The profile's name when the row should carry it (any scenario with a non-loopback profile). */
  networkName?: string;
  saturation?: Scenario['saturation'];
  /** The protocol the subscribers speak, when the scenario names any but plaintext HTTP/1.1 alone (`h1` otherwise). */
  protocol?: LoadProtocol;
  /** Tabs: the subscribers are this many tabs of one simulated browser (`Variant.tabs`); `clients` equals it. */
  tabs?: number;
  /** Scale-out: this many server processes on one Redis behind nginx; undefined for one process on the in-memory hub. */
  processes?: number;
}

const units: Record<Exclude<keyof Variant, 'stalledShare'>, string> = {
  intervalMs: 'ms',
  holdMs: 'ms',
  payloadBytes: 'B',
  clients: 'c',
  tabs: 'tabs',
};

/** `250ms`, `1024B`, `100c`, `20%stalled`, or several joined by `,`. */
export function variantLabel(variant: Variant): string {
  const labels = (Object.keys(units) as (keyof typeof units)[])
    .filter((field) => variant[field] !== undefined)
    .map((field) => `${variant[field]}${units[field]}`);
  if (variant.stalledShare !== undefined) labels.push(`${Math.round(variant.stalledShare * 100)}%stalled`);
  return labels.join(',');
}

/**
 * The runs of `scenario`, in order: per network profile and protocol, each technique (and
 * each sweep variant where it applies), then the peers (plaintext HTTP/1.1 only: the peers'
 * servers speak no TLS). A protocol other than `h1` alone is named in every key (`sse@h2`).
 */
export function expandScenario(scenario: Scenario): RunPlan[] {
  const protocols = scenario.protocol ?? ['h1'];
  const keyed = protocols.some((protocol) => protocol !== 'h1');
  return protocols.flatMap((protocol) =>
    expandOnProtocol(scenario, protocol === 'h1' ? undefined : protocol, keyed ? protocol : undefined).map((plan) => ({
      ...plan,
      ...(keyed ? { protocol } : {}),
      ...(plan.variant?.tabs === undefined ? {} : { tabs: plan.variant.tabs, clients: plan.variant.tabs }),
    })),
  );
}

/** The runs of `scenario` on one protocol (`protocolLabel` appended to each key); peers only on plaintext HTTP/1.1. */
function expandOnProtocol(scenario: Scenario, tls: LoadProtocol | undefined, protocolLabel: string | undefined): RunPlan[] {
  const plans: RunPlan[] = [];
  const networks: (NetworkProfile | undefined)[] = scenario.network ?? [undefined];
  const named = networks.some((network) => network !== undefined && !isDirect(network));
  const several = networks.length > 1;
  const peers: PeerId[] = tls !== undefined ? [] : scenario.peers === 'all' ? [...peerIds] : (scenario.peers ?? []);
  for (const network of networks) {
    const suffix = (label: string | undefined): string => {
      const parts = [label, several ? network?.name : undefined, protocolLabel].filter((part) => part !== undefined && part !== '');
      return parts.length > 0 ? `@${parts.join(',')}` : '';
    };
    const onNetwork = {
      ...(network === undefined || isDirect(network) ? {} : { network }),
      ...(named && network !== undefined ? { networkName: network.name } : {}),
    };
    const base = (technique: TechniqueId): RunPlan => ({
      key: `${technique}${suffix(undefined)}`,
      technique,
      clients: scenario.clients,
      topics: scenario.topics,
      ratePerSecond: scenario.ratePerSecond,
      ...(scenario.burst > 1 ? { burst: scenario.burst, publish: scenario.publish } : {}),
      payloadBytes: scenario.payloadBytes,
      durationMs: scenario.durationMs,
      warmupMs: scenario.warmupMs,
      drainMs: scenario.drainMs,
      intervalMs: scenario.knobs.intervalMs,
      holdMs: scenario.knobs.holdMs,
      heartbeatMs: scenario.knobs.heartbeatMs,
      pingMs: scenario.knobs.pingMs,
      streamMaxBytes: scenario.knobs.streamMaxBytes,
      faults: scenario.faults,
      ...onNetwork,
      ...(scenario.saturation === undefined ? {} : { saturation: scenario.saturation }),
    });
    for (const technique of scenario.techniques) {
      const sweep = scenario.sweep;
      if (sweep === undefined || !(sweep.techniques ?? scenario.techniques).includes(technique)) {
        plans.push(base(technique));
        continue;
      }
      for (const variant of sweep.variants) {
        const { stalledShare, ...knobs } = variant;
        const plan = base(technique);
        const faults =
          stalledShare === undefined ? plan.faults : { ...plan.faults, stalledShare: stalledShare > 0 ? stalledShare : undefined };
        plans.push({ ...plan, ...knobs, faults, key: `${technique}${suffix(variantLabel(variant))}`, variant });
      }
    }
    // Peers run the scenario's base settings only: a sweep's knobs (poll interval, hold) are pushlab's.
    for (const peer of peers) {
      const plan = base(peerInfo[peer].technique);
      plans.push({ ...plan, key: `peer:${peer}${suffix(undefined)}`, peer });
    }
  }
  return scenario.scaleOut === undefined ? plans : withTopologies(plans, scenario.scaleOut);
}

/**
 * A scale-out's plans: each row through nginx on `processes` processes (`<key>@scale-out`),
 * preceded with `compare` by the same row on one in-memory process (`<key>@single`), which
 * takes no failover (there is no other process to fail over to).
 */
export function withTopologies(plans: readonly RunPlan[], scaleOut: NonNullable<Scenario['scaleOut']>): RunPlan[] {
  const tag = (key: string, topology: string): string => `${key}${key.includes('@') ? ',' : '@'}${topology}`;
  return plans.flatMap((plan) => {
    const scaled: RunPlan = { ...plan, key: tag(plan.key, 'scale-out'), processes: scaleOut.processes };
    if (!scaleOut.compare) return [scaled];
    const { failoverAtMs: _, ...otherFaults } = plan.faults ?? {};
    const single: RunPlan = {
      ...plan,
      key: tag(plan.key, 'single'),
      faults: Object.keys(otherFaults).length > 0 ? otherFaults : undefined,
    };
    return [single, scaled];
  });
}
