/**
 * `npm start`: serves pushlab on PORT (default 3000) and --host (default 127.0.0.1).
 * `--port 0` picks a free port; the first line printed is always `pushlab listening on <url>`,
 * then one line per page with its URL.
 * `--tls`: HTTPS on the same port (HTTP/2 by ALPN, HTTP/1.1 beside it), a self-signed
 * certificate made at start unless `--cert`/`--key` name PEM files.
 */
import { Command, InvalidArgumentError } from 'commander';
import { createPushServer } from './app.ts';
import { defaultOptions, type TrustProxy } from './options.ts';
import { readFdLimit } from './fd-limit.ts';
import { techniqueIds } from '../registry/techniques.ts';
import { createHubFor, hubSpecOf, isRedisSpec, redactUrl } from './hub-select.ts';
import { announceListening, isClusterPrimary, isClusterWorker, runPrimary } from './cluster.ts';
import { createSelfSignedCredentials, readCredentials, type TlsCredentials } from './tls.ts';
import { collectGarbageOnSignal } from './gc-on-signal.ts';

/** `--trust-proxy`: bare, one hop; a number, that many hops; else a comma-separated list of proxy addresses or subnets. */
function trustProxy(value: string | true): TrustProxy {
  if (value === true) return 1;
  if (/^\d+$/.test(value)) {
    if (Number(value) < 1) throw new InvalidArgumentError('expected a number of hops (1 or more) or a list of proxy addresses');
    return Number(value);
  }
  const list = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (list.length === 0) throw new InvalidArgumentError('expected a number of hops or a list of proxy addresses');
  return list;
}

const list = (value: string): string[] =>
  value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');

/** What `npm start` lists under its first line: each page and its path. */
const pagePaths: readonly (readonly [string, string])[] = [
  ['playground', '/'],
  ...techniqueIds.map((technique) => [technique, `/demo/${technique}`] as const),
  ['chat', '/chat'],
];

function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    }
    return Number(value);
  };
}

