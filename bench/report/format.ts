/**
 * Names and labels shared by every part of the report: one set of names. The number, byte and
 * duration formatters are `results/format.ts`'s (the CLI summary uses them too), re-exported here.
 */
import { baselinePeer, isPeerId, peerIds, peers } from '../../registry/peers.ts';
import { isTechniqueId, techniqueIds, techniques } from '../../registry/techniques.ts';
import { profileNames } from '../network/profiles.ts';
import { formatBytes, formatCount, formatDuration } from '../results/format.ts';
import type { TechniqueResult } from '../results/schema.ts';

/** The order techniques are listed in (`registry/techniques.ts`): from the oldest trick to the newest standard. */
export const techniqueOrder = techniqueIds;

/** The colour of a technique; grey for one the report does not know. */
export function techniqueColor(technique: string): string {
  return isTechniqueId(technique) ? techniques[technique].colour : '#9498a0';
}

/** The human name of a technique id: `sse` → `SSE`; an unknown id is returned as is. */
export function techniqueName(technique: string): string {
  return isTechniqueId(technique) ? techniques[technique].shortName : technique;
}

/** What a row varies, in words: `at 1 s`, `with 1 KiB payloads`, `with 100 clients`; empty without a variant. */
export function variantText(row: TechniqueResult): string {
  const variant = row.variant;
  if (variant === undefined) return '';
  const parts: string[] = [];
  if (variant.intervalMs !== undefined) parts.push(`at ${formatDuration(variant.intervalMs)}`);
  if (variant.holdMs !== undefined) parts.push(`holding ${formatDuration(variant.holdMs)}`);
  if (variant.payloadBytes !== undefined) parts.push(`with ${formatBytes(variant.payloadBytes)} payloads`);
  if (variant.clients !== undefined) parts.push(`with ${formatCount(variant.clients)} clients`);
  if (variant.tabs !== undefined) parts.push(`in ${formatCount(variant.tabs)} tabs`);
  return parts.join(', ');
}

export { baselinePeer };
export { formatBytes, formatCount, formatDelta, formatDuration, formatNumber, formatRatio, formatShare } from '../results/format.ts';

/** The human name of a peer id: `socketio-websocket` → `Socket.IO (websocket)`; an unknown id reads `peer <id>`. */
export function peerName(peer: string): string {
  return isPeerId(peer) ? peers[peer].name : `peer ${peer}`;
}

/** Where a peer's rows come after its pushlab row: in the order of `peerIds`, unknown peers after, the baseline never (it is last in the scenario). */
export function peerRank(peer: string): number {
  const index = (peerIds as readonly string[]).indexOf(peer);
  return index === -1 ? peerIds.length : index;
}

/** A row's network: `loopback` when the row names none. */
export function networkOf(row: TechniqueResult): string {
  return row.network ?? 'loopback';
}

/** Where a profile sorts: the stock ones in increasing round trip, unknown (custom) profiles after them. */
export function networkRank(network: string): number {
  const index = (profileNames as readonly string[]).indexOf(network);
  return index === -1 ? profileNames.length : index;
}

/** A row in prose without its network: `short polling at 1 s`, `SSE`, `SockJS (eventsource)`. */
export function seriesName(row: TechniqueResult): string {
  const base = row.peer === undefined ? techniqueName(row.technique) : peerName(row.peer);
  const variant = variantText(row);
  return variant === '' ? base : `${base} ${variant}`;
}

/** A row in prose: `short polling at 1 s`, `SSE`, `SSE over broadband`, `Socket.IO (websocket)`. */
export function rowName(row: TechniqueResult): string {
  const name = row.network === undefined ? seriesName(row) : `${seriesName(row)} over ${row.network}`;
  return row.protocol === undefined ? name : `${name} (${protocolName(row.protocol)})`;
}

/** The human name of a protocol id: `h2` → `HTTP/2`. */
export function protocolName(protocol: string): string {
  return protocol === 'h2' ? 'HTTP/2' : protocol === 'h1-tls' ? 'HTTP/1.1 + TLS' : protocol === 'h1' ? 'HTTP/1.1' : protocol;
}

/** Capitalises the first letter, for a sentence that starts with a row name. */
export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A file-name-safe slug: `poll-interval-sweep`, `my_scenario` → `my-scenario`. */
export function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'run'
  );
}
