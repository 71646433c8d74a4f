/**
 * `tsx bench/network-cli.ts check [--profile <name>]`: measures each profile's round trip and
 * rate through the delay proxy and prints promised against measured.
 * `tsx bench/network-cli.ts proxy --target <host:port> --profile <name>`: runs a proxy to try by hand.
 */
import { Command, InvalidArgumentError } from 'commander';
import { checkNetwork, type NetworkCheck } from './network/check.ts';
import { NetworkProfileError, profileNames, profiles, resolveProfile } from './network/profiles.ts';
import { createDelayProxy } from './network/proxy.ts';
import { integerOption } from './cli-options.ts';
import { formatChecks, formatRate } from './network/check-table.ts';

const positiveInt = integerOption(1);

/** A stock name, or inline JSON (`'{"rttMs":50}'`). */
function profileArgument(value: string): string {
  try {
    resolveProfile(value.trim().startsWith('{') ? JSON.parse(value) : value, '--profile');
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return value;
}

const parseProfile = (value: string): unknown => (value.trim().startsWith('{') ? JSON.parse(value) : value);

const program = new Command('network')
  .description('Network profiles and the user-space delay proxy that emulates them')
  .showHelpAfterError('(add --help for usage)');

program
  .command('check')
  .description('measure the RTT (ping-pong through the proxy) and the rate each way of one or all profiles')
  .option('--profile <name|json>', `a profile: ${profileNames.join(', ')}, or inline JSON; default all`, profileArgument)
  .option('--rounds <n>', 'round trips measured per profile', positiveInt, 20)
  .option('--target-ms <ms>', 'aim each rate check at about this long at the cap', positiveInt, 2000)
  .option('--no-throughput', 'skip the rate checks')
  .option('--json', 'print the checks as JSON instead of a table')
  .action(async (options: { profile?: string; rounds: number; targetMs: number; throughput: boolean; json?: boolean }) => {
    const selected =
      options.profile === undefined
        ? profileNames.map((name) => profiles[name])
        : [resolveProfile(parseProfile(options.profile), '--profile')];
    const checks: NetworkCheck[] = [];
    for (const profile of selected) {
      if (!options.json) process.stderr.write(`checking ${profile.name}…\n`);
      checks.push(await checkNetwork(profile, { rounds: options.rounds, targetMs: options.targetMs, throughput: options.throughput }));
    }
    process.stdout.write(options.json ? `${JSON.stringify(checks, null, 2)}\n` : `${formatChecks(checks)}\n`);
  });

program
  .command('proxy')
  .description('run a delay proxy in front of a server until interrupted')
  .requiredOption('--target <host:port>', 'the server, such as 127.0.0.1:3000')
  .option('--profile <name|json>', 'the network to emulate', profileArgument, 'broadband')
  .option('--port <port>', 'where the proxy listens; default a free port', (value) => Number(value), 0)
  .option('--host <host>', 'where the proxy listens', '127.0.0.1')
  .action(async (options: { target: string; profile: string; port: number; host: string }) => {
    const match = /^(.+):(\d+)$/.exec(options.target);
    if (match === null) throw new InvalidArgumentError('--target must be host:port');
    const proxy = await createDelayProxy({
      target: { host: match[1]!, port: Number(match[2]) },
      profile: resolveProfile(parseProfile(options.profile), '--profile'),
      listenHost: options.host,
      listenPort: options.port,
    });
    const p = proxy.profile;
    process.stdout.write(
      `delay proxy on ${proxy.url} → ${options.target} as ${p.name}: RTT ${p.rttMs} ms, down ${formatRate(p.downBitsPerSecond)}, up ${formatRate(p.upBitsPerSecond)}, loss ${p.lossRate * 100}%\n`,
    );
    const stop = (): void => {
      const stats = proxy.stats();
      process.stdout.write(
        `${stats.connections} connections, ${stats.bytesUp} B up, ${stats.bytesDown} B down, proxy busy ${stats.busyMs.toFixed(0)} ms\n`,
      );
      void proxy.close().then(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`${error instanceof NetworkProfileError ? error.message : String(error)}\n`);
  process.exit(1);
});
