import type { Command } from 'commander';
import type { ConflictItem, ConflictSettings, ConflictSummary, MergeResult, PreflightReport } from '../../../shared/contract/conflicts.js';
import { HiveError } from '../../../shared/errors.js';
import { CommandProvider, AnthropicProvider, OpenAiCompatibleProvider, type LlmProvider } from '../../core/conflicts/llm-provider.js';
import type { ReplayReport } from '../../core/conflicts/replay-tally.js';
import type { CliContext } from '../context.js';
import { ago, formatTable, numberOption, readTextFile } from '../format.js';

const STATUSES = ['open', 'auto-resolved', 'escalated', 'resolved', 'abandoned'] as const;

function agentName(o: { agent?: string }): string {
  const name = o.agent ?? process.env.HIVE_AGENT;
  if (!name) throw new HiveError('INVALID_INPUT', 'Which agent? Pass --agent NAME (inside an agent, HIVE_AGENT is set for you).');
  return name;
}

/** `hive conflicts …`, `hive merge NAME`, `hive intent claim|release|list`. */
export function registerConflictCommands(program: Command, ctx: CliContext): void {
  const conflicts = program.command('conflicts').description('merge conflicts between agents: pre-flight, queue, resolve, replay');

  conflicts
    .command('preflight')
    .description('which agent branches would conflict with each other or the integration branch (nothing is merged)')
    .option('--agent <name>', 'only pairs involving this agent')
    .option('--json', 'print JSON')
    .action(async (o: { agent?: string; json?: boolean }) => {
      const r = await ctx.api().invoke('conflicts:preflight', { agent: o.agent });
      ctx.print(r, o, (v: PreflightReport) =>
        v.pairs.length === 0
          ? `No conflicts ahead (${v.checked} pair(s) checked).${v.errors.map((e) => `\n  ${e.agent}: ${e.message}`).join('')}`
          : formatTable(
              ['KIND', 'A', 'B', 'FILES'],
              v.pairs.map((p) => [p.kind, p.a, p.b, p.files.map((f) => `${f.path}${f.ranges.length ? ':' + f.ranges.map((x) => (x.start === x.end ? x.start : `${x.start}-${x.end}`)).join(',') : ''}`).join(' ')]),
            ),
      );
    });

  conflicts
    .command('list')
    .alias('ls')
    .description('the escalation queue: one item per conflicting file')
    .option('--status <status>', STATUSES.join(' | '))
    .option('--agent <name>', 'only this agent')
    .option('--limit <n>', 'at most this many', numberOption('--limit', { integer: true, min: 1 }), 500)
    .option('--json', 'print JSON')
    .action(async (o: { status?: string; agent?: string; limit: number; json?: boolean }) => {
      if (o.status && !(STATUSES as readonly string[]).includes(o.status)) throw new HiveError('INVALID_INPUT', `Unknown status ${o.status}; use one of ${STATUSES.join(', ')}.`);
      const list = await ctx.api().invoke('conflicts:list', { status: o.status as ConflictSummary['status'] | undefined, agent: o.agent, limit: o.limit });
      ctx.print(list, o, (v: ConflictSummary[]) =>
        v.length === 0
          ? 'No conflicts.'
          : formatTable(['ID', 'STATUS', 'AGENT', 'FILE', 'HUNKS', 'INTO', 'AGE', 'REASON'], v.map((c) => [c.id, c.status, c.agent, c.path, c.hunks, c.into, ago(c.createdAt), c.reason.slice(0, 80)])),
      );
    });

  conflicts
    .command('show <id>')
    .description('one conflict: both sides, their intent, every attempt, the proposal')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const c = await ctx.api().invoke('conflicts:get', { id });
      ctx.print(c, o, renderItem);
    });

  conflicts
    .command('resolve <id>')
    .description('resolve a conflict: take a side, both, the proposal, or a file you edited')
    .option('--take <side>', 'ours | theirs | both | proposal')
    .option('--file <path>', 'use the contents of this file')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { take?: string; file?: string; json?: boolean }) => {
      if ((o.take === undefined) === (o.file === undefined)) throw new HiveError('INVALID_INPUT', 'Give exactly one of --take ours|theirs|both|proposal or --file PATH.');
      if (o.take && !['ours', 'theirs', 'both', 'proposal'].includes(o.take)) throw new HiveError('INVALID_INPUT', `--take must be ours, theirs, both or proposal, not ${o.take}.`);
      const r = await ctx.api().invoke('conflicts:resolve', {
        id,
        take: o.take as 'ours' | 'theirs' | 'both' | 'proposal' | undefined,
        text: o.file !== undefined ? readTextFile(o.file, '--file') : undefined,
      });
      ctx.print(r, o, (v: { item: ConflictSummary; merge: MergeResult }) => `${v.item.path}: ${v.item.status}. ${v.merge.message}`);
    });

  conflicts
    .command('abandon <id>')
    .description('give up this merge (every file of it); the agent branch stays as it is')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const r = await ctx.api().invoke('conflicts:abandon', { id });
      ctx.print(r, o, (v: ConflictSummary) => `${v.path}: ${v.status}`);
    });

  conflicts
    .command('send-back <id>')
    .description('send the conflict with its context to the agent (through the messaging bus)')
    .option('--note <text>', 'a note for the agent')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { note?: string; json?: boolean }) => {
      const r = await ctx.api().invoke('conflicts:sendBack', { id, note: o.note });
      ctx.print(r, o, (v: { message: string }) => v.message);
    });

  conflicts
    .command('settings')
    .description('show or change the check command and the optional language-model strategy')
    .option('--check-command <cmd>', 'run in the integration worktree before an automatic resolution is committed ("" to clear)')
    .option('--llm <kind>', 'anthropic | openai-compatible | command | off')
    .option('--llm-model <model>', 'model name')
    .option('--llm-url <url>', 'base URL (openai-compatible)')
    .option('--llm-key-env <name>', 'environment variable of the host holding the API key')
    .option('--llm-command <path>', 'a local command: JSON request on stdin, merged hunk on stdout')
    .option('--json', 'print JSON')
    .action(async (o: { checkCommand?: string; llm?: string; llmModel?: string; llmUrl?: string; llmKeyEnv?: string; llmCommand?: string; json?: boolean }) => {
      const patch: Partial<ConflictSettings> = {};
      if (o.checkCommand !== undefined) patch.checkCommand = o.checkCommand.trim() === '' ? null : o.checkCommand;
      // The model's details change what is set: --llm-model alone was ignored (the old settings printed, exit
      // 0), and --llm KIND alone cleared the model, URL and key variable already set for that kind.
      const details = { model: o.llmModel, baseUrl: o.llmUrl, apiKeyEnv: o.llmKeyEnv, command: o.llmCommand };
      const given = Object.fromEntries(Object.entries(details).filter(([, v]) => v !== undefined));
      if (o.llm !== undefined && o.llm !== 'off' && !['anthropic', 'openai-compatible', 'command'].includes(o.llm)) {
        throw new HiveError('INVALID_INPUT', `--llm must be anthropic, openai-compatible, command or off, not ${o.llm}.`);
      }
      if (o.llm === 'off') {
        if (Object.keys(given).length > 0) throw new HiveError('INVALID_INPUT', '--llm off takes no --llm-model, --llm-url, --llm-key-env or --llm-command.');
        patch.llm = null;
      } else if (o.llm !== undefined || Object.keys(given).length > 0) {
        const current = (await ctx.api().invoke('conflicts:getSettings', {})).llm;
        const kind = (o.llm ?? current?.kind) as NonNullable<ConflictSettings['llm']>['kind'] | undefined;
        if (!kind) throw new HiveError('INVALID_INPUT', 'No language model is set: give --llm anthropic|openai-compatible|command with the model\'s details.');
        const base = current && current.kind === kind ? current : { kind, model: '' };
        patch.llm = { ...base, ...given, kind } as ConflictSettings['llm'];
      }
      const r = Object.keys(patch).length ? await ctx.api().invoke('conflicts:setSettings', patch) : await ctx.api().invoke('conflicts:getSettings', {});
      ctx.print(r, o, (v: ConflictSettings) => `check command: ${v.checkCommand ?? '(none)'}\nlanguage model: ${v.llm ? `${v.llm.kind} ${v.llm.model}` : 'off'}`);
    });

  conflicts
    .command('replay')
    .description('benchmark the resolver on a local repository\'s merge history (bare clones work; nothing is written to it)')
    .requiredOption('--repo <path>', 'a local git repository')
    .option('--limit <n>', 'only the last N merge commits', numberOption('--limit', { integer: true, min: 1 }))
    .option('--rev <rev>', 'history to walk', 'HEAD')
    .option('--llm', 'also use a language model: $HIVE_LLM_COMMAND, or ANTHROPIC_API_KEY (+ $HIVE_LLM_MODEL)')
    .option('--details <dir>', 'write base/ours/theirs/committed/result/meta.json of every applied or proposed file to DIR/<n>/')
    .option('--details-escalated', 'with --details, also the escalated files (result = git\'s output with markers)')
    .option('--json', 'print JSON')
    .action(async (o: { repo: string; limit?: number; rev: string; llm?: boolean; details?: string; detailsEscalated?: boolean; json?: boolean }) => {
      // Loaded on use: the rest of the CLI stays quick to start.
      const { replayRepo } = await import('../../core/conflicts/replay.js');
      const started = Date.now();
      let last = 0;
      const report = await replayRepo({
        repo: o.repo,
        limit: o.limit,
        rev: o.rev,
        llm: o.llm ? replayLlm() : null,
        detailsDir: o.details,
        detailsEscalated: o.detailsEscalated,
        onMerge: o.json
          ? undefined
          : (i, n) => {
              const now = Date.now();
              if (now - last < 250 && i + 1 < n) return;
              last = now;
              const eta = i > 0 ? Math.round(((now - started) / i) * (n - i) / 1000) : null;
              process.stderr.write(`\rmerge ${i + 1}/${n}${eta === null ? '' : `, about ${eta >= 60 ? `${Math.floor(eta / 60)} min ${eta % 60}` : eta} s left`}   `);
            },
      });
      if (!o.json) process.stderr.write('\n');
      ctx.print(report, o, renderReplay);
    });

  program
    .command('merge <name>')
    .description('merge hive/NAME into the integration branch in a separate worktree (your working tree is never touched); exit code 0 when merged, 2 when files wait for a person (hive conflicts list), 1 when the check failed or the merge was abandoned')
    .option('--into <branch>', 'integration branch (default: the repository\'s default branch)')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { into?: string; json?: boolean }) => {
      const r = await ctx.api().invoke('merge:run', { name, into: o.into }, { timeoutMs: 60 * 60_000 });
      ctx.print(r, o, (v: MergeResult) =>
        [`${v.branch} → ${v.into}: ${v.status}. ${v.message}`, ...v.files.map((f) => `  ${f.status.padEnd(13)} ${f.path} [${f.itemId}] ${f.strategies.join(', ') || f.reason}`)].join('\n'),
      );
      // `hive merge a && git push` must not go on when nothing landed.
      process.exitCode = mergeExitCode(r.status);
    });

  const intent = program.command('intent').description('declare which paths an agent is about to change');
  intent
    .command('claim <paths...>')
    .description('claim paths; overlaps with other agents\' claims are flagged')
    .option('--reason <text>', 'what you intend (also becomes the Hive-Intent trailer)', '')
    .option('--agent <name>', 'as this agent (default: $HIVE_AGENT)')
    .option('--json', 'print JSON')
    .action(async (paths: string[], o: { reason: string; agent?: string; json?: boolean }) => {
      const r = await ctx.api().invoke('intent:claim', { agent: agentName(o), paths, reason: o.reason });
      ctx.print(r, o, (v: { claims: unknown[]; overlaps: { path: string; agent: string; claimed: string }[] }) =>
        [`claimed ${v.claims.length} path(s)`, ...v.overlaps.map((x) => `  overlap: ${x.path} is also claimed by ${x.agent} (${x.claimed})`)].join('\n'),
      );
    });
  intent
    .command('release [paths...]')
    .description('release claims (all of this agent\'s when no path is given)')
    .option('--agent <name>', 'as this agent (default: $HIVE_AGENT)')
    .option('--json', 'print JSON')
    .action(async (paths: string[], o: { agent?: string; json?: boolean }) => {
      const r = await ctx.api().invoke('intent:release', { agent: agentName(o), paths: paths.length ? paths : undefined });
      ctx.print(r, o, (v: { released: number }) => `released ${v.released} claim(s)`);
    });
  intent
    .command('list')
    .description('open claims')
    .option('--agent <name>', 'only this agent')
    .option('--json', 'print JSON')
    .action(async (o: { agent?: string; json?: boolean }) => {
      const r = await ctx.api().invoke('intent:list', { agent: o.agent });
      ctx.print(r, o, (v: { agent: string; path: string; reason: string; createdAt: string }[]) =>
        v.length === 0 ? 'No claims.' : formatTable(['AGENT', 'PATH', 'REASON', 'AGE'], v.map((c) => [c.agent, c.path, c.reason, ago(c.createdAt)])),
      );
    });
}

