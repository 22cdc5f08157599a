import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ConflictItem, ConflictSettings, ConflictStatus, ConflictSummary, IntentClaim, MergeResult, PreflightReport } from '../../../shared/contract/conflicts.js';
import type { PushEventName, PushPayload } from '../../../shared/contract/index.js';
import { HiveError } from '../../../shared/errors.js';
import type { EventLog } from '../events/event-log.js';
import type { Git } from '../git/git.js';
import type { Clock } from '../ports/clock.js';
import type { Db } from '../store/database.js';
import { installCommitHook, gitDir, writeCommitInfo } from './commit-hook.js';
import { ConflictStore, type MergeRow } from './conflict-store.js';
import { hunkResolutions } from './hunk-alignment.js';
import { IntegrationMerger } from './integration-merger.js';
import { fingerprintHunk, LearnedResolutions } from './learned-resolutions.js';
import { AnthropicProvider, CommandProvider, OpenAiCompatibleProvider, type LlmProvider } from './llm-provider.js';
import { MergeFile, type MergeFileResult } from './merge-file.js';
import { choiceOf, describeMergeSide, MERGE_SIDE_STRATEGY, sideOfMerge, sideText, type SideChoice } from './merge-side.js';
import { describeTier, tierOf } from './strategy-tiers.js';
import { Preflight } from './preflight.js';
import { findRepoFormatter } from './repo-formatter.js';
import { Resolver, type FileResolution, escalatedWhole } from './resolver.js';
import { Telemetry } from '../observability/telemetry.js';
import { joinLines } from './text-lines.js';
import { KeyedMutex } from '../agents/keyed-mutex.js';

export interface ConflictServiceDeps {
  db: Db;
  git: Git;
  clock: Clock;
  events: EventLog;
  dataDir: string;
  notify(level: 'info' | 'warning' | 'error', title: string, body: string): void;
  push?<E extends PushEventName>(event: E, payload: PushPayload<E>): void;
  /** Overrides the provider built from settings (tests give a fake one). */
  llm?: LlmProvider | null;
  /** Sends the conflict context to an agent (the messaging bus when present). */
  sendToAgent?(agent: string, body: string): Promise<boolean>;
  /** Spans, log lines and resolver metrics (default: none kept). */
  telemetry?: Telemetry;
}

interface AgentRow {
  name: string;
  repo: string;
  worktree: string;
  branch: string;
  status: string;
  task: string;
}

const SETTINGS_KEY = 'conflicts.settings';
const DEFAULT_SETTINGS: ConflictSettings = { checkCommand: null, llm: null };

/**
 * The merge-conflict engine's service: pre-flight checks, intent claims, commit hooks, integration
 * merges in their own worktree under the data dir, the escalation queue and what a person does with it.
 */
export class ConflictService {
  readonly store: ConflictStore;
  readonly learned: LearnedResolutions;
  private readonly preflightRunner: Preflight;
  private readonly merger: IntegrationMerger;
  private pollTimer: { cancel(): void } | null = null;
  private lastHeads = new Map<string, string>();
  private lastRiskKeys = new Set<string>();
  /** Per merge, the offer pass under way (offerMergeSide); per resolved item, what its answer took. */
  private readonly sideOffers = new Map<string, Promise<void>>();
  private readonly sideChoices = new Map<string, SideChoice>();

  constructor(private readonly d: ConflictServiceDeps) {
    this.store = new ConflictStore(d.db, () => d.clock.iso());
    this.learned = new LearnedResolutions(d.db, () => d.clock.iso());
    this.preflightRunner = new Preflight(d.git);
    this.merger = new IntegrationMerger(d.git, path.join(d.dataDir, 'integration'));
  }

  agents(): AgentRow[] {
    return this.d.db.prepare("SELECT name, repo, worktree, branch, status, task FROM agents WHERE status NOT IN ('errored') ORDER BY name").all() as AgentRow[];
  }

  private agent(name: string): AgentRow {
    const a = this.d.db.prepare('SELECT name, repo, worktree, branch, status, task FROM agents WHERE name = ?').get(name) as AgentRow | undefined;
    if (!a) throw new HiveError('AGENT_NOT_FOUND', `No agent named ${name}. See \`hive agents list\` for the agents there are.`);
    return a;
  }