const program = new Command('pushlab')
  .description('Serve the six push techniques, their demo pages and the playground.')
  .option(
    '-p, --port <port>',
    'port to listen on; 0 picks a free one (env PORT)',
    integer(0, 65535),
    process.env.PORT ? integer(0, 65535)(process.env.PORT) : 3000,
  )
  .option('-H, --host <host>', 'address to listen on', process.env.HOST ?? '127.0.0.1')
  .option('--replay <messages>', 'messages kept per topic for resume', integer(1), defaultOptions.replayCapacity)
  .option(
    '--replay-bytes <bytes>',
    'bytes of retained messages, all topics together; the oldest are evicted first',
    integer(1),
    defaultOptions.replayBytes,
  )
  .option('--max-topics <n>', 'topics kept at once; a new one past it gets 503 + Retry-After', integer(1), defaultOptions.maxTopics)
  .option('--max-buffered <bytes>', 'unsent bytes before a slow streaming client is cut off', integer(1), defaultOptions.maxBufferedBytes)
  .option(
    '--max-poll-bytes <bytes>',
    'bytes per poll answer (short-poll, long-poll, JSONP); the rest follows with "more": true',
    integer(1),
    defaultOptions.maxPollBytes,
  )
  .option(
    '--catch-up-stall <ms>',
    'how long a stream replaying to a client that stopped reading waits before cutting it off',
    integer(1),
    defaultOptions.catchUpStallMs,
  )
  .option(
    '--iframe-max-bytes <bytes>',
    'bytes per iframe response at most before the client must reconnect (each ends between 75 % and 100 % of it)',
    integer(1),
    defaultOptions.iframeMaxBytes,
  )
  .option('--heartbeat <ms>', 'SSE and iframe heartbeat interval', integer(1), defaultOptions.heartbeatMs)
  .option('--ping <ms>', 'WebSocket ping interval', integer(1), defaultOptions.pingMs)
  .option('--ws-deflate', 'turn on WebSocket per-message deflate', false)
  .option(
    '--max-connections <n>',
    'open held/streaming connections in all (past it: 503, WebSocket close 1013); default: the file-descriptor limit less a reserve',
    integer(1),
    defaultOptions.maxConnections,
  )
  .option(
    '--max-connections-per-address <n>',
    'open held/streaming connections from one client address',
    integer(1),
    defaultOptions.maxConnectionsPerAddress,
  )
  .option(
    '--publish-rate <per-second>',
    'publishes per second per address (429 past it); 0 for no limit',
    integer(0),
    defaultOptions.publishRatePerSecond,
  )
  .option('--publish-burst <n>', 'messages one address may publish at once', integer(1), defaultOptions.publishBurst)
  .option(
    '--auth-failures <per-minute>',
    'wrong publish tokens one address may send per minute (429 past it)',
    integer(1),
    defaultOptions.authFailuresPerMinute,
  )
  .option(
    '--allow-origin <origins>',
    'comma-separated origins besides our own that may use the API and WebSockets; * for any (env ALLOWED_ORIGINS)',
    process.env.ALLOWED_ORIGINS ?? '',
  )
  .option(
    '--allow-host <names>',
    'comma-separated Host names answered besides localhost, 127.0.0.1 and [::1] while bound to loopback (env ALLOWED_HOSTS)',
    process.env.ALLOWED_HOSTS ?? '',
  )
  .option(
    '--trust-proxy [hops|addresses]',
    'take the client address from X-Forwarded-For: the right-most hop not one of these proxies (a count, or addresses/subnets; bare: 1 hop)',
    trustProxy,
    false as TrustProxy,
  )
  .option(
    '--max-json-depth <levels>',
    'deepest nesting of a publish body or WebSocket frame (400 / close 1008 past it)',
    integer(1, 1000),
    defaultOptions.maxJsonDepth,
  )
  .option(
    '--metrics-cache <ms>',
    '/metrics is rendered at most once per this many ms; 0 renders every scrape',
    integer(0),
    defaultOptions.metricsCacheMs,
  )
  .option(
    '--tls',
    'serve HTTPS: HTTP/2 by ALPN with HTTP/1.1 beside it, WebSocket as wss: (self-signed certificate unless --cert/--key)',
    false,
  )
  .option('--cert <file>', 'PEM certificate (chain) for --tls; needs --key')
  .option('--key <file>', 'PEM private key for --tls; needs --cert')
  .option(
    '--hub <memory|redis-url>',
    'where topics live: memory (default), or redis://host:port shared by several processes (env REDIS_URL)',
  )
  .option('--workers <n>', 'server processes sharing one port (node:cluster); more than 1 needs a Redis hub', integer(1, 64), 1)
  .addHelpText(
    'after',
    '\nEnvironment: PORT, HOST, ALLOWED_ORIGINS, ALLOWED_HOSTS, REDIS_URL, PUBLISH_TOKEN (when set, publishing needs Authorization: Bearer <token>)\nand METRICS_TOKEN (when set, /metrics needs Authorization: Bearer <token>).',
  )
  .showHelpAfterError();

const flags = program.parse().opts<{
  port: number;
  host: string;
  replay: number;
  replayBytes: number;
  maxTopics: number;
  maxBuffered: number;
  maxPollBytes: number;
  catchUpStall: number;
  iframeMaxBytes: number;
  heartbeat: number;
  ping: number;
  wsDeflate: boolean;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  publishRate: number;
  publishBurst: number;
  authFailures: number;
  allowOrigin: string;
  allowHost: string;
  /** `true` for a bare `--trust-proxy` (commander does not call the parser then). */
  trustProxy: TrustProxy | true;
  maxJsonDepth: number;
  metricsCache: number;
  tls: boolean;
  cert?: string;
  key?: string;
  hub: string | undefined;
  workers: number;
}>();

if (isClusterPrimary(flags.workers)) {
  const spec = hubSpecOf(flags.hub);
  if (!isRedisSpec(spec)) {
    console.error('pushlab: --workers needs a shared hub: --hub redis://host:port (or REDIS_URL); the in-memory hub is one per process');
    process.exit(2);
  }
  if (flags.tls && flags.cert === undefined) {
    // Each worker would make a certificate of its own, and a browser would meet a new one per connection.
    console.error('pushlab: --workers with --tls needs --cert and --key');
    process.exit(2);
  }
  process.exit(await runPrimary(flags.workers, redactUrl(spec)));
}

