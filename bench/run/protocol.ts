/**
 * What a row's protocol adds to a run: the server's `--tls` (with the protocol the harness's
 * own requests take, so they stay out of the subscribers' TLS counts), and the row's protocol
 * fields: its protocol, TLS bytes per message, and for tabs how many tabs were live and how
 * many connections their browser opened.
 */
import { controlProtocolOf, socketProtocolOf } from '../protocol/control.ts';
import type { MetricsSnapshot } from '../processes/prometheus.ts';
import type { ServerFlags } from '../processes/server.ts';
import type { TechniqueResult } from '../results/schema.ts';
import type { RunPlan } from '../scenario/plan.ts';
import type { Rig } from './rig.ts';

/** The server flags of a plan's protocol: `--tls` for `h1-tls` and `h2`, none otherwise. */
export function tlsFlags(plan: RunPlan): Pick<ServerFlags, 'tls'> {
  const control = plan.protocol === undefined ? undefined : controlProtocolOf(plan.protocol, plan.technique);
  return control === undefined ? {} : { tls: control };
}

/** A sample labelled `protocol="<protocol>"`; 0 when absent. */
function byProtocol(snapshot: MetricsSnapshot, name: string, protocol: string): number {
  return snapshot.samples.get(`${name}{protocol="${protocol}"}`) ?? 0;
}

/** The protocol fields of a window's row (none for a plaintext row without tabs). */
export function protocolFields(
  rig: Rig,
  windowIds: ReadonlyMap<string, number[]>,
  delivered: number,
  before: MetricsSnapshot,
  after: MetricsSnapshot,
): Partial<TechniqueResult> {
  const { plan } = rig;
  const fields: Partial<TechniqueResult> = {};
  if (plan.protocol !== undefined) fields.protocol = plan.protocol;
  const socket = plan.protocol === undefined ? undefined : socketProtocolOf(plan.protocol, plan.technique);
  if (socket !== undefined && delivered > 0) {
    const per = (name: string): number =>
      Number(((byProtocol(after, name, socket) - byProtocol(before, name, socket)) / delivered).toFixed(1));
    fields.tlsBytesInPerMessage = per('pushlab_tls_bytes_read_total');
    fields.tlsBytesOutPerMessage = per('pushlab_tls_bytes_written_total');
  }
  if (plan.tabs !== undefined) {
    fields.tabs = plan.tabs;
    fields.tabsLive = rig.subscribers.list.filter((s) => s.checker.count(windowIds.get(s.topic) ?? []).delivered > 0).length;
    const opened = rig.subscribers.browserConnections;
    if (opened !== undefined) fields.browserConnections = opened;
  }
  return fields;
}