  // ---- settings -------------------------------------------------------------------------------

  settings(): ConflictSettings {
    const row = this.d.db.prepare('SELECT value FROM settings WHERE key = ?').get(SETTINGS_KEY) as { value: string } | undefined;
    return row ? { ...DEFAULT_SETTINGS, ...(JSON.parse(row.value) as Partial<ConflictSettings>) } : DEFAULT_SETTINGS;
  }

  setSettings(patch: Partial<ConflictSettings>): ConflictSettings {
    const next = { ...this.settings(), ...patch };
    this.d.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(SETTINGS_KEY, JSON.stringify(next));
    return next;
  }

  private llmProvider(): LlmProvider | null {
    if (this.d.llm !== undefined) return this.d.llm;
    const l = this.settings().llm;
    if (!l) return null;
    const key = l.apiKeyEnv ? process.env[l.apiKeyEnv] : undefined;
    if (l.kind === 'anthropic') return key ? new AnthropicProvider({ apiKey: key, model: l.model || 'claude-sonnet-4-5', baseUrl: l.baseUrl }) : null;
    if (l.kind === 'openai-compatible') return l.baseUrl ? new OpenAiCompatibleProvider({ baseUrl: l.baseUrl, apiKey: key, model: l.model }) : null;
    return l.command ? new CommandProvider({ command: l.command, args: l.args }) : null;
  }

  // ---- pre-flight and intent ------------------------------------------------------------------

