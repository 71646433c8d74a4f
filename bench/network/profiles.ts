/**
 * Network profiles: the round trip, bandwidth and loss a delay proxy emulates between the
 * load clients and the server. A profile is named (`broadband`) or given inline; both are
 * validated once by `profileSchema`, and a bad one throws a `NetworkProfileError` naming the
 * field. `networkSchema` is the fragment a scenario reuses for its `network` field.
 *
 * "Down" is server → client, "up" is client → server. Each connection through the proxy is
 * its own access link: one load client stands for one user on their own line.
 */
import { z } from 'zod';

const nameSchema = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lowercase letters, digits and dashes');
const bitsPerSecondSchema = z.number().positive().max(100e9);

/** One network, as data. Every field is in milliseconds, bits per second or a 0–1 rate. */
export const profileSchema = z.strictObject({
  /** The profile's name, recorded in results (`environment.network`). Default `custom`. */
  name: nameSchema.default('custom'),
  /** One line for a reader. Default none. */
  description: z.string().optional(),
  /** Round-trip time the proxy adds: half is held in each direction. 0 with no caps and no loss means no proxy. */
  rttMs: z.number().nonnegative().max(10_000),
  /** Server → client bandwidth cap, per connection. Default unlimited. */
  downBitsPerSecond: bitsPerSecondSchema.optional(),
  /** Client → server bandwidth cap, per connection. Default unlimited. */
  upBitsPerSecond: bitsPerSecondSchema.optional(),
  /** Chance that a segment is lost and must be retransmitted (0–0.5). Default 0. */
  lossRate: z.number().min(0).max(0.5).default(0),
  /** Extra delay a lost segment (and everything behind it) waits: a fast retransmit or an RTO. Default `rttMs`, at least 1 ms. */
  retransmitMs: z.number().positive().max(60_000).optional(),
  /** Segment size for pacing and loss (a TCP MSS on Ethernet). Default 1460 bytes. */
  segmentBytes: z.number().int().min(64).max(65_536).default(1460),
  /** Hold a new connection's first bytes for one extra RTT, as TCP's handshake would. Default true. */
  handshake: z.boolean().default(true),
});

/** A validated profile, defaults filled in. */
export type NetworkProfile = z.infer<typeof profileSchema>;
/** A profile as written in a scenario or on the command line. */
export type NetworkProfileInput = z.input<typeof profileSchema>;

const mbit = 1_000_000;

/** The stock profiles, by name. Round trips and rates after typical figures for each kind of access. */
export const profiles = {
  loopback: {
    name: 'loopback',
    description: 'no proxy: the machine’s own loopback (~0.05 ms)',
    rttMs: 0,
    lossRate: 0,
    segmentBytes: 1460,
    handshake: false,
  },
  lan: { name: 'lan', description: 'a wired office network', rttMs: 1, lossRate: 0, segmentBytes: 1460, handshake: true },
  broadband: {
    name: 'broadband',
    description: 'home cable/fibre, 50/10 Mbit/s',
    rttMs: 30,
    downBitsPerSecond: 50 * mbit,
    upBitsPerSecond: 10 * mbit,
    lossRate: 0,
    segmentBytes: 1460,
    handshake: true,
  },
  'mobile-4g': {
    name: 'mobile-4g',
    description: 'a good 4G cell, 12/4 Mbit/s',
    rttMs: 80,
    downBitsPerSecond: 12 * mbit,
    upBitsPerSecond: 4 * mbit,
    lossRate: 0,
    segmentBytes: 1460,
    handshake: true,
  },
  'mobile-3g': {
    name: 'mobile-3g',
    description: 'a 3G cell, 1.6/0.75 Mbit/s, 1% segment loss',
    rttMs: 300,
    downBitsPerSecond: 1.6 * mbit,
    upBitsPerSecond: 0.75 * mbit,
    lossRate: 0.01,
    segmentBytes: 1460,
    handshake: true,
  },
} as const satisfies Record<string, NetworkProfile>;

/** A stock profile's name. */
export type ProfileName = keyof typeof profiles;

/** Names of the stock profiles, in order of increasing round trip. */
export const profileNames = Object.keys(profiles) as ProfileName[];

/** Whether `name` is a stock profile. */
export function isProfileName(name: string): name is ProfileName {
  return Object.hasOwn(profiles, name);
}

/** Thrown for a bad profile; `message` names each wrong field. */
export class NetworkProfileError extends Error {
  override readonly name = 'NetworkProfileError';
}

/** What is wrong with one profile reference, field by field; empty when it is fine. */
interface Problem {
  path: PropertyKey[];
  message: string;
}

function check(value: unknown): { profile: NetworkProfile } | { problems: Problem[] } {
  if (typeof value === 'string') {
    if (isProfileName(value)) return { profile: profiles[value] };
    return { problems: [{ path: [], message: `unknown network profile "${value}" (known: ${profileNames.join(', ')})` }] };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { problems: [{ path: [], message: `must be a profile name (${profileNames.join(', ')}) or a profile object` }] };
  }
  const result = profileSchema.safeParse(value);
  if (result.success) return { profile: result.data };
  return { problems: result.error.issues.map((issue) => ({ path: issue.path, message: issue.message })) };
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

function describe(problems: Problem[], what: string): string {
  const lines = problems.map((problem) => `  - ${[what, ...problem.path.map(String)].join('.')}: ${problem.message}`);
  return `not a valid network profile:\n${lines.join('\n')}`;
}

/** A stock profile by name, or an inline one validated; throws a `NetworkProfileError` naming the field. */
export function resolveProfile(value: unknown, what = 'network'): NetworkProfile {
  const checked = check(value);
  if ('profile' in checked) return checked.profile;
  throw new NetworkProfileError(describe(checked.problems, what));
}

/** The scenario's `network` field (one or a list, names or objects) as a list of profiles. */
export function resolveNetworks(value: unknown, what = 'network'): NetworkProfile[] {
  const items = listOf(value);
  if (items.length === 0) throw new NetworkProfileError(`${what} must list at least one profile`);
  return items.map((item, index) => resolveProfile(item, Array.isArray(value) ? `${what}.${index}` : what));
}

/**
 * The scenario field `network`: a profile name, an inline profile, or a non-empty list of
 * them (the report compares them). Parses to a list of validated profiles; each issue's path
 * names the field (`network.1.rttMs`).
 */
export const networkSchema = z.unknown().transform((value, ctx): NetworkProfile[] => {
  const items = listOf(value);
  if (items.length === 0) ctx.addIssue({ code: 'custom', message: 'must list at least one profile' });
  const resolved: NetworkProfile[] = [];
  items.forEach((item, index) => {
    const checked = check(item);
    if ('profile' in checked) resolved.push(checked.profile);
    else
      for (const problem of checked.problems)
        ctx.addIssue({ code: 'custom', message: problem.message, path: Array.isArray(value) ? [index, ...problem.path] : problem.path });
  });
  return resolved;
});

/** Whether the profile needs no proxy at all (loopback: no delay, no cap, no loss). */
export function isDirect(profile: NetworkProfile): boolean {
  return profile.rttMs === 0 && profile.downBitsPerSecond === undefined && profile.upBitsPerSecond === undefined && profile.lossRate === 0;
}

/** The extra delay a lost segment waits: `retransmitMs`, else one RTT, at least 1 ms. */
export function retransmitMsOf(profile: NetworkProfile): number {
  return profile.retransmitMs ?? Math.max(1, profile.rttMs);
}
