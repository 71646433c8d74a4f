/**
 * The rig of one run: the server under test (pushlab's, or a peer's program), the delay proxy
 * in front of it for an emulated network, the subscribers (through the proxy), the stalled
 * connections of the slow-consumer fault, and the server's `/metrics` idle and with every
 * client connected. Set up once per plan; a saturation plan measures it several times.
 */
import { peers } from '../../registry/peers.ts';
import { startProxyProcess, type ProxyProcess } from '../network/index.ts';
import { startPeerProcess } from '../peers/process.ts';
import type { MetricsSnapshot } from '../processes/prometheus.ts';
import { startServerProcess, type ServerFlags, type ServerProcess } from '../processes/server.ts';
import { startScaleOut, type ScaleOut } from '../processes/scale-out.ts';
import type { RunPlan } from '../scenario/plan.ts';
import { openStalled, stallable, type Stalled } from './faults/stalled.ts';
import type { ProgressEvent } from './events.ts';
import { openSubscribers, type Subscribers } from './subscribers.ts';
import { sleep, withTimeout } from './wait.ts';
import type { LoadProtocol } from '../clients/load/index.ts';

/** The server, subscribers and tools of one plan, set up once and measured one or more times. */
export interface Rig {
  readonly plan: RunPlan;
  /** The server under test; a restart replaces it. */
  server: ServerProcess;
  proxy?: ProxyProcess;
  topics: string[];
  subscribers: Subscribers;
  serverIdle: MetricsSnapshot;
  serverConnected: MetricsSnapshot;
  stalled?: Stalled;
  /** Scale-out: the topology behind `server` (redis-server, the processes, nginx); undefined for one process. */
  topology?: ScaleOut;
  /** Notes every window of this rig carries (a fault that does not apply). */
  notes: string[];
  progress: (event: ProgressEvent) => void;
}

/** Options of `openRig`. */
export interface RigOptions {
  /** Fault injection for the harness's own tests: see `SubscriberOptions.dropOne`. Default 0. */
  dropOne?: number;
  /** Load processes the subscribers are spread over (`SubscriberOptions.workers`); default 0, this process. */
  loadWorkers?: number;
}

/** Topic names of a run: `lobby` alone, or `room-1` … `room-N`. */
export function topicNames(count: number): string[] {
  return count === 1 ? ['lobby'] : Array.from({ length: count }, (_, i) => `room-${i + 1}`);
}

/** What a plan's protocol and tabs ask of its subscribers (`SubscriberOptions`): none for plaintext HTTP/1.1 without tabs. */
function subscriberProtocol(plan: RunPlan): { protocol?: LoadProtocol; oneBrowser?: boolean; readyWithinMs?: number } {
  return {
    ...(plan.protocol === undefined ? {} : { protocol: plan.protocol }),
    // A tab that gets no connection (the 7th over HTTP/1.1) is what a tabs row measures: go on without it.
    ...(plan.tabs === undefined ? {} : { oneBrowser: true, readyWithinMs: 3000 }),
  };
}

/** Starts the server a plan measures: pushlab's, or the peer's own program; pinned to core 0. */
export function startTarget(plan: RunPlan, flags: ServerFlags): Promise<ServerProcess> {
  if (plan.processes !== undefined) {
    // Socket.IO's two transports on its Redis adapter; polling shows what no sticky sessions do to it.
    if (plan.peer !== undefined && !plan.peer.startsWith('socketio-')) throw new RangeError(`${plan.peer} has no scale-out variant`);
    return startScaleOut({ processes: plan.processes, target: plan.peer === undefined ? 'pushlab' : 'socketio', flags });
  }
  if (plan.peer === undefined) return startServerProcess(flags);
  return startPeerProcess(peers[plan.peer].server, {
    core: 0,
    heartbeatMs: flags.heartbeatMs,
    pingMs: flags.pingMs,
    streamMaxBytes: flags.streamMaxBytes,
    ...(flags.cpuShare === undefined ? {} : { cpuShare: flags.cpuShare }),
  });
}

/** The label of a plan's samples in `/metrics`: the technique, or the peer id on a peer server. */
export function labelOf(plan: RunPlan): string {
  return plan.peer ?? plan.technique;
}

/** What `openRig` opened, so far: closed by `closeRig` whether or not the rig was completed. */
export interface RigParts {
  server: ServerProcess;
  proxy?: ProxyProcess;
  subscribers?: Subscribers;
  stalled?: Stalled;
}

