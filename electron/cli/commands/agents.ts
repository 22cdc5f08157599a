import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Agent, HiveEvent, SnapshotMeta } from '../../../shared/contract/index.js';
import { HiveError } from '../../../shared/errors.js';
import type { CliContext } from '../context.js';
import { formatTable, ago, numberOption, readTextFile } from '../format.js';

const ACTIONS = ['sleep', 'wake', 'restart', 'stop'] as const;

function readStdin(timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    const done = () => {
      clearTimeout(timer);
      process.stdin.pause();
      resolve(data);
    };
    const timer = setTimeout(done, timeoutMs);
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (c: string) => (data += c));
    process.stdin.on('end', done);
    process.stdin.on('error', done);
  });
}

/** `hive agents …`, `hive snapshots …`, `hive events`, `hive heartbeat`, `hive memory save`. */
export function registerAgentCommands(program: Command, ctx: CliContext): void {
  const agents = program.command('agents').description('spawn, list and control agents');

  agents
    .command('spawn')
    .description('start a new agent in its own git worktree on branch hive/NAME')
    .requiredOption('--name <name>', 'unique name: letters, digits, "-" and "_"')
    .requiredOption('--repo <path>', 'the git repository the agent works on')
    .option('--backend <backend>', 'tmux | process | docker', 'tmux')
    .option('--preset <preset>', 'claude | codex | gemini | aider | custom', 'custom')
    .option('--cmd <command line>', 'custom preset: the command line (run by /bin/sh -c); other presets: the program and its options to run instead of the default one, in plain words (the preset adds its own arguments)')
    .option('--role <role>', 'role, shown in the fleet view', '')
    .option('--task <task>', 'the task prompt', '')
    .option('--image <image>', 'docker image (docker backend)')
    .option('--cpus <n>', 'CPU limit, e.g. 1.5 (docker backend)', numberOption('--cpus', { min: 0.01, max: 1024 }))
    .option('--memory-mb <mb>', 'memory limit in MB (docker backend)', numberOption('--memory-mb', { integer: true, min: 1 }))
    .option('--network <mode>', 'bridge (default) | host | none | a docker network (docker backend)')
    .option('--engine <name>', 'the Docker engine to run on (see `hive engines list`); default: the one that fits')
    .option('--sleep-mode <mode>', 'snapshot (default) | pause: docker pause keeps memory, instant wake')
    .option('--base <branch>', 'branch to start hive/NAME from (default: the repo HEAD)')
    .option('--json', 'print the agent as JSON')
    .action(async (o: { name: string; repo: string; backend: string; preset: string; cmd?: string; role: string; task: string; image?: string; cpus?: number; memoryMb?: number; network?: string; engine?: string; sleepMode?: string; base?: string; json?: boolean }) => {
      const agent = await ctx.api().invoke('agents:spawn', {
        name: o.name,
        repo: path.resolve(o.repo),
        backend: o.backend as Agent['backend'],
        preset: o.preset as Agent['preset'],
        cmd: o.cmd,
        role: o.role,
        task: o.task,
        image: o.image,
        cpus: o.cpus,
        memoryMb: o.memoryMb,
        network: o.network,
        engine: o.engine,
        sleepMode: o.sleepMode as 'snapshot' | 'pause' | undefined,
        baseBranch: o.base,
      });
      ctx.print(agent, o, (a: Agent) => `${a.name} is ${a.status} (${a.backend}${a.engine ? ` on engine ${a.engine}` : ''}, pid ${a.pid ?? '-'}) in ${a.worktree} on ${a.branch}`);
    });

  agents
    .command('list')
    .alias('ls')
    .description('every agent with its status')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const list = await ctx.api().invoke('agents:list', {});
      const rows = list.map((a) => ({
        name: a.name,
        status: a.status,
        backend: a.backend,
        engine: a.engine,
        pid: a.pid,
        restarts: a.restarts,
        branch: a.branch,
        worktree: a.worktree,
        role: a.role,
        lastHeartbeatAt: a.lastHeartbeatAt,
        lastRecoveryMs: a.lastRecoveryMs,
        lastError: a.lastError,
        uptimeSince: a.startedAt,
        activity: a.activity,
      }));
      ctx.print(rows, o, () =>
        list.length === 0
          ? 'No agents yet. Spawn one: hive agents spawn --name NAME --repo PATH --cmd "COMMAND"'
          : formatTable(
              ['NAME', 'STATUS', 'ACTIVITY', 'BACKEND', 'PID', 'RESTARTS', 'HEARTBEAT', 'BRANCH', 'ERROR'],
              list.map((a) => [
                a.name,
                a.status,
                a.activity ? `${a.activity.state === 'waiting' ? 'WAITING FOR YOU' : a.activity.state} ${ago(a.activity.since)}${a.activity.source === 'screen' ? ' (screen)' : ''}` : '-',
                a.engine && a.engine !== 'local' ? `docker@${a.engine}` : a.backend,
                a.pid ?? '-',
                a.restarts,
                a.lastHeartbeatAt ? ago(a.lastHeartbeatAt) : '-',
                a.branch,
                a.activity?.state === 'waiting' ? (a.activity.detail ?? '') : (a.lastError ?? ''),
              ]),
            ),
      );
    });

  agents
    .command('show')
    .description('one agent in full')
    .argument('<name>')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { json?: boolean }) => {
      const a = await ctx.api().invoke('agents:get', { name });
      ctx.print(a, o, (v: Agent) => Object.entries(v).map(([k, x]) => `${k.padEnd(16)} ${typeof x === 'object' && x !== null ? JSON.stringify(x) : String(x)}`).join('\n'));
    });

  agents
    .command('move')
    .description('re-create a sleeping or stopped docker agent on another engine, from its last synced branch and snapshot')
    .argument('<name>')
    .requiredOption('--engine <name>', 'the engine to move to (see `hive engines list`)')
    .option('--json', 'print the agent as JSON')
    .action(async (name: string, o: { engine: string; json?: boolean }) => {
      const a = await ctx.api().invoke('agents:move', { name, engine: o.engine });
      ctx.print(a, o, (v: Agent) => `${v.name} is on engine ${v.engine} (${v.status}); \`hive agents wake ${v.name}\` starts it there`);
    });

  agents
    .command('sync')
    .description("bring a docker agent's work back from its engine: commits onto hive/NAME, uncommitted files into its worktree")
    .argument('<name>')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { json?: boolean }) => {
      const r = await ctx.api().invoke('agents:sync', { name });
      ctx.print(r, o, () => `${name}: ${r.commits} new commit${r.commits === 1 ? '' : 's'} (head ${r.head?.slice(0, 12) ?? '-'}), ${r.files} uncommitted file${r.files === 1 ? '' : 's'} mirrored`);
    });

  for (const action of ACTIONS) {
    agents
      .command(action)
      .description(`${action} an agent`)
      .argument('<name>')
      .option('--json', 'print the agent as JSON')
      .action(async (name: string, o: { json?: boolean }) => {
        const a = await ctx.api().invoke(`agents:${action}`, { name });
        ctx.print(a, o, (v: Agent) => `${v.name} is ${v.status}`);
      });
  }

  agents
    .command('remove')
    .description('remove an agent and its worktree (refuses while it holds uncommitted or unmerged work)')
    .argument('<name>')
    .option('--force', 'archive the uncommitted diff and unmerged commits first, then remove')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { force?: boolean; json?: boolean }) => {
      const r = await ctx.api().invoke('agents:remove', { name, force: !!o.force });
      ctx.print(r, o, (v: typeof r) => `${name} removed${v.archive ? `; its work is archived in ${v.archive}` : ''}`);
    });

  agents
    .command('send')
    .description('type text into an agent (and press Enter); multi-line text arrives as one message (bracketed paste) in claude, codex and gemini')
    .argument('<name>')
    .argument('[text...]')
    .option('--file <path>', 'send the contents of a file ("-" for standard input) instead of the words')
    .option('--no-enter', 'do not press Enter')
    .option('--json', 'print JSON')
    .action(async (name: string, words: string[], o: { enter: boolean; file?: string; json?: boolean }) => {
      if (o.file !== undefined && words.length > 0) throw new HiveError('INVALID_INPUT', 'Give the text as words or with --file, not both.');
      const text = o.file !== undefined ? readTextFile(o.file, '--file').replace(/\n$/, '') : words.join(' ');
      if (!text) throw new HiveError('INVALID_INPUT', 'Nothing to send: give the text as words, or --file PATH (- for standard input).');
      const r = await ctx.api().invoke('agents:input', { name, text, enter: o.enter });
      ctx.print(r, o, () => `sent (${r.attempts} attempt(s))${r.confirmedBy === 'transcript' ? '; it is in the agent\'s transcript' : ''}`);
    });

  agents
    .command('answer')
    .description('answer the question a waiting agent shows (see `hive agents show NAME`): KEY is one of its choices')
    .argument('<name>')
    .argument('<key>')
    .option('--json', 'print JSON')
    .action(async (name: string, key: string, o: { json?: boolean }) => {
      await ctx.api().invoke('agents:answer', { name, key });
      ctx.print({ name, key, answered: true }, o, () => `answered ${name} with ${key}`);
    });

  agents
    .command('logs')
    .description('print the end of an agent\'s output')
    .argument('<name>')
    .option('--bytes <n>', 'how much', numberOption('--bytes', { integer: true, min: 1, max: 16_777_216 }), 65536)
    .action(async (name: string, o: { bytes: number }) => {
      const r = await ctx.api().invoke('agents:output', { name, maxBytes: o.bytes });
      process.stdout.write(r.text);
    });

  agents
    .command('orphans')
    .description('containers labelled for this data dir that no agent owns (reported, never deleted)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const list = await ctx.api().invoke('agents:orphans', {});
      ctx.print(list, o, () =>
        list.length === 0
          ? 'No orphaned containers.'
          : formatTable(['CONTAINER', 'AGENT LABEL', 'IMAGE', 'STATE', 'CREATED'], list.map((c) => [c.container, c.agent, c.image, c.state, c.createdAt])) +
            '\nRemove one with `docker rm -f CONTAINER`, or spawn an agent under its label name to take its place.',
      );
    });

  agents
    .command('attach')
    .description('print the tmux command that attaches to an agent\'s session')
    .argument('<name>')
    .action(async (name: string) => {
      const a = await ctx.api().invoke('agents:get', { name });
      if (a.backend !== 'tmux') throw new HiveError('INVALID_INPUT', `${name} runs on the ${a.backend} backend; only tmux agents can be attached.`);
      const { tmuxSocketFor } = await import('../../core/supervisor/tmux-backend.js');
      process.stdout.write(`tmux -L ${tmuxSocketFor(ctx.dataDir())} attach -t =${name}\n`);
    });

  const snapshots = program.command('snapshots').description('memory snapshots of an agent');
  snapshots
    .command('list')
    .description("an agent's snapshots, newest first (sleep, checkpoint, crash)")
    .argument('<name>')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { json?: boolean }) => {
      const list = await ctx.api().invoke('snapshots:list', { name });
      ctx.print(
        list.map((s) => ({ id: s.id, type: s.type, createdAt: s.createdAt, sha256: s.sha256, bytes: s.bytes, note: s.note })),
        o,
        () => (list.length === 0 ? `${name} has no snapshots yet.` : formatTable(['ID', 'TYPE', 'CREATED', 'BYTES', 'SHA256'], list.map((s: SnapshotMeta) => [s.id, s.type, s.createdAt, s.bytes, s.sha256.slice(0, 16)]))),
      );
    });
  snapshots
    .command('show')
    .description('what a snapshot holds: task, session, git state, memory files, output tail')
    .argument('<id>')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const s = await ctx.api().invoke('snapshots:show', { id });
      ctx.print(s, o, (v: typeof s) =>
        [
          `${v.meta.id}  ${v.meta.type}  ${v.meta.createdAt}  sha256 ${v.meta.sha256}`,
          `task: ${v.contents.task || '-'}`,
          `session: ${v.contents.sessionId ?? '-'}`,
          `git: ${v.contents.git ? `${v.contents.git.branch} ${v.contents.git.head.slice(0, 12)}` : '-'}`,
          `memory files: ${v.contents.memoryFiles.map((f) => f.path).join(', ') || '-'}`,
          `working memory keys: ${Object.keys(v.contents.workingMemory).join(', ') || '-'}`,
          '--- output tail (last 20 lines) ---',
          v.contents.outputTail.split('\n').slice(-20).join('\n'),
        ].join('\n'),
      );
    });
  snapshots
    .command('diff')
    .description('what changed between two snapshots (memory files, git state, task, output)')
    .argument('<a>')
    .argument('<b>')
    .option('--json', 'print JSON')
    .action(async (a: string, b: string, o: { json?: boolean }) => {
      const r = await ctx.api().invoke('snapshots:diff', { a, b });
      ctx.print(r, o, (v: typeof r) => v.diff);
    });
  snapshots
    .command('restore')
    .description("write a snapshot's memory files back into the agent's worktree")
    .argument('<id>')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const r = await ctx.api().invoke('snapshots:restore', { id });
      ctx.print(r, o, (v: typeof r) => `restored ${v.restoredFiles} memory file(s) into ${v.agent}`);
    });
  snapshots
    .command('checkpoint')
    .description('take a checkpoint snapshot now')
    .argument('<name>')
    .option('--note <text>')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { note?: string; json?: boolean }) => {
      const s = await ctx.api().invoke('snapshots:checkpoint', { name, note: o.note });
      ctx.print(s, o, (v: SnapshotMeta) => `checkpoint ${v.id} (${v.bytes} bytes)`);
    });

  program
    .command('events')
    .description('the event log: every status change and action, newest first')
    .option('--agent <name>', 'only this agent')
    .option('--limit <n>', 'how many', numberOption('--limit', { integer: true, min: 1 }), 200)
    .option('--json', 'print JSON')
    .action(async (o: { agent?: string; limit: number; json?: boolean }) => {
      const list = await ctx.api().invoke('events:list', { agent: o.agent, limit: o.limit });
      ctx.print(
        list.map((e) => ({ at: e.at, agent: e.agent, kind: e.kind, from: e.from, to: e.to, cause: e.cause, actor: e.actor })),
        o,
        () => formatTable(['AT', 'AGENT', 'KIND', 'FROM', 'TO', 'CAUSE'], list.map((e: HiveEvent) => [e.at, e.agent ?? '-', e.kind, e.from ?? '', e.to ?? '', e.cause])),
      );
    });

  program
    .command('hook')
    .description('inside an agent: called by its tool\'s own hooks (Claude Code hooks, Codex notify); reports the event to the host')
    .argument('<tool>', 'claude | codex | gemini')
    .argument('[event]', 'the event name (Claude Code: passed by the hook command; Codex: the JSON argument)')
    .argument('[json]', 'Codex notify passes its JSON as the last argument')
    .action(async (tool: string, event: string | undefined, json: string | undefined) => {
      // A hook must never disturb the tool: no output on stdout (Claude Code adds it to the model's context
      // for some events), exit 0 whatever happens, and give up quickly when no host answers.
      try {
        const name = process.env.HIVE_AGENT;
        if (!name || !['claude', 'codex', 'gemini', 'aider'].includes(tool)) return;
        let payload: Record<string, unknown> = {};
        const raw = json ?? (event && event.startsWith('{') ? event : null) ?? (process.stdin.isTTY ? '' : await readStdin(2000));
        if (raw.trim()) {
          const parsed = JSON.parse(raw) as unknown;
          if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) payload = parsed as Record<string, unknown>;
        }
        const name2 = event && !event.startsWith('{') && event !== 'notify' ? event : typeof payload.hook_event_name === 'string' ? payload.hook_event_name : typeof payload.type === 'string' ? payload.type : 'unknown';
        // Only what the host uses: ids, paths, names and short texts (no file contents, no whole prompts).
        const keep: Record<string, unknown> = {};
        for (const k of ['session_id', 'transcript_path', 'cwd', 'hook_event_name', 'notification_type', 'message', 'tool_name', 'source', 'reason', 'type', 'thread-id', 'turn-id']) {
          const v = payload[k];
          if (typeof v === 'string') keep[k] = v.slice(0, 500);
        }
        const input = payload.tool_input as Record<string, unknown> | undefined;
        if (input && typeof input === 'object') keep.tool_input = { command: typeof input.command === 'string' ? input.command.slice(0, 300) : undefined, file_path: input.file_path };
        await ctx.api().invoke('agents:hook', { name, tool: tool as 'claude', event: name2.slice(0, 100), payload: keep }, { timeoutMs: 3000 });
      } catch (err) {
        process.stderr.write(`hive hook: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    });

  program
    .command('heartbeat')
    .description('inside an agent: say "I am alive" (resets hang detection)')
    .option('--agent <name>', 'agent name (default: $HIVE_AGENT)')
    .action(async (o: { agent?: string }) => {
      const name = selfName(o.agent, 'send a heartbeat');
      const r = await ctx.api().invoke('agents:heartbeat', { name });
      process.stdout.write(`${r.at}\n`);
    });

  const memory = program.commands.find((c) => c.name() === 'memory') ?? program.command('memory').description('agent memory');
  memory
    .command('save')
    .description('inside an agent: save files into its memory (.hive/memory/), kept across sleep, wake and crashes')
    .argument('<files...>')
    .option('--agent <name>', 'agent name (default: $HIVE_AGENT)')
    .option('--json', 'print JSON')
    .action(async (files: string[], o: { agent?: string; json?: boolean }) => {
      const name = selfName(o.agent, 'save memory');
      const payload = files.map((f) => {
        let buf: Buffer;
        try {
          buf = readFileSync(f);
        } catch (err) {
          throw new HiveError('INVALID_INPUT', `Cannot read ${f}: ${(err as Error).message}.`);
        }
        return { path: path.isAbsolute(f) ? path.basename(f) : path.normalize(f), contentBase64: buf.toString('base64') };
      });
      const r = await ctx.api().invoke('memory:save', { name, files: payload });
      ctx.print(r, o, (v: typeof r) => `saved ${v.saved.join(', ')}`);
    });
}

function selfName(flag: string | undefined, what: string): string {
  const name = flag ?? process.env.HIVE_AGENT;
  if (!name) throw new HiveError('INVALID_INPUT', `To ${what} the command needs the agent's name: run it inside an agent (HIVE_AGENT is set) or pass --agent NAME.`);
  return name;
}
