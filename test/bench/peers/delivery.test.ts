/**
 * Every peer id over the wire: its server as its own process (port 0), three of its load
 * clients, twenty publishes (with `</script>`, U+2028 and U+2029 in the payload); each
 * client must get each envelope exactly once, in order, with its data; the server's
 * `/metrics` must count them; and the servers must exit 0 on SIGTERM with clients connected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../../bench/clients/base.ts';
import { createPeerClient, type PeerClient, type PeerClientChoice } from '../../../bench/peers/clients/index.ts';
import { peerIds, peerServerNames, peers, type PeerId, type PeerServerName } from '../../../registry/peers.ts';
import { startPeerProcess, type PeerProcess } from '../../../bench/peers/process.ts';
import { metricValue } from '../../../bench/processes/prometheus.ts';
import { until } from '../../helpers/server.ts';

const servers = new Map<PeerServerName, PeerProcess>();

beforeAll(async () => {
  const started = await Promise.all(peerServerNames.map((name) => startPeerProcess(name)));
  for (const server of started) servers.set(server.name, server);
});

afterAll(async () => {
  await Promise.all([...servers.values()].map((server) => server.stop()));
});

function serverOf(peer: PeerId): PeerProcess {
  const server = servers.get(peers[peer].server);
  if (server === undefined) throw new Error(`no ${peers[peer].server} server`);
  return server;
}

async function publish(url: string, topic: string, data: unknown): Promise<{ id: number; topic: string }> {
  const response = await fetch(`${url}/api/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ topic, data }),
  });
  expect(response.status).toBe(202);
  return (await response.json()) as { id: number; topic: string };
}

interface Recorder {
  client: PeerClient;
  messages: Envelope[];
  errors: Error[];
}

function connect(peer: PeerId, url: string, topic: string, choice: PeerClientChoice = {}): Recorder {
  const messages: Envelope[] = [];
  const errors: Error[] = [];
  const client = createPeerClient(
    peer,
    { baseUrl: url, topic, reconnectMs: 20, maxReconnectMs: 200 },
    { onMessage: (message) => messages.push(message), onError: (error) => errors.push(error) },
    choice,
  );
  return { client, messages, errors };
}

const payload = (n: number) => ({ n, text: `a</script><script>x()</script> \u2028 \u2029 "q" \\ é 😀 #${n}` });

/** Every peer id, and the lean Socket.IO client as a variant of `socketio-websocket`. */
const cases: [string, PeerId, PeerClientChoice][] = [
  ...peerIds.map((peer): [string, PeerId, PeerClientChoice] => [peer, peer, {}]),
  ['socketio-websocket (lean client)', 'socketio-websocket', { socketio: 'lean' }],
];

describe.each(cases)('%s', (name, peer, choice) => {
  it('delivers every envelope to every client exactly once, in order', async () => {
    const server = serverOf(peer);
    const topic = `t-${name.replace(/[^a-z-]/g, '')}`;
    const recorders = [0, 1, 2].map(() => connect(peer, server.url, topic, choice));
    try {
      await Promise.all(recorders.map((r) => r.client.ready));
      for (const r of recorders) {
        expect(r.client.cursor).toMatch(/^[a-z0-9]+:0$/);
        expect(r.client.peer).toBe(peer);
        expect(r.client.technique).toBe(peers[peer].technique);
      }
      const before = await server.metricsText();
      for (let n = 1; n <= 20; n++) {
        const ack = await publish(server.url, topic, payload(n));
        expect(ack).toEqual({ id: n, topic });
      }
      await until(() => recorders.every((r) => r.messages.length >= 20), `20 messages at each ${peer} client`, 10_000);
      // Anything late or doubled would show up here.
      await new Promise((resolve) => setTimeout(resolve, 100));
      for (const r of recorders) {
        expect(r.messages.map((m) => m.id)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        expect(r.messages.map((m) => m.data)).toEqual(Array.from({ length: 20 }, (_, i) => payload(i + 1)));
        for (const m of r.messages) {
          expect(m.topic).toBe(topic);
          expect(typeof m.t).toBe('number');
        }
        expect(r.client.cursor).toMatch(/^[a-z0-9]+:20$/);
        expect(r.errors).toEqual([]);
      }
      const after = await server.metricsText();
      const delta = (name: string) => (metricValue(after, name, peer) ?? NaN) - (metricValue(before, name, peer) ?? NaN);
      expect(delta('pushlab_messages_delivered_total')).toBe(60);
      expect(delta('pushlab_bytes_written_total')).toBeGreaterThan(60 * 60);
      expect(metricValue(after, 'pushlab_open_connections', peer)).toBe(3);
      expect(metricValue(after, 'process_cpu_seconds_total')).toBeGreaterThan(0);
      expect(metricValue(after, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    } finally {
      for (const r of recorders) r.client.close();
    }
  });
});

describe('the peer servers', () => {
  it('answer a bad publish with 4xx and count publishes apart from deliveries', async () => {
    const server = serverOf('baseline');
    const bad = await fetch(`${server.url}/api/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"topic":"no spaces","data":1}',
    });
    expect(bad.status).toBe(400);
    const notJson = await fetch(`${server.url}/api/publish`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(notJson.status).toBe(415);
    const text = await server.metricsText();
    expect(metricValue(text, 'pushlab_requests_total', 'publish')).toBeGreaterThan(0);
    expect(metricValue(text, 'pushlab_bytes_read_total', 'publish')).toBeGreaterThan(0);
  });

  it('exit 0 on SIGTERM with clients still connected', async () => {
    const connected = peerIds.map((peer) => connect(peer, serverOf(peer).url, 'bye'));
    try {
      await Promise.all(connected.map((r) => r.client.ready));
      const codes = await Promise.all([...servers.values()].map((server) => server.stop()));
      expect(codes).toEqual([0, 0, 0]);
    } finally {
      for (const r of connected) r.client.close();
    }
  });
});
