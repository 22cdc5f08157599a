import type { Command } from 'commander';
import { HiveError } from '../../../shared/errors.js';
import type { CliContext } from '../context.js';
import { decimal } from '../format.js';
import os from 'node:os';

/** `hive serve`: the headless host — the core, the local API and the browser UI, until SIGINT/SIGTERM. */
export function registerServeCommands(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('run the hive headless: the API for `hive` commands and agents, and the UI in any browser')
    .option('--port <port>', 'port (0 = any free port)', '4780')
    .option('--host <host>', 'address to bind (loopback by default)', '127.0.0.1')
    .option('--allow-remote', 'allow a non-loopback --host (anyone with the token gets full control)')
    .option('--redis <url>', 'Redis for messaging (default: $HIVE_REDIS_URL, else in-process)')
    .option('--log-level <level>', 'log level of <data-dir>/logs/hive.log: fatal, error, warn, info, debug, trace or silent (default: $HIVE_LOG_LEVEL, else the logLevel setting, else info)')
    .action(async (opts: { port: string; host: string; allowRemote?: boolean; redis?: string; logLevel?: string }) => {
      const port = decimal(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new HiveError('INVALID_INPUT', `--port takes a number from 0 to 65535, not ${JSON.stringify(opts.port)}.`);
      }
      // Loaded here, not at the top: every other command only needs the small API client.
      const { startHost } = await import('../../host/start-host.js');
      const { parseLogLevel } = await import('../../core/observability/log-file.js');
      const host = await startHost({
        logLevel: opts.logLevel ? parseLogLevel(opts.logLevel, '--log-level') : undefined,
        // Readable lines on a terminal; a service manager or a pipe gets only the file.
        prettyLog: process.stdout.isTTY ? process.stdout : null,
        dataDir: ctx.dataDir(),
        port,
        host: opts.host,
        allowRemote: opts.allowRemote,
        redisUrl: opts.redis || process.env.HIVE_REDIS_URL || null,
      });
      const { adopted, crashed } = host.reconciled;
      // Bound to every interface: 0.0.0.0 is no address to open; this machine's loopback and its network
      // addresses are (the API answers under those names only).
      const wildcard = host.server.host === '0.0.0.0' || host.server.host === '::';
      const token = new URL(host.uiUrl).searchParams.get('token') ?? '';
      const addresses = Object.values(os.networkInterfaces())
        .flat()
        .flatMap((i) => (i && !i.internal && i.family === 'IPv4' ? [i.address] : []));
      const ui = wildcard
        ? `Open the UI: http://127.0.0.1:${host.server.port}/?token=${token}\n` +
          (addresses.length ? `From another machine: ${addresses.map((a) => `http://${a}:${host.server.port}/?token=${token}`).join('  ')}\n` : '')
        : `Open the UI: ${host.uiUrl}\n`;
      process.stdout.write(
        `Agent Hive is running for ${host.core.dataDir}\n` +
          ui +
          (adopted.length ? `Re-attached to ${adopted.length} running agent(s): ${adopted.join(', ')}\n` : '') +
          (crashed.length ? `Recovering ${crashed.length} agent(s) that vanished while no host ran: ${crashed.join(', ')}\n` : '') +
          `Logs: ${host.core.dataDir}/logs/hive.log (\`hive logs --follow\`); metrics: GET ${host.server.url}/metrics with the token.\n` +
          'Press Ctrl+C to stop the host (agents in tmux keep running).\n',
      );
      let closing = false;
      const shutdown = (signal: string) => {
        if (closing) return;
        closing = true;
        process.stdout.write(`\n${signal}: stopping the host; agents keep running.\n`);
        void host.close().then(
          () => process.exit(0),
          (err: Error) => {
            process.stderr.write(`hive: shutdown error: ${err.message}\n`);
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      await new Promise(() => {});
    });
}
