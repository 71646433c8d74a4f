/**
 * `npm start`: serves pushlab on PORT (default 3000) and --host (default 127.0.0.1).
 * `--port 0` picks a free port; the first line printed is always `pushlab listening on <url>`.
 */
import { Command, InvalidArgumentError } from 'commander';
import { createPushServer } from './app.ts';
import { defaultOptions } from './options.ts';

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
  .option('-p, --port <port>', 'port to listen on; 0 picks a free one (env PORT)', integer(0, 65535), process.env.PORT ? integer(0, 65535)(process.env.PORT) : 3000)
  .option('-H, --host <host>', 'address to listen on', process.env.HOST ?? '127.0.0.1')
  .option('--replay <messages>', 'messages kept per topic for resume', integer(1), defaultOptions.replayCapacity)
  .option('--max-buffered <bytes>', 'unsent bytes before a slow streaming client is cut off', integer(1), defaultOptions.maxBufferedBytes)
  .option('--iframe-max-bytes <bytes>', 'bytes per iframe response before the client must reconnect', integer(1), defaultOptions.iframeMaxBytes)
  .option('--heartbeat <ms>', 'SSE and iframe heartbeat interval', integer(1), defaultOptions.heartbeatMs)
  .option('--ping <ms>', 'WebSocket ping interval', integer(1), defaultOptions.pingMs)
  .option('--ws-deflate', 'turn on WebSocket per-message deflate', false)
  .option('--max-connections <n>', 'open held/streaming connections in all (past it: 503, WebSocket close 1013)', integer(1), defaultOptions.maxConnections)
  .option('--max-connections-per-address <n>', 'open held/streaming connections from one client address', integer(1), defaultOptions.maxConnectionsPerAddress)
  .option('--publish-rate <per-second>', 'publishes per second per address (429 past it); 0 for no limit', integer(0), defaultOptions.publishRatePerSecond)
  .option('--publish-burst <n>', 'publishes one address may make at once', integer(1), defaultOptions.publishBurst)
  .option('--allow-origin <origins>', 'comma-separated origins besides our own that may use the API and WebSockets; * for any (env ALLOWED_ORIGINS)', process.env.ALLOWED_ORIGINS ?? '')
  .option('--trust-proxy', 'take client addresses from X-Forwarded-For (only behind your own proxy)', false)
  .addHelpText('after', '\nEnvironment: PORT, HOST, ALLOWED_ORIGINS, and PUBLISH_TOKEN (when set, publishing needs Authorization: Bearer <token>).')
  .showHelpAfterError();

const flags = program.parse().opts<{
  port: number;
  host: string;
  replay: number;
  maxBuffered: number;
  iframeMaxBytes: number;
  heartbeat: number;
  ping: number;
  wsDeflate: boolean;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  publishRate: number;
  publishBurst: number;
  allowOrigin: string;
  trustProxy: boolean;
}>();

let push: ReturnType<typeof createPushServer>;
try {
  push = createPushServer({
    replayCapacity: flags.replay,
    maxBufferedBytes: flags.maxBuffered,
    iframeMaxBytes: flags.iframeMaxBytes,
    heartbeatMs: flags.heartbeat,
    pingMs: flags.ping,
    wsPerMessageDeflate: flags.wsDeflate,
    maxConnections: flags.maxConnections,
    maxConnectionsPerAddress: flags.maxConnectionsPerAddress,
    publishRatePerSecond: flags.publishRate,
    publishBurst: flags.publishBurst,
    publishToken: process.env.PUBLISH_TOKEN || undefined,
    allowedOrigins: flags.allowOrigin.split(',').map((origin) => origin.trim()).filter((origin) => origin !== ''),
    trustProxy: flags.trustProxy,
  });
} catch (error) {
  console.error(`pushlab: ${(error as Error).message}`);
  process.exit(2);
}

try {
  const url = await push.listen(flags.port, flags.host);
  console.log(`pushlab listening on ${url}`);
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
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