function replayLlm(): LlmProvider {
  if (process.env.HIVE_LLM_COMMAND) return new CommandProvider({ command: process.env.HIVE_LLM_COMMAND });
  if (process.env.HIVE_LLM_URL) return new OpenAiCompatibleProvider({ baseUrl: process.env.HIVE_LLM_URL, apiKey: process.env.HIVE_LLM_KEY, model: process.env.HIVE_LLM_MODEL ?? '' });
  if (process.env.ANTHROPIC_API_KEY) return new AnthropicProvider({ apiKey: process.env.ANTHROPIC_API_KEY, model: process.env.HIVE_LLM_MODEL ?? 'claude-sonnet-4-5' });
  throw new HiveError('INVALID_INPUT', '--llm needs a provider: set HIVE_LLM_COMMAND, HIVE_LLM_URL (+ HIVE_LLM_MODEL, HIVE_LLM_KEY) or ANTHROPIC_API_KEY.');
}

function renderItem(c: ConflictItem): string {
  const side = (name: string, s: ConflictItem['intents']['ours']) =>
    `${name}: ${s.agent ?? '?'}${s.task ? ` — task: ${s.task}` : ''}${s.intent ? ` — intent: ${s.intent}` : ''}${s.commits.length ? `\n    ${s.commits.slice(0, 3).map((x) => `${x.sha.slice(0, 8)} ${x.subject}`).join('\n    ')}` : ''}`;
  return [
    `${c.id}  ${c.status}  ${c.path}  (${c.branch} → ${c.into})`,
    `reason: ${c.reason}`,
    side('ours  ', c.intents.ours),
    side('theirs', c.intents.theirs),
    'attempts:',
    ...c.attempts.filter((a) => a.result !== 'not-applicable').map((a) => `  hunk ${a.hunk === null ? '-' : a.hunk + 1} ${a.strategy}: ${a.result}${a.reason ? ` — ${a.reason}` : ''}`),
    '',
    c.withMarkers,
    ...(c.proposal ? ['--- proposal ---', c.proposal] : []),
  ].join('\n');
}