  async defaultBranch(repo: string): Promise<string> {
    const r = await this.d.git.run(repo, ['symbolic-ref', '--short', '-q', 'refs/remotes/origin/HEAD'], { allowFailure: true });
    if (r.code === 0 && r.stdout.trim()) return r.stdout.trim().replace(/^origin\//, '');
    for (const b of ['main', 'master', 'trunk', 'develop']) {
      if ((await this.d.git.run(repo, ['rev-parse', '--verify', '-q', `refs/heads/${b}`], { allowFailure: true })).code === 0) return b;
    }
    const cur = await this.d.git.currentBranch(repo);
    if (cur) return cur;
    throw new HiveError('MERGE_FAILED', `Could not tell the default branch of ${repo}. Pass --into BRANCH.`);
  }

  async preflight(agent?: string): Promise<PreflightReport> {
    const list = this.agents().filter((a) => a.branch && a.repo);
    const report = await this.preflightRunner.check(
      list.map((a) => ({ name: a.name, repo: a.repo, branch: a.branch })),
      this.store.claims(),
      (repo) => this.defaultBranch(repo),
      this.d.clock.iso(),
    );
    if (agent) report.pairs = report.pairs.filter((p) => p.a === agent || p.b === agent);
    return report;
  }

  claim(agentName: string, paths: string[], reason: string): { claims: IntentClaim[]; overlaps: { path: string; agent: string; claimed: string; reason: string }[] } {
    const a = this.agent(agentName);
    const claims = paths.map((p) => this.store.claim(a.name, a.repo, p.replace(/\\/g, '/').replace(/^\.\//, ''), reason));
    const overlaps: { path: string; agent: string; claimed: string; reason: string }[] = [];
    const norm = (p: string) => p.replace(/\/+$/, '');
    for (const other of this.store.claims()) {
      if (other.agent === a.name || other.repo !== a.repo) continue;
      for (const c of claims) {
        const x = norm(c.path);
        const y = norm(other.path);
        if (x === y || x.startsWith(y + '/') || y.startsWith(x + '/')) overlaps.push({ path: c.path, agent: other.agent, claimed: other.path, reason: other.reason });
      }
    }
    if (reason && existsSync(a.worktree)) void gitDir(this.d.git, a.worktree).then((dir) => writeCommitInfo(dir, { agent: a.name, task: a.task, intent: reason })).catch(() => {});
    this.d.events.append({ agent: a.name, kind: 'intent.claimed', cause: reason, data: { paths, overlaps: overlaps.length } });
    if (overlaps.length > 0) {
      this.d.notify('warning', `Overlapping intent: ${a.name}`, overlaps.map((o) => `${o.path} ↔ ${o.agent} (${o.claimed})`).join('\n'));
    }
    return { claims, overlaps };
  }

  release(agent: string, paths?: string[]): number {
    const n = this.store.release(agent, paths);
    this.d.events.append({ agent, kind: 'intent.released', data: { paths: paths ?? null, released: n } });
    return n;
  }

  /** Installs the trailer hook in an agent's worktree (call after the worktree exists). */
  async installHook(agentName: string, intent?: string): Promise<string> {
    const a = this.agent(agentName);
    return installCommitHook(this.d.git, path.join(this.d.dataDir, 'hooks'), a.worktree, { agent: a.name, task: a.task, intent });
  }

  /** Polls agent branches; when one moves, runs pre-flight and notifies about new pairs at risk. */
  startWatching(intervalMs = 15_000): void {
    const tick = async () => {
      try {
        let moved = false;
        for (const a of this.agents()) {
          const head = (await this.d.git.run(a.repo, ['rev-parse', '-q', '--verify', `refs/heads/${a.branch}`], { allowFailure: true })).stdout.trim();
          if (head && this.lastHeads.get(a.name) !== head) moved = true;
          this.lastHeads.set(a.name, head);
        }
        if (moved) {
          const report = await this.preflight();
          const keys = new Set(report.pairs.map((p) => `${p.kind}:${p.a}:${p.b}:${p.files.map((f) => f.path).join(',')}`));
          for (const p of report.pairs) {
            const k = `${p.kind}:${p.a}:${p.b}:${p.files.map((f) => f.path).join(',')}`;
            if (!this.lastRiskKeys.has(k)) this.d.notify('warning', `Merge risk: ${p.a} ↔ ${p.b}`, p.files.map((f) => f.path).join(', '));
          }
          this.lastRiskKeys = keys;
        }
      } catch {}
      if (this.pollTimer) this.pollTimer = this.d.clock.setTimeout(() => void tick(), intervalMs);
    };
    this.pollTimer = this.d.clock.setTimeout(() => void tick(), intervalMs);
  }

  // ---- integration --------------------------------------------------------------------------

  async merge(name: string, into?: string, actor = 'user'): Promise<MergeResult> {
    const a = this.agent(name);
    return this.tel.action('merge', name, { actor, attrs: { 'hive.merge.branch': a.branch } }, () => this.mergeTraced(a, into, actor));
  }

  private async mergeTraced(a: AgentRow, into: string | undefined, actor: string): Promise<MergeResult> {
    const target = into ?? (await this.defaultBranch(a.repo));
    const id = `m-${randomUUID().slice(0, 8)}`;
    const resolver = new Resolver({ learned: this.learned, llm: this.llmProvider() });
    let worktree = '';
    try {
      const prepared = await this.merger.start(a.repo, id, target, a.branch);
      worktree = prepared.worktree;
      const row: Omit<MergeRow, 'created_at' | 'updated_at'> = {
        id,
        agent: a.name,
        repo: a.repo,
        branch: a.branch,
        into_branch: target,
        worktree: prepared.worktree,
        status: 'escalated',
        commit_sha: null,
        ours_head: prepared.oursHead,
        theirs_head: prepared.theirsHead,
      };
      if (prepared.upToDate) {
        await this.merger.cleanup(a.repo, prepared.worktree);
        return { id, agent: a.name, branch: a.branch, into: target, status: 'up-to-date', commit: prepared.oursHead, worktree: '', files: [], message: `${a.branch} is already merged into ${target}.` };
      }
      const trailers = [`Hive-Agent: ${a.name}`, ...(a.task ? [`Hive-Task: ${oneLine(a.task)}`] : [])];
      if (prepared.conflicts.length === 0) {
        row.status = 'clean';
        const commit = await this.merger.commit(prepared, `Merge ${a.branch} into ${target}`, trailers);
        row.commit_sha = commit.sha;
        this.store.insertMerge(row);
        this.d.events.append({ agent: a.name, kind: 'merge.clean', actor, data: { id, into: target, commit: commit.sha } });
        await this.merger.cleanup(a.repo, prepared.worktree);
        return this.store.mergeResult(this.store.merge(id), commit.message);
      }
      this.store.insertMerge(row);
      // Under the merge's lock: an abandon waits until the files are in, instead of removing the worktree
      // under them (the check's verdict then wrote itself over 'abandoned').
      let escalated = await this.mergeLocks.run(id, async () => {
        let escalated = 0;
        // The repository's formatter (prettier, biome, dprint), when it configures one and it is installed.
        const formatter = findRepoFormatter(prepared.worktree, a.repo);
        for (const file of prepared.conflicts) {
          // Unmerged with one side only and no base: git moved the file aside (a file on one side where the
          // other has a folder: `x~HEAD`). Resolved as a plain file it was committed under that name.
          const movedAside =
            file.base === null && (file.ours === null) !== (file.theirs === null)
              ? `git could not put ${file.path} in place (one side has a file where the other has a folder, or a rename it could not follow) and moved it aside under this name; resolve it by hand in ${prepared.worktree}, then give the result with --file`
              : null;
          const r = await this.tel.step('merge.file', async () => {
            const res = movedAside ? escalatedWhole(file, movedAside) : await resolver.resolveFile(file, { formatter });
            this.observeDecision(file.path, res);
            return res;
          }, { 'hive.file': file.path });
          const intents = await this.merger.intents(prepared, file.path);
          const itemId = `c-${randomUUID().slice(0, 8)}`;
          const status: ConflictStatus = r.status === 'resolved' || r.status === 'clean' ? 'auto-resolved' : 'escalated';
          this.store.insertItem({
            id: itemId,
            mergeId: id,
            agent: a.name,
            path: file.path,
            status,
            reason: r.reason,
            base: file.base,
            ours: file.ours,
            theirs: file.theirs,
            withMarkers: r.withMarkers,
            autoResult: r.merged,
            proposal: r.proposal,
            hunks: r.hunks.map((h) => ({ index: h.index, base: h.base, ours: h.ours, theirs: h.theirs, status: h.status, strategy: h.strategy, reason: h.reason, resolution: h.resolution })),
            intents,
          });
          for (const h of r.hunks) for (const t of h.attempts) this.store.addAttempt(itemId, h.index, t.strategy, t.result, t.reason);
          if (status === 'auto-resolved') await this.merger.writeFile(prepared.worktree, file.path, r.merged);
          else escalated++;
        }
        return escalated;
      });
      // The check command (up to 30 minutes) runs outside the lock, so an abandon meanwhile is not kept
      // waiting; its verdict counts only if the merge was not abandoned while it ran.
      const check = escalated === 0 ? await this.runCheck(prepared.worktree) : null;
      return await this.mergeLocks.run(id, async () => {
        const now = this.store.merge(id);
        if (now.status === 'abandoned') return this.store.mergeResult(now, 'The merge was abandoned while its check command ran.');
        if (now.commit_sha) return this.store.mergeResult(now, `Merged into ${now.into_branch} as ${now.commit_sha.slice(0, 12)}.`);
        if (check && !check.ok) {
          for (const it of this.store.itemsOfMerge(id)) {
            this.store.setItemStatus(it.id, 'escalated', `the check command failed after automatic resolution: ${check.output}`);
            this.store.addAttempt(it.id, null, 'check-command', 'escalate', check.output);
          }
          escalated = prepared.conflicts.length;
        }
        if (escalated === 0) return await this.finish(id, actor);
        this.store.updateMerge(id, check && !check.ok ? 'check-failed' : 'escalated');
        for (const it of this.store.itemsOfMerge(id).filter((i) => i.status === 'escalated')) {
          this.announce(it.id, 'escalated');
          this.d.notify('warning', `Conflict needs review: ${it.path}`, `${a.branch} → ${target}: ${it.reason}`);
        }
        this.d.events.append({ agent: a.name, kind: 'merge.escalated', actor, data: { id, into: target, files: escalated } });
        return this.store.mergeResult(this.store.merge(id), `${escalated} file(s) need a person: see \`hive conflicts list\`.`);
      });
    } catch (err) {
      // A merge that fails part-way (a file that cannot be written, git failing, the branch moving under
      // it) leaves neither its worktree nor a row that looks open: the worktree leaked, and the row stayed
      // 'escalated' with files that could never be finished.
      const why = err instanceof Error ? err.message : String(err);
      const m = this.store.findMerge(id);
      if (m && !m.commit_sha) await this.endMerge(m, `the merge failed: ${why}`, actor, { reason: why });
      else if (worktree) await this.merger.abort(a.repo, worktree);
      throw err;
    } finally {
      resolver.dispose();
    }
  }

  /**
   * One child span per strategy the resolver tried on the file (with what it answered), a decision counted per
   * hunk, and one log line per file.
   */
  private observeDecision(file: string, r: FileResolution): void {
    const tried = new Map<string, string>();
    for (const h of r.hunks) {
      for (const t of h.attempts) if (!tried.has(t.strategy) || t.result !== 'not-applicable') tried.set(t.strategy, t.result);
      const tier = r.status === 'escalated' ? (h.tier === 'proposed' || r.tier === 'proposed' ? 'proposed' : 'escalated') : (h.tier ?? 'applied');
      this.tel.metrics.resolverDecisions.inc({ strategy: h.strategy ?? 'none', tier });
    }
    const now = Date.now();
    for (const [strategy, result] of tried) this.tel.recordSpan(`strategy ${strategy}`, now, now, { 'hive.file': file, 'hive.strategy': strategy, 'hive.result': result });
    this.tel.log.info({ action: 'resolve', file, status: r.status, tier: r.tier ?? undefined, strategies: [...tried.keys()], reason: r.reason }, `resolver: ${file} ${r.status}`);
  }

  private get tel(): Telemetry {
    return (this.fallbackTelemetry ??= this.d.telemetry ?? Telemetry.detached());
  }

  private fallbackTelemetry: Telemetry | null = null;

  private async runCheck(worktree: string): Promise<{ ok: boolean; output: string } | null> {
    const cmd = this.settings().checkCommand;
    if (!cmd) return null;
    return this.merger.runCheck(worktree, cmd);
  }

  /** Commits the merge once every file is resolved, with a Hive-Resolution trailer per file. */
  private async finish(mergeId: string, actor: string): Promise<MergeResult> {
    const m = this.store.merge(mergeId);
    const items = this.store.itemsOfMerge(mergeId);
    const trailers = [`Hive-Agent: ${m.agent}`];
    const task = (this.d.db.prepare('SELECT task FROM agents WHERE name = ?').get(m.agent) as { task: string } | undefined)?.task;
    if (task) trailers.push(`Hive-Task: ${oneLine(task)}`);
    for (const it of items) {
      const how = it.status === 'resolved' ? `${it.resolved_by ?? 'person'}` : `auto (${[...new Set((JSON.parse(it.hunks) as { strategy: string | null }[]).map((h) => h.strategy))].join(', ')})`;
      trailers.push(`Hive-Resolution: ${it.path}: ${how}`);
    }
    const commit = await this.merger.commit({ worktree: m.worktree, repo: m.repo, into: m.into_branch, oursHead: m.ours_head }, `Merge ${m.branch} into ${m.into_branch}`, trailers);
    this.store.updateMerge(mergeId, items.some((i) => i.status === 'resolved') ? 'resolved' : 'auto-resolved', commit.sha);
    this.d.events.append({ agent: m.agent, kind: 'merge.committed', actor, data: { id: mergeId, commit: commit.sha, into: m.into_branch } });
    await this.merger.cleanup(m.repo, m.worktree);
    // Its files take no more offers: the answers judged for them are not needed any more.
    for (const it of items) this.sideChoices.delete(it.id);
    return this.store.mergeResult(this.store.merge(mergeId), commit.message);
  }

  claims(agent?: string): IntentClaim[] {
    return this.store.claims(agent);
  }

  // ---- the queue ----------------------------------------------------------------------------

  list(opts: { status?: ConflictStatus; agent?: string; limit: number }): ConflictSummary[] {
    return this.store.list(opts);
  }

  get(id: string): ConflictItem {
    return this.store.item(id);
  }

  /**
   * One resolve or abandon of a merge at a time: two resolves of the same file both succeeded (the second
   * person told 'took theirs' while the worktree held ours), and an abandon during a resolve removed the
   * worktree under it.
   */
  private readonly mergeLocks = new KeyedMutex();

  async resolve(id: string, how: { take?: 'ours' | 'theirs' | 'both' | 'proposal'; text?: string }, actor = 'user'): Promise<{ item: ConflictSummary; merge: MergeResult }> {
    return this.mergeLocks.run(this.store.row(id).merge_id, () => this.resolveLocked(id, how, actor));
  }

  private async resolveLocked(id: string, how: { take?: 'ours' | 'theirs' | 'both' | 'proposal'; text?: string }, actor: string): Promise<{ item: ConflictSummary; merge: MergeResult }> {
    const it = this.store.row(id);
    if (it.status !== 'escalated' && it.status !== 'open') {
      throw new HiveError('INVALID_INPUT', `Conflict ${id} is ${it.status}; only open or escalated conflicts can be resolved.`);
    }
    const m = this.store.merge(it.merge_id);
    let text: string | null;
    let choice: string;
    if (how.text !== undefined) {
      text = how.text;
      choice = 'edited by hand';
    } else if (how.take === 'proposal') {
      text = it.proposal ?? it.auto_result;
      if (text === null) throw new HiveError('INVALID_INPUT', `Conflict ${id} has no proposal. Take ours, theirs or both, or give the file.`);
      choice = 'took the proposal';
    } else {
      text = await buildSide(how.take!, it.base, it.ours, it.theirs);
      choice = `took ${how.take}`;
    }
    if (text === null) await this.merger.removeFile(m.worktree, it.path);
    else await this.merger.writeFile(m.worktree, it.path, text);
    this.store.setItemStatus(id, 'resolved', `${actor} ${choice}`, { resolution: text ?? '', resolvedBy: `${actor} (${choice})` });
    this.store.addAttempt(id, null, 'person', 'resolved', choice);
    await this.learn(it.path, it.base, it.ours, it.theirs, text, `person:${actor}`);
    this.announce(id, 'resolved');
    await this.offerMergeSide(m.id);
    this.d.events.append({ agent: it.agent, kind: 'conflict.resolved', actor, data: { id, path: it.path, choice } });
    const open = this.store.itemsOfMerge(m.id).filter((i) => i.status === 'escalated' || i.status === 'open');
    if (open.length > 0) return { item: this.store.summary(id), merge: this.store.mergeResult(this.store.merge(m.id), `${open.length} file(s) still need a person.`) };
    try {
      const merge = await this.finish(m.id, actor);
      return { item: this.store.summary(id), merge };
    } catch (err) {
      if (!(err instanceof HiveError) || err.code !== 'MERGE_FAILED') throw err;
      // The commit cannot land (the branch moved, or was deleted, since the merge began): this merge is
      // over. Left as it was, its files showed resolved in a merge that could never be finished. The
      // answers are remembered (learned above), so the next `hive merge` of the agent offers them again.
      const why = `the merge could not be committed (${err.message}); your answers are remembered: run \`hive merge ${m.agent}\` again and accept them`;
      await this.endMerge(m, why, actor, { reason: err.message }, () => true);
      throw new HiveError('MERGE_FAILED', `${err.message.replace(/ Run `hive merge` again\.$/, '')} Your answers are remembered: run \`hive merge ${m.agent}\` again and accept them.`);
    }
  }

  /**
   * Once a person's answers to files of this merge agree on one side, every file of it still open with no
   * proposal of its own is offered that side (merge-side.ts). A side offered earlier is replaced as the
   * answers change, and withdrawn when they no longer agree.
   */
  private offerMergeSide(mergeId: string): Promise<void> {
    // One pass at a time per merge: two resolves in quick succession must not write offers computed from
    // an older state over a newer one (or onto a file resolved meanwhile).
    // An offer is a help, never in the way of the resolve that triggered it: a failure is said, not thrown.
    const run = (this.sideOffers.get(mergeId) ?? Promise.resolve())
      .then(() => this.offerMergeSideNow(mergeId))
      .catch((err: unknown) => {
        try {
          this.d.notify('warning', 'No merge-side proposal', `The other open files of this merge were not offered the side of your answers: ${err instanceof Error ? err.message : String(err)}`);
        } catch {
          // (nothing else to tell it with)
        }
      });
    this.sideOffers.set(mergeId, run);
    void run.then(() => {
      if (this.sideOffers.get(mergeId) === run) this.sideOffers.delete(mergeId);
    });
    return run;
  }

  private async offerMergeSideNow(mergeId: string): Promise<void> {
    const items = this.store.itemsOfMerge(mergeId);
    // Open files that can take an offer: no proposal of their own, no answer of the applied tier kept aside.
    const eligible = items.filter((i) => (i.status === 'escalated' || i.status === 'open') && i.auto_result === null && (i.proposal === null || i.reason.startsWith(MERGE_SIDE_PREFIX)));
    if (eligible.length === 0) return;
    const choices: SideChoice[] = [];
    for (const i of items) {
      if (i.status !== 'resolved' || i.resolution === null) continue;
      let c = this.sideChoices.get(i.id);
      if (c === undefined) {
        // An empty resolution of two non-empty sides is the file removed (resolve() stores '' for that).
        const answer = i.resolution === '' && (i.ours ?? '') !== '' && (i.theirs ?? '') !== '' ? null : i.resolution;
        const segs = await this.segmentsOf(i.base, i.ours, i.theirs);
        const hunks = segs?.segments.filter((x) => x.kind === 'conflict').map((x) => ({ ours: joinLines(x.ours), theirs: joinLines(x.theirs) }));
        c = choiceOf(i, answer, hunks, segs && answer !== null ? hunkResolutions(segs.segments, answer) : null);
        // A resolution never changes: judged once.
        this.sideChoices.set(i.id, c);
      }
      choices.push(c);
    }
    const side = sideOfMerge(choices);
    for (const i of eligible) {
      const offered = i.reason.startsWith(MERGE_SIDE_PREFIX);
      const before = offered ? i.reason.slice(i.reason.indexOf(MERGE_SIDE_SEP) + MERGE_SIDE_SEP.length) : i.reason;
      let text: string | null = null;
      if (side) {
        const segs = await this.segmentsOf(i.base, i.ours, i.theirs);
        text = sideText(side, i, segs?.segments ?? [], segs?.trailingNewline ?? true);
      }
      if (text === null) {
        // No side (any more), or none this file can take: an earlier offer is withdrawn.
        if (offered && this.store.setProposal(i.id, null, before)) this.announce(i.id, i.status);
        continue;
      }
      const reason = `${MERGE_SIDE_PREFIX}: ${describeMergeSide(side!)} (${describeTier(tierOf(MERGE_SIDE_STRATEGY))})${MERGE_SIDE_SEP}${before}`;
      if (this.store.setProposal(i.id, text, reason)) this.announce(i.id, i.status);
    }
  }

  /** The diff3 segments of three versions, or null when a side is missing or the merge failed. */
  private async segmentsOf(base: string | null, ours: string | null, theirs: string | null): Promise<MergeFileResult | null> {
    if (ours === null || theirs === null) return null;
    const mf = new MergeFile();
    try {
      return await mf.merge(base ?? '', ours, theirs);
    } catch {
      return null;
    } finally {
      mf.dispose();
    }
  }

  /** Records the person's answer per hunk, so exactly this conflict resolves itself next time. */
  private async learn(file: string, base: string | null, ours: string | null, theirs: string | null, text: string | null, source: string): Promise<void> {
    if (base === null || ours === null || theirs === null || text === null) return;
    const r = await this.segmentsOf(base, ours, theirs);
    const per = r ? hunkResolutions(r.segments, text) : null;
    if (!r || !per) return;
    let k = 0;
    try {
      for (const s of r.segments) {
        if (s.kind !== 'conflict') continue;
        this.learned.record({ fingerprint: fingerprintHunk(s.base, s.ours, s.theirs), resolution: per[k++]!, path: file, source });
      }
    } catch {
      // Remembering the answer is a help, not part of the resolution: the file is resolved either way.
    }
  }

  abandon(id: string, actor = 'user'): Promise<ConflictSummary> {
    return this.mergeLocks.run(this.store.row(id).merge_id, async () => this.abandonLocked(id, actor));
  }

  private async abandonLocked(id: string, actor: string): Promise<ConflictSummary> {
    const it = this.store.row(id);
    const m = this.store.merge(it.merge_id);
    if (m.status === 'abandoned') return this.store.summary(id);
    if (m.commit_sha) {
      throw new HiveError('INVALID_INPUT', `The merge of conflict ${id} is already committed (${m.commit_sha.slice(0, 12)} on ${m.into_branch}); there is nothing to abandon. Revert the commit to undo it.`);
    }
    await this.endMerge(m, `abandoned by ${actor}`, actor, {}, (status) => status === 'escalated' || status === 'open' || status === 'auto-resolved');
    return this.store.summary(id);
  }

  async sendBack(id: string, note?: string): Promise<{ sent: boolean; via: string; message: string }> {
    const it = this.store.item(id);
    const body = [
      `Merge conflict in ${it.path} (${it.branch} → ${it.into}), conflict ${it.id}.`,
      `Why it was not resolved automatically: ${it.reason}`,
      note ? `Note from the reviewer: ${note}` : '',
      'Rebase or merge your branch on the integration branch, resolve, commit, then ask for `hive merge` again.',
      '--- conflict (diff3) ---',
      it.withMarkers.slice(0, 20_000),
    ]
      .filter(Boolean)
      .join('\n');
    if (!this.d.sendToAgent) return { sent: false, via: 'none', message: 'No messaging bus is available; copy the conflict from `hive conflicts show`.' };
    const sent = await this.d.sendToAgent(it.agent, body);
    this.d.events.append({ agent: it.agent, kind: 'conflict.sent-back', data: { id, sent } });
    return { sent, via: 'bus', message: sent ? `Sent to ${it.agent}.` : `Could not reach ${it.agent}.` };
  }

  async mergeList(limit: number): Promise<Omit<MergeResult, 'files'>[]> {
    return this.store.merges(limit).map((m) => {
      const { files: _files, ...rest } = this.store.mergeResult(m, '');
      return rest;
    });
  }

  /**
   * Ends a merge as abandoned: the items `which` selects (by default all not abandoned yet) abandoned with
   * `reason`, every item announced and its side offer dropped, the worktree removed (awaited: a resolve
   * queued behind finds the merge abandoned, never a half-removed worktree), one event.
   */
  private async endMerge(m: MergeRow, reason: string, actor: string, data: Record<string, unknown>, which: (status: string) => boolean = (s) => s !== 'abandoned'): Promise<void> {
    for (const it of this.store.itemsOfMerge(m.id)) {
      if (which(it.status)) this.store.setItemStatus(it.id, 'abandoned', reason);
      this.announce(it.id, 'abandoned');
      this.sideChoices.delete(it.id);
    }
    this.store.updateMerge(m.id, 'abandoned');
    if (m.worktree) await this.merger.abort(m.repo, m.worktree);
    this.d.events.append({ agent: m.agent, kind: 'merge.abandoned', actor, data: { id: m.id, ...data } });
  }

  private announce(id: string, status: string): void {
    this.d.push?.('conflict:changed', { id, status });
  }

  dispose(): void {
    this.pollTimer?.cancel();
    this.pollTimer = null;
    this.preflightRunner.dispose();
  }
}

const MERGE_SIDE_PREFIX = 'proposal (merge-side)';
/** Between the merge-side offer and the reason the file was escalated for, kept to restore it. */
const MERGE_SIDE_SEP = ' — escalated because: ';

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim().slice(0, 200);
}

/** ours / theirs / both (ours' hunk text, then theirs', in file order) built from the three versions. */
async function buildSide(take: 'ours' | 'theirs' | 'both', base: string | null, ours: string | null, theirs: string | null): Promise<string | null> {
  if (take === 'ours') return ours;
  if (take === 'theirs') return theirs;
  if (ours === null || theirs === null) return ours ?? theirs;
  const mf = new MergeFile();
  try {
    const r = await mf.merge(base ?? '', ours, theirs);
    const text = joinLines(r.segments.flatMap((s) => (s.kind === 'stable' ? s.lines : [...s.ours, ...s.theirs])));
    return !r.trailingNewline && text.endsWith('\n') ? text.slice(0, -1) : text;
  } finally {
    mf.dispose();
  }
}
