import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { BusMessage, MessageView } from '../../../shared/contract/bus.js';
import { HiveError } from '../../../shared/errors.js';
import type { CliContext } from '../context.js';
import { decimal } from '../format.js';

interface AgentOpt {
  agent?: string;
  json?: boolean;
}

/**
 * `hive msg …` and `hive memory …`: what an agent runs inside the hive (its name comes from HIVE_AGENT,
 * set by the supervisor) and what a person runs to look at the traffic.
 */
export function registerMsgCommands(program: Command, ctx: CliContext): void {
  const msg = program.command('msg').description('send and read messages between agents (direct, topic, broadcast)');

  msg
    .command('send')
    .description('send a message: exactly one of --to NAME, --topic TOPIC or --all; TEXT "-" reads stdin')
    .argument('<text...>', 'the message')
    .option('--to <name>', 'the agent to send to')
    .option('--topic <topic>', 'a topic: every subscriber gets it')
    .option('--all', 'every agent in the hive')
    .option('--type <type>', 'a message type for scripts (default "text")')
    .option('--agent <name>', 'send as this agent (default: $HIVE_AGENT)')
    .option('--json', 'print the stored message as JSON')
    .action(async (words: string[], opts: AgentOpt & { to?: string; topic?: string; all?: boolean; type?: string }) => {
      const text = words.length === 1 && words[0] === '-' ? readFileSync(0, 'utf8') : words.join(' ');
      const sent = await ctx.api().invoke('msg:send', {
        from: self(opts, 'send a message'),
        ...(opts.to !== undefined ? { to: opts.to } : {}),
        ...(opts.topic !== undefined ? { topic: opts.topic } : {}),
        ...(opts.all ? { all: true } : {}),
        ...(opts.type !== undefined ? { type: opts.type } : {}),
        body: text,
      });
      ctx.print(sent, opts, (m: MessageView) => `sent ${m.id} to ${m.recipients.length} recipient(s)${m.recipients.length ? ': ' + m.recipients.map((r) => r.name).join(', ') : ''}`);
    });

  msg
    .command('inbox')
    .description('print the messages waiting for you and acknowledge them (with --wait, wait for the first one)')
    .option('--wait <seconds>', 'wait up to this many seconds when nothing is waiting', parseSeconds)
    .option('--no-ack', 'leave them unacknowledged (they come back next time)')
    .option('--limit <n>', 'at most this many', parsePositive)
    .option('--agent <name>', 'read as this agent (default: $HIVE_AGENT)')
    .option('--json', 'print JSON')
    .action(async (opts: AgentOpt & { wait?: number; ack: boolean; limit?: number }) => {
      const waitMs = Math.round((opts.wait ?? 0) * 1000);
      const name = self(opts, 'read the inbox');
      // Read without acknowledging, print, then acknowledge: if this process dies in between (Ctrl-C during
      // a long wait, a lost HTTP reply), the messages come back next time instead of being lost.
      // Long waits go as several long-polls of at most LONG_POLL_MS: Node's fetch gives up on a response's
      // headers after 300 s, so `--wait 400` failed at 300 s saying the host was not running.
      const deadline = Date.now() + waitMs;
      let got: BusMessage[] = [];
      for (;;) {
        const chunk = Math.max(0, Math.min(LONG_POLL_MS, deadline - Date.now()));
        got = await ctx.api().invoke('msg:inbox', { name, waitMs: chunk, ack: false, ...(opts.limit ? { limit: opts.limit } : {}) }, { timeoutMs: chunk + 30_000 });
        if (got.length > 0 || Date.now() >= deadline) break;
      }
      ctx.print(got, opts, (ms: BusMessage[]) => ms.map(formatMessage).join('\n'));
      if (opts.ack && got.length > 0) await ctx.api().invoke('msg:ack', { name, ids: got.map((m) => m.id) });
    });

  msg
    .command('ack')
    .description('acknowledge messages read with --no-ack')
    .argument('<ids...>', 'message ids')
    .option('--agent <name>', 'as this agent (default: $HIVE_AGENT)')
    .option('--json', 'print JSON')
    .action(async (ids: string[], opts: AgentOpt) => {
      const res = await ctx.api().invoke('msg:ack', { name: self(opts, 'acknowledge messages'), ids });
      ctx.print(res, opts, (r: { acked: number }) => `acknowledged ${r.acked}`);
    });

  for (const [verb, channel] of [
    ['subscribe', 'msg:subscribe'],
    ['unsubscribe', 'msg:unsubscribe'],
  ] as const) {
    msg
      .command(verb)
      .description(`${verb} ${verb === 'subscribe' ? 'to' : 'from'} a topic`)
      .argument('<topic>', 'topic name')
      .option('--agent <name>', 'as this agent (default: $HIVE_AGENT)')
      .option('--json', 'print JSON')
      .action(async (topic: string, opts: AgentOpt) => {
        const res = await ctx.api().invoke(channel, { name: self(opts, `${verb} to a topic`), topic });
        ctx.print(res, opts, (r: { topics: string[] }) => `topics: ${r.topics.join(', ') || '(none)'}`);
      });
  }

  msg
    .command('list')
    .description('show the message log (who said what to whom, delivered/acknowledged)')
    .option('--for <name>', 'only messages from or to this agent')
    .option('--topic <topic>', 'only this topic')
    .option('--limit <n>', 'at most this many (newest first)', parsePositive)
    .option('--json', 'print JSON')
    .action(async (opts: { for?: string; topic?: string; limit?: number; json?: boolean }) => {
      const rows = await ctx.api().invoke('msg:list', {
        ...(opts.for ? { agent: opts.for } : {}),
        ...(opts.topic ? { topic: opts.topic } : {}),
        limit: opts.limit ?? 50,
      });
      ctx.print(rows, opts, (ms: MessageView[]) =>
        ms
          .map((m) => {
            const state = m.recipients.map((r) => `${r.name}:${r.ackedAt ? 'acked' : r.deliveredAt ? 'delivered' : 'waiting'}`).join(' ');
            return `${formatMessage(m)}\n    ${state || '(no recipients)'}`;
          })
          .join('\n'),
      );
    });

  msg
    .command('pane')
    .description('switch delivery into the agent\'s terminal pane on or off (for agents that only read their terminal)')
    .argument('<name>', 'agent')
    .argument('<onoff>', 'on or off')
    .option('--json', 'print JSON')
    .action(async (name: string, onoff: string, opts: AgentOpt) => {
      if (onoff !== 'on' && onoff !== 'off') throw new HiveError('INVALID_INPUT', `Say "on" or "off", not ${JSON.stringify(onoff)}.`);
      const res = await ctx.api().invoke('msg:pane', { name, enabled: onoff === 'on' });
      ctx.print(res, opts, (r: { name: string; enabled: boolean }) => `pane delivery for ${r.name}: ${r.enabled ? 'on' : 'off'}`);
    });

  msg
    .command('state')
    .description('show the bus: Redis connected or degraded, or in-process')
    .option('--json', 'print JSON')
    .action(async (opts: AgentOpt) => {
      const s = await ctx.api().invoke('bus:state', {});
      ctx.print(s, opts, (v: typeof s) => `${v.kind} ${v.state}${v.detail ? ` — ${v.detail}` : ''}`);
    });

  const memory = program.command('memory').description('your working memory (a hash in Redis, copied to SQLite and into snapshots)');
  memory
    .command('set')
    .description('remember VALUE under KEY')
    .argument('<key>', 'key')
    .argument('<value>', 'value ("-" reads stdin)')
    .option('--agent <name>', 'as this agent (default: $HIVE_AGENT)')
    .option('--json', 'print JSON')
    .action(async (key: string, value: string, opts: AgentOpt) => {
      const v = value === '-' ? readFileSync(0, 'utf8') : value;
      const res = await ctx.api().invoke('memory:set', { name: self(opts, 'write working memory'), key, value: v });
      ctx.print(res, opts, () => `set ${key}`);
    });
  memory
    .command('get')
    .description('print one key (its value) or every key (key=value lines)')
    .argument('[key]', 'key')
    .option('--agent <name>', 'as this agent (default: $HIVE_AGENT)')
    .option('--json', 'print JSON')
    .action(async (key: string | undefined, opts: AgentOpt) => {
      const res = await ctx.api().invoke('memory:get', { name: self(opts, 'read working memory'), ...(key !== undefined ? { key } : {}) });
      if (key !== undefined && !opts.json && !(key in res)) {
        throw new HiveError('INVALID_INPUT', `Nothing is stored under ${JSON.stringify(key)}. \`hive memory get\` lists every key.`);
      }
      ctx.print(res, opts, (r: Record<string, string>) =>
        key !== undefined ? (r[key] ?? '') : Object.entries(r).map(([k, v]) => `${k}=${v}`).join('\n'),
      );
    });
}

function self(opts: AgentOpt, what: string): string {
  const name = opts.agent ?? process.env.HIVE_AGENT;
  if (!name) {
    throw new HiveError('INVALID_INPUT', `To ${what} the command needs your agent name: run it inside an agent (HIVE_AGENT is set there) or pass --agent NAME.`);
  }
  return name;
}

export function formatMessage(m: BusMessage): string {
  const to = m.to !== null ? m.to : m.topic !== null ? `#${m.topic}` : 'all';
  return `[${m.seq}] ${m.createdAt} ${m.from} → ${to}: ${m.body}`;
}

function parseSeconds(v: string): number {
  const n = decimal(v);
  if (!Number.isFinite(n) || n < 0 || n > 600) throw new HiveError('INVALID_INPUT', `--wait takes 0 to 600 seconds, not ${JSON.stringify(v)}.`);
  return n;
}

function parsePositive(v: string): number {
  const n = decimal(v);
  if (!Number.isInteger(n) || n <= 0) throw new HiveError('INVALID_INPUT', `Expected a positive whole number, not ${JSON.stringify(v)}.`);
  return n;
}

/** One long-poll's wait, well under the 300 s after which Node's fetch stops waiting for headers. */
const LONG_POLL_MS = 240_000;
