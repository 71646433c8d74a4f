/**
 * A peer server as its own process (`node --import tsx bench/peers/<name>-server.ts --port 0`),
 * pinned to `core` with `taskset` where it exists, as the benchmark runs pushlab's server.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnServer, type ServerFlags, type ServerProcess } from '../processes/server.ts';
import type { PeerServerName } from '../../registry/peers.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** The program of a peer server. */
export function peerServerScript(name: PeerServerName): string {
  return resolve(here, 'servers', `${name}-server.ts`);
}

/** How to start a peer server process. */
export interface PeerProcessOptions extends Omit<ServerFlags, 'port'> {
  /** Pin to this core with `taskset` when it exists and there are two cores or more; default no pinning. */
  core?: number;
}

/** A running peer server process: a `ServerProcess` that also gives its `/metrics` as text. */
export interface PeerProcess extends ServerProcess {
  readonly name: PeerServerName;
  /** The text of `GET /metrics`. */
  metricsText(): Promise<string>;
}

/** Starts the peer server `name` on a free port; resolves once it prints its URL. */
export async function startPeerProcess(name: PeerServerName, options: PeerProcessOptions = {}): Promise<PeerProcess> {
  const args = ['--port', '0'];
  if (options.heartbeatMs !== undefined) args.push('--heartbeat', String(options.heartbeatMs));
  if (options.pingMs !== undefined) args.push('--ping', String(options.pingMs));
  if (options.streamMaxBytes !== undefined) args.push('--stream-max-bytes', String(options.streamMaxBytes));
  const server = await spawnServer({
    script: peerServerScript(name),
    args,
    name,
    core: options.core,
    ...(options.cpuShare === undefined ? {} : { cpuShare: options.cpuShare }),
  });
  return {
    ...server,
    name,
    async metricsText() {
      const response = await fetch(`${server.url}/metrics`);
      if (response.status !== 200) throw new Error(`GET /metrics: ${response.status}`);
      return response.text();
    },
  };
}