function classLine(c: { exact: number; formatEquivalent: number; orderEquivalent: number; humanEdited: number; wrong: number }): string {
  return `exact ${c.exact}, format-equivalent ${c.formatEquivalent}, order-equivalent ${c.orderEquivalent}, human-edited ${c.humanEdited}, wrong ${c.wrong}`;
}

function renderReplay(r: ReplayReport): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  return [
    `${r.repo}: ${r.mergesScanned} merges scanned, ${r.conflictingMerges} with conflicts, ${r.files} files, ${r.hunks} hunks`,
    `auto-resolved: ${pct(r.rates.autoResolvedShare)} of files — exact ${r.outcomes.exact}, normalized ${r.outcomes.normalized}, differ ${r.outcomes.differ}, escalated ${r.outcomes.escalated}`,
    `differ share of resolved: ${pct(r.rates.differShareOfResolved)}; noise floor: ${pct(r.noiseFloor)} (${r.rates.cleanFilesEditedInMerge}/${r.rates.cleanFilesBothSides})`,
    `baseline (git merge-file): exact ${r.baseline.exact}, normalized ${r.baseline.normalized}, differ ${r.baseline.differ}, escalated ${r.baseline.escalated}`,
    `applied ${r.classes.applied.files} (${classLine(r.classes.applied)}); wrong ${pct(r.rates.appliedWrongShare)}`,
    `proposed ${r.classes.proposed.files} (${classLine(r.classes.proposed)}); wrong ${pct(r.rates.proposedWrongShare)}`,
    `escalated ${r.classes.escalated}; applied + proposed ${pct(r.rates.appliedOrProposedShare)} of conflicting files; noise floor wrong ${pct(r.rates.noiseFloorWrongShare)} of ${r.noiseFloorClasses.files} clean files`,
    'per strategy (hunk answers, whatever their tier):',
    ...Object.entries(r.strategyClasses).map(([k, v]) => `  ${k} [${v.tier}]: ${v.answers} (${classLine(v)})`),
    `skipped: ${Object.entries(r.skipped).map(([k, v]) => `${v} ${k}`).join('; ') || 'none'}`,
    `speed: ${r.speed.hunksPerSecondResolver} hunks/s in the resolver, ${r.speed.hunksPerSecondEndToEnd} hunks/s end to end (${r.speed.wallSeconds} s)`,
  ].join('\n');
}

/** 0: landed (or nothing to do); 2: files wait for a person; 1: the check failed or the merge was abandoned. */
export function mergeExitCode(status: MergeResult['status']): number {
  if (status === 'clean' || status === 'auto-resolved' || status === 'resolved' || status === 'up-to-date') return 0;
  return status === 'escalated' ? 2 : 1;
}