/**
 * Sets up `plan`'s rig on `parts.server`: the proxy, the idle read, the subscribers (each
 * subscribed), the connected read, the stalled connections. Fills `parts` as it goes, so the
 * caller can close what was opened if a step fails.
 */
export async function openRig(
  plan: RunPlan,
  parts: RigParts,
  progress: (event: ProgressEvent) => void,
  options: RigOptions = {},
): Promise<Rig> {
  const { server } = parts;
  const notes: string[] = [];
  const topics = topicNames(plan.topics);
  // Subscribers reach the server through the network's delay proxy (it inherits this
  // process's core); the publisher and /metrics go direct, so only delivery pays the network.
  if (plan.network !== undefined) {
    const target = new URL(server.url);
    parts.proxy = await startProxyProcess({ target: { host: target.hostname, port: Number(target.port) }, profile: plan.network });
  }
  const { proxy } = parts;
  await sleep(100);
  await server.collectGarbage();
  const serverIdle = await server.metrics();

  progress({ type: 'phase', run: plan.key, phase: 'connect', total: plan.clients, unit: 'clients' });
  // Clients that never subscribe (a peer that needs sticky sessions behind round robin) are
  // closed when the wait gives up, or they would go on reconnecting after the row failed.
  const connecting = new AbortController();
  const subscribers = await withTimeout(
    openSubscribers(
      {
        // Under TLS the proxy passes the ciphertext through: only the scheme differs.
        baseUrl: proxy === undefined ? server.url : server.url.startsWith('https:') ? proxy.url.replace(/^http:/, 'https:') : proxy.url,
        technique: plan.technique,
        ...(plan.peer === undefined ? {} : { peer: plan.peer }),
        clients: plan.clients,
        topics,
        intervalMs: plan.intervalMs,
        holdMs: plan.holdMs,
        dropOne: options.dropOne,
        ...(options.loadWorkers === undefined ? {} : { workers: options.loadWorkers }),
        ...(server.cpuBudget === undefined ? {} : { serverShare: server.cpuBudget.share }),
        churnMeanMs: plan.faults?.churnMeanMs,
        recordArrivals: plan.faults?.restartAtMs !== undefined,
        ...subscriberProtocol(plan),
        // Connection-state recovery lives in socket.io-client, not in the lean client.
        ...(plan.processes === undefined ? {} : { socketioClient: 'official' as const }),
        signal: connecting.signal,
      },
      (ready) => progress({ type: 'update', value: ready }),
    ),
    15_000 + 20 * plan.clients + 4 * (plan.network?.rttMs ?? 0) * Math.ceil(plan.clients / 50),
    `waiting for ${plan.clients} ${plan.key} clients to subscribe`,
  ).catch((error: unknown) => {
    connecting.abort();
    throw error;
  });
  parts.subscribers = subscribers;
  if (server.cpuBudget !== undefined)
    notes.push(
      `the server ran under a CPU budget of ${server.cpuBudget.share} of one core (a CFS quota); its CPU per delivery is measured as ever, and its deliveries/s are what that budget serves`,
    );
  progress({ type: 'phase-end' });
  // Let the server settle before reading its memory with every client connected and idle,
  // after a full collection: what the connections hold, not the garbage connecting made.
  await sleep(Math.min(500, 100 + plan.clients));
  await server.collectGarbage();
  const serverConnected = await server.metrics();
  const stalledShare = plan.faults?.stalledShare;
  if (stalledShare !== undefined) {
    if (stallable.includes(plan.technique)) {
      parts.stalled = await openStalled(server.url, plan.technique, topics, Math.max(1, Math.round(plan.clients * stalledShare)));
    } else {
      notes.push(`${plan.technique} holds no stream a client could stop reading: the slow-consumer fault does not apply`);
    }
  }
  const { stalled } = parts;
  if (plan.faults?.failoverAtMs !== undefined && plan.processes === undefined)
    notes.push('one process: the failover fault needs another to fail over to and does not apply');
  const topology = plan.processes === undefined ? undefined : (server as ScaleOut);
  return {
    ...(topology === undefined ? {} : { topology }),
    plan,
    server,
    topics,
    subscribers,
    serverIdle,
    serverConnected,
    notes,
    progress,
    ...(proxy === undefined ? {} : { proxy }),
    ...(stalled === undefined ? {} : { stalled }),
  };
}

/** Closes what `openRig` opened and stops the server (`rig.server` when a restart replaced it). */
export async function closeRig(parts: RigParts, rig: Rig | undefined): Promise<void> {
  parts.stalled?.close();
  parts.subscribers?.close();
  await parts.proxy?.close();
  await (rig?.server ?? parts.server).stop();
}
