import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Engine } from '../../../shared/contract/engines.js';
import { HiveError } from '../../../shared/errors.js';
import type { CliContext } from '../context.js';
import { ago, formatTable } from '../format.js';

/** A PEM file's content for `engines add` (sent to the host, which keeps it in its database). */
function readPem(file: string | undefined, what: string): string | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(path.resolve(file), 'utf8');
  } catch (err) {
    throw new HiveError('INVALID_INPUT', `Cannot read the ${what} file ${file}: ${(err as Error).message}.`);
  }
}

function gib(bytes: number | null): string {
  return bytes === null ? '-' : `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

/** `hive engines add|list|remove`: the Docker engines agents can run on. */
export function registerEngineCommands(program: Command, ctx: CliContext): void {
  const engines = program.command('engines').description('the Docker engines agents run on: this machine\'s (local) and others over TCP+TLS or SSH');

  engines
    .command('add')
    .description('add a Docker engine (checked: it must answer)')
    .argument('<name>', 'a short name: lower-case letters, digits, - and _')
    .requiredOption('--url <url>', 'unix:///path/docker.sock | tcp://HOST:PORT (TLS files required unless loopback) | ssh://USER@HOST[:PORT]')
    .option('--tls-ca <file>', 'tcp://: the CA certificate that signed the engine\'s certificate')
    .option('--tls-cert <file>', 'tcp://: this client\'s certificate')
    .option('--tls-key <file>', 'tcp://: this client\'s private key')
    .option('--json', 'print the engine as JSON')
    .action(async (name: string, o: { url: string; tlsCa?: string; tlsCert?: string; tlsKey?: string; json?: boolean }) => {
      const e = await ctx.api().invoke('engines:add', {
        name,
        url: o.url,
        tlsCa: readPem(o.tlsCa, 'CA certificate'),
        tlsCert: readPem(o.tlsCert, 'client certificate'),
        tlsKey: readPem(o.tlsKey, 'client key'),
      });
      ctx.print(e, o, (v: Engine) => `Engine ${v.name} added: Docker ${v.serverVersion ?? '?'}, ${v.cpus ?? '?'} CPUs, ${gib(v.memoryBytes)}. Run agents there with: hive agents spawn --backend docker --engine ${v.name} …`);
    });

  engines
    .command('list')
    .alias('ls')
    .description('every engine: reachable, version, CPUs, memory, running agents, last error')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const list = await ctx.api().invoke('engines:list', {});
      ctx.print(list, o, () =>
        formatTable(
          ['NAME', 'URL', 'REACHABLE', 'VERSION', 'CPUS', 'MEMORY', 'RUNNING', 'AGENTS', 'ERROR'],
          list.map((e) => [
            e.name,
            e.url,
            e.reachable ? 'yes' : e.unreachableSince ? `no (since ${ago(e.unreachableSince)})` : 'no',
            e.serverVersion ?? '-',
            e.cpus ?? '-',
            gib(e.memoryBytes),
            e.runningAgents,
            e.agents,
            e.lastError ?? '',
          ]),
        ),
      );
    });

  engines
    .command('remove')
    .alias('rm')
    .description('forget an engine (refused while agents are placed on it)')
    .argument('<name>')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { json?: boolean }) => {
      const r = await ctx.api().invoke('engines:remove', { name });
      ctx.print(r, o, () => `Engine ${name} removed.`);
    });
}
