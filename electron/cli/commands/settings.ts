import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Agent, RestartPolicy, Settings } from '../../../shared/contract/index.js';
import { HiveError } from '../../../shared/errors.js';
import { LogLevel } from '../../../shared/contract/settings.js';
import type { CliContext } from '../context.js';
import { decimal } from '../format.js';

interface PolicyFlags {
  autorestart?: string;
  stopExitCodes?: string;
  initialDelay?: string;
  factor?: string;
  maxDelay?: string;
  minUptime?: string;
  maxRestarts?: string;
  window?: string;
  hangTimeout?: string;
  killTimeout?: string;
}

function withPolicyFlags(cmd: Command): Command {
  return cmd
    .option('--autorestart <on|off>', 'restart after a crash')
    .option('--stop-exit-codes <codes>', 'comma-separated exit codes that mean "stopped", not "crashed"')
    .option('--initial-delay <ms>', 'delay before the first restart')
    .option('--factor <n>', 'backoff factor between quick restarts')
    .option('--max-delay <ms>', 'longest backoff delay')
    .option('--min-uptime <ms>', 'uptime after which the backoff resets')
    .option('--max-restarts <n>', 'restarts within the window before the agent goes to errored')
    .option('--window <ms>', 'the unstable window for --max-restarts')
    .option('--hang-timeout <ms>', 'no heartbeat and no output this long (twice) = hung; 0 = off')
    .option('--kill-timeout <ms>', 'SIGTERM → SIGKILL delay when stopping');
}

function policyFrom(o: PolicyFlags): Partial<RestartPolicy> {
  const num = (v: string | undefined, flag: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = decimal(v);
    if (!Number.isFinite(n) || n < 0) throw new HiveError('INVALID_INPUT', `${flag} takes a non-negative number, not ${JSON.stringify(v)}.`);
    return n;
  };
  const p: Partial<RestartPolicy> = {};
  if (o.autorestart !== undefined) {
    if (!['on', 'off', 'true', 'false'].includes(o.autorestart)) throw new HiveError('INVALID_INPUT', '--autorestart takes on or off.');
    p.autorestart = o.autorestart === 'on' || o.autorestart === 'true';
  }
  if (o.stopExitCodes !== undefined) {
    p.stopExitCodes = o.stopExitCodes.split(',').filter(Boolean).map((c) => {
      const n = decimal(c);
      if (!Number.isInteger(n)) throw new HiveError('INVALID_INPUT', `--stop-exit-codes takes integers like 0,2 — not ${JSON.stringify(c)}.`);
      return n;
    });
  }
  const set = <K extends keyof RestartPolicy>(k: K, v: number | undefined) => {
    if (v !== undefined) (p as Record<string, unknown>)[k] = v;
  };
  set('initialDelayMs', num(o.initialDelay, '--initial-delay'));
  set('factor', num(o.factor, '--factor'));
  set('maxDelayMs', num(o.maxDelay, '--max-delay'));
  set('minUptimeMs', num(o.minUptime, '--min-uptime'));
  set('maxRestarts', num(o.maxRestarts, '--max-restarts'));
  set('unstableWindowMs', num(o.window, '--window'));
  set('hangTimeoutMs', num(o.hangTimeout, '--hang-timeout'));
  set('killTimeoutMs', num(o.killTimeout, '--kill-timeout'));
  return p;
}

function showPolicy(p: RestartPolicy): string {
  return Object.entries(p).map(([k, v]) => `${k.padEnd(18)} ${Array.isArray(v) ? v.join(',') : String(v)}`).join('\n');
}

function showSettings(v: Settings): string {
  return `snapshotRetention  ${v.snapshotRetention}\nredisUrl           ${v.redisUrl ?? '(none: in-process bus)'}\nlogLevel           ${v.logLevel}\nfailover           ${v.failover.enabled ? `on, after ${v.failover.afterSec} s unreachable` : 'off'}\n${showPolicy(v.policyDefaults)}`;
}