/** The TLS credentials the flags ask for, or undefined for plaintext HTTP/1.1. */
async function credentialsOf(): Promise<TlsCredentials | undefined> {
  if ((flags.cert === undefined) !== (flags.key === undefined)) throw new Error('--cert and --key go together');
  if (!flags.tls) {
    if (flags.cert !== undefined) throw new Error('--cert and --key need --tls');
    return undefined;
  }
  return flags.cert !== undefined && flags.key !== undefined ? readCredentials(flags.cert, flags.key) : createSelfSignedCredentials();
}

let tls: TlsCredentials | undefined;
try {
  tls = await credentialsOf();
} catch (error) {
  console.error(`pushlab: ${(error as Error).message}`);
  process.exit(2);
}

let hub: Awaited<ReturnType<typeof createHubFor>>;
try {
  hub = await createHubFor(hubSpecOf(flags.hub), flags.replay, flags.maxTopics);
} catch (error) {
  console.error(`pushlab: ${(error as Error).message}`);
  process.exit(error instanceof RangeError ? 2 : 1);
}

let push: ReturnType<typeof createPushServer>;
try {
  push = createPushServer({
    hub,
    replayCapacity: flags.replay,
    replayBytes: flags.replayBytes,
    maxTopics: flags.maxTopics,
    maxBufferedBytes: flags.maxBuffered,
    maxPollBytes: flags.maxPollBytes,
    catchUpStallMs: flags.catchUpStall,
    iframeMaxBytes: flags.iframeMaxBytes,
    heartbeatMs: flags.heartbeat,
    pingMs: flags.ping,
    wsPerMessageDeflate: flags.wsDeflate,
    maxConnections: flags.maxConnections,
    maxConnectionsPerAddress: flags.maxConnectionsPerAddress,
    publishRatePerSecond: flags.publishRate,
    publishBurst: flags.publishBurst,
    authFailuresPerMinute: flags.authFailures,
    publishToken: process.env.PUBLISH_TOKEN || undefined,
    metricsToken: process.env.METRICS_TOKEN || undefined,
    allowedOrigins: list(flags.allowOrigin),
    allowedHosts: list(flags.allowHost),
    trustProxy: flags.trustProxy === true ? 1 : flags.trustProxy,
    maxJsonDepth: flags.maxJsonDepth,
    metricsCacheMs: flags.metricsCache,
    tls,
  });
} catch (error) {
  console.error(`pushlab: ${(error as Error).message}`);
  process.exit(2);
}

try {
  const url = await push.listen(flags.port, flags.host);
  announceListening(url);
  if (!isClusterWorker()) {
    // The pages, one per line, so a newcomer can click rather than guess the paths.
    for (const [page, path] of pagePaths) console.log(`  ${page.padEnd(11)} ${url}${path}`);
  }
  const fd = readFdLimit();
  if (fd !== undefined && flags.maxConnections >= fd.soft) {
    console.warn(
      `pushlab: --max-connections ${flags.maxConnections} is not below the file-descriptor limit ${fd.soft}; past it connections fail unanswered`,
    );
  }
  if (tls !== undefined && flags.cert === undefined)
    console.log('pushlab: TLS with a self-signed certificate made at start: your browser will warn once; HTTP/2 and HTTP/1.1 on this port');
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  console.error(code === 'EADDRINUSE' ? `pushlab: port ${flags.port} is in use; try --port 0` : `pushlab: cannot listen: ${String(error)}`);
  process.exit(1);
}

let stopping = false;
function stop(signal: string): void {
  if (stopping) {
    console.error(`pushlab: ${signal} again, exiting now`);
    process.exit(1);
  }
  stopping = true;
  console.log(`pushlab: ${signal}, shutting down`);
  // The last resort if something holds the loop open: the README promises an exit within 5 s.
  setTimeout(() => process.exit(1), 5000).unref();
  push.close().then(() => process.exit(0));
}
// A worker of --workers N stops when its primary says so (SIGTERM), not on the terminal's Ctrl-C.
process.on('SIGINT', () => (isClusterWorker() ? undefined : stop('SIGINT')));
process.on('SIGTERM', () => stop('SIGTERM'));
collectGarbageOnSignal();