/** `hive settings` (defaults for every agent) and `hive agents policy NAME` (one agent's overrides). */
export function registerSettingsCommands(program: Command, ctx: CliContext): void {
  const settings = program
    .command('settings')
    .description('show the settings: the default restart policy, snapshot retention and the Redis URL')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const s = await ctx.api().invoke('settings:get', {});
      ctx.print(s, o, showSettings);
    });
  withPolicyFlags(settings.command('set').description('change the defaults every agent starts from'))
    .option('--retention <n>', 'snapshots kept per agent')
    .option('--redis-url <url>', 'Redis for messaging from the next host start (redis://host:port; "" for the in-process bus)')
    .option('--log-level <level>', `the host's log level, applied at once: ${LogLevel.options.join(', ')}`)
    .option('--failover <on|off>', 'docker agents of an engine that stays unreachable are moved to another engine and started there')
    .option('--failover-after <seconds>', 'how long an engine must be unreachable before its agents fail over (default 300)')
    .option('--json', 'print JSON')
    .action(async (o: PolicyFlags & { retention?: string; redisUrl?: string; logLevel?: string; failover?: string; failoverAfter?: string; json?: boolean }) => {
      if (o.failover !== undefined && !['on', 'off'].includes(o.failover)) throw new HiveError('INVALID_INPUT', `--failover takes on or off, not ${JSON.stringify(o.failover)}.`);
      const afterSec = o.failoverAfter === undefined ? undefined : decimal(o.failoverAfter);
      if (afterSec !== undefined && !(Number.isInteger(afterSec) && afterSec >= 1 && afterSec <= 86_400)) {
        throw new HiveError('INVALID_INPUT', `--failover-after takes whole seconds from 1 to 86400, not ${JSON.stringify(o.failoverAfter)}.`);
      }
      const failover = o.failover === undefined && afterSec === undefined ? undefined : { ...(o.failover ? { enabled: o.failover === 'on' } : {}), ...(afterSec ? { afterSec } : {}) };
      const logLevel = o.logLevel === undefined ? undefined : LogLevel.safeParse(o.logLevel.toLowerCase()).data;
      if (o.logLevel !== undefined && !logLevel) throw new HiveError('INVALID_INPUT', `--log-level takes one of ${LogLevel.options.join(', ')}, not ${JSON.stringify(o.logLevel)}.`);
      const retention = o.retention === undefined ? undefined : decimal(o.retention);
      if (retention !== undefined && !(Number.isInteger(retention) && retention > 0)) {
        throw new HiveError('INVALID_INPUT', `--retention takes a whole number above 0, not ${JSON.stringify(o.retention)}.`);
      }
      const s = await ctx.api().invoke('settings:set', { policyDefaults: policyFrom(o), snapshotRetention: retention, redisUrl: o.redisUrl, logLevel, failover });
      ctx.print(s, o, (v: Settings) =>
        o.redisUrl === undefined
          ? showSettings(v)
          : `${showSettings(v)}\nThe messaging bus changes when the host restarts (the running one keeps its bus: \`hive msg state\`); --redis or HIVE_REDIS_URL on \`hive serve\` win over this setting.`,
      );
    });

  settings
    .command('env')
    .description('the environment a preset\'s tool starts with (model endpoint, API key): list, set NAME=VALUE, or --unset NAME. Secrets (names with KEY, TOKEN, SECRET, PASSWORD) are kept in a 0600 file, never in the database, logs or snapshots')
    .argument('[preset]', 'claude | codex | gemini | aider')
    .argument('[assignment]', 'NAME=VALUE (VALUE "-" reads it from standard input, so a key stays out of your shell history)')
    .option('--unset <name>', 'remove a variable')
    .option('--secret', 'keep the value as a secret even if its name does not look like one')
    .option('--no-secret', 'store the value in the settings (shown back), even if its name looks secret')
    .option('--json', 'print JSON')
    .action(async (preset: string | undefined, assignment: string | undefined, o: { unset?: string; secret?: boolean; json?: boolean }) => {
      const presets = ['claude', 'codex', 'gemini', 'aider'];
      if (preset !== undefined && !presets.includes(preset)) throw new HiveError('INVALID_INPUT', `The preset must be one of ${presets.join(', ')}, not ${JSON.stringify(preset)}.`);
      let s: Settings;
      if (o.unset || assignment) {
        if (!preset) throw new HiveError('INVALID_INPUT', 'Name the preset first: hive settings env claude ANTHROPIC_BASE_URL=http://…');
        let name = o.unset;
        let value: string | null = null;
        if (assignment) {
          const eq = assignment.indexOf('=');
          if (eq <= 0) throw new HiveError('INVALID_INPUT', `Give NAME=VALUE, not ${JSON.stringify(assignment)}.`);
          name = assignment.slice(0, eq);
          value = assignment.slice(eq + 1);
          if (value === '-') value = readFileSync(0, 'utf8').trim();
        }
        const secret = process.argv.includes('--secret') ? true : process.argv.includes('--no-secret') ? false : undefined;
        s = await ctx.api().invoke('settings:set', { toolEnv: { preset: preset as 'claude', name: name!, value, secret } });
      } else {
        s = await ctx.api().invoke('settings:get', {});
      }
      const shown = preset ? { [preset]: s.toolEnv[preset as 'claude'] ?? {} } : s.toolEnv;
      ctx.print(shown, o, () => {
        const rows = Object.entries(shown).flatMap(([p, vars]) => Object.entries(vars ?? {}).map(([n, v]) => `${p.padEnd(7)} ${n}=${v.secret ? `(secret${v.hint ? `, ends …${v.hint}` : ''})` : v.value}`));
        return rows.length ? rows.join('\n') : 'No environment set for the presets. Example: hive settings env claude ANTHROPIC_BASE_URL=http://127.0.0.1:8080';
      });
    });

  const agents = program.commands.find((c) => c.name() === 'agents') ?? program.command('agents');
  withPolicyFlags(agents.command('policy').description("show or change one agent's restart policy").argument('<name>'))
    .option('--json', 'print JSON')
    .action(async (name: string, o: PolicyFlags & { json?: boolean }) => {
      const patch = policyFrom(o);
      const a = Object.keys(patch).length
        ? await ctx.api().invoke('agents:setPolicy', { name, policy: patch })
        : await ctx.api().invoke('agents:get', { name });
      ctx.print(a.policy, o, () => showPolicy((a as Agent).policy));
    });
}
