import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HiveError } from '../../../shared/errors.js';
import { Git } from '../git/git.js';
import { openDatabase } from '../store/database.js';
import { CatFileBatch } from './cat-file-batch.js';
import { CommitGraph } from './commit-graph.js';
import { DiffTreeBatch } from './diff-tree-batch.js';
import { hunkResolutions } from './hunk-alignment.js';
import { LearnedResolutions } from './learned-resolutions.js';
import type { LlmProvider } from './llm-provider.js';
import { conflictMigrations } from './migrations.js';
import { Resolver, type FileResolution } from './resolver.js';
import { lexTokens } from './lex-tokens.js';
import { choiceOf, describeMergeSide, MERGE_SIDE_STRATEGY, sideOfMerge, sideText, type SideChoice } from './merge-side.js';
import { classifyOutcome, humanEdited, type OutcomeClass } from './outcome-classes.js';
import { outcomeOf, ReplayTally, type Outcome, type ReplayReport } from './replay-tally.js';

export interface ReplayOptions {
  repo: string;
  limit?: number;
  /** Which history to walk (default HEAD). */
  rev?: string;
  llm?: LlmProvider | null;
  git?: Git;
  onMerge?: (done: number, total: number) => void;
  /**
   * Audit trail: for every file the resolver applied or proposed, `DIR/<n>/` gets base, ours, theirs,
   * committed, result and meta.json ({merge, path, tier, strategies, reasons, class}).
   */
  detailsDir?: string;
  /** Also write escalated files (result = git's output with markers): for studying what is left. */
  detailsEscalated?: boolean;
}

/**
 * Re-merges every merge commit's parents (oldest first): every file both parents changed goes through
 * `git merge-file` and, when it conflicts, the resolver; each auto-resolved file is compared with what
 * was committed. Reads the repository with plumbing only (`git merge-tree --write-tree` would write and
 * freshen objects), and keeps learned answers in a temporary SQLite file, never the user's data dir.
 */
export async function replayRepo(opts: ReplayOptions): Promise<ReplayReport> {
  const git = opts.git ?? new Git();
  const repo = path.resolve(opts.repo);
  // (A folder that does not exist made git's spawn fail with ENOENT, which read as "git is not installed".)
  if (!existsSync(repo)) throw new HiveError('NOT_A_GIT_REPO', `${repo} does not exist. Give the path of a local clone (bare clones work too).`);
  const gitDir = (await git.run(repo, ['rev-parse', '--git-dir'], { allowFailure: true })).stdout.trim();
  if (!gitDir) throw new HiveError('NOT_A_GIT_REPO', `${repo} is not a git repository. Give the path of a local clone (bare clones work too).`);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'hive-replay-'));
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', LC_ALL: 'C' };
  // Only read-only plumbing runs against the repository: rev-list, merge-base, diff-tree, cat-file.
  const readOnly = ['-c', 'gc.auto=0'];
  const g = (args: string[]) => git.run(repo, [...readOnly, ...args], { env, allowFailure: true, maxBuffer: 512 * 1024 * 1024 });
  const db = openDatabase(path.join(tmp, 'learned.db'), { migrations: conflictMigrations });
  const learned = new LearnedResolutions(db);
  const resolver = new Resolver({ learned, llm: opts.llm ?? null, measureWithheld: true });
  const tally = new ReplayTally();
  let cat: CatFileBatch | null = null;
  let diffs: DiffTreeBatch | null = null;
  try {
    // The revision as a commit id: `--rev=--output=FILE` was handed to rev-list as an option (it wrote the
    // file), and a name that names nothing replayed "0 merges" and exited 0.
    const wanted = opts.rev ?? 'HEAD';
    const resolved = await g(['rev-parse', '--verify', '-q', '--end-of-options', `${wanted}^{commit}`]);
    if (opts.rev !== undefined && (resolved.code !== 0 || wanted.startsWith('-'))) {
      throw new HiveError('INVALID_INPUT', `--rev ${JSON.stringify(wanted)} is not a branch, tag or commit of ${repo}.`);
    }
    // (No --rev and no commit yet: an empty history, replayed as such.)
    const rev = resolved.code === 0 ? resolved.stdout.trim() : 'HEAD';
    const list = (await g(['rev-list', '--merges', '--parents', '--reverse', '--date-order', rev])).stdout.trim();
    let merges = list ? list.split('\n').map((l) => l.split(' ')) : [];
    if (opts.limit && merges.length > opts.limit) merges = merges.slice(merges.length - opts.limit);
    cat = new CatFileBatch(repo, env, 'git');
    // Grammar loading is a one-time start-up cost, not per-hunk work: do it before the clock starts.
    for (const lang of ['typescript', 'tsx', 'javascript', 'python', 'json'] as const) await resolver.grammars.parser(lang);
    const started = performance.now();
    // Git processes per merge used to dominate the run (a fork each): merge bases come from the commit
    // graph read once, and both sides' diffs from one long-lived diff-tree. Same answers as before.
    diffs = new DiffTreeBatch(repo, env, 'git', readOnly);
    let detailN = 0;
    if (opts.detailsDir) mkdirSync(opts.detailsDir, { recursive: true });
    const graph = merges.length > 0 ? await commitGraph(g, rev) : null;
    for (const [i, [merge, ...parents]] of merges.entries()) {
      opts.onMerge?.(i, merges.length);
      tally.mergesScanned++;
      if (parents.length !== 2) {
        tally.skip('octopus merges', 1);
        continue;
      }
      const [p1, p2] = parents as [string, string];
      const bases = graph?.mergeBases(p1, p2) ?? (await g(['merge-base', '--all', p1, p2])).stdout.trim().split('\n').filter(Boolean);
      if (bases.length !== 1) {
        tally.skip(bases.length === 0 ? 'merges without a merge base' : 'criss-cross merges (more than one merge base)', 1);
        continue;
      }
      let ours: Map<string, Change>;
      let theirs: Map<string, Change>;
      try {
        [ours, theirs] = await Promise.all([changes(diffs, bases[0]!, p1), changes(diffs, bases[0]!, p2)]);
      } catch {
        // A partial clone (or a shallow one) lacks objects: git diff-tree dies on them. Skip the merge and
        // go on with a fresh diff-tree.
        diffs.dispose();
        diffs = new DiffTreeBatch(repo, env, 'git', readOnly);
        tally.skip('merges with objects missing from the clone', 1);
        continue;
      }
      const files: { path: string; base: string; ours: string; theirs: string }[] = [];
      for (const [file, o] of ours) {
        const t = theirs.get(file);
        if (!t) continue;
        const skip = skipReason(o, t);
        if (skip === 'same') continue;
        if (skip) tally.skip(skip, 1);
        else files.push({ path: file, base: o.old, ours: o.new, theirs: t.new });
      }
      let conflicting = false;
      const sideChoices: SideChoice[] = [];
      // One file at a time: the resolver is CPU work in-process, so the timing per file stays honest.
      await inParallel(files, 1, async (f) => {
        const blobs = await Promise.all([f.base, f.ours, f.theirs, `${merge}:${f.path}`].map((s) => cat!.read(s)));
        const [b, o, t] = blobs;
        const committed = blobs[3] ?? null;
        if (!b || !o || !t) {
          tally.skip('files with objects missing from the clone', 1);
          return;
        }
        if (blobs.some((x) => x && x.includes(0))) {
          tally.skip('binary files', 1);
          return;
        }
        const input = { path: f.path, base: b!.toString('utf8'), ours: o!.toString('utf8'), theirs: t!.toString('utf8') };
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        const m0 = resolver.measureOnlyMs;
        const r = await resolver.resolveFile(input);
        const m1 = resolver.measureOnlyMs;
        const measuring = { ms: m1.ms - m0.ms, cpuMs: m1.cpuMs - m0.cpuMs };
        const ms = performance.now() - t0 - measuring.ms;
        const cpu = process.cpuUsage(c0);
        if (r.hunks.length === 0) {
          // Merged cleanly: the noise floor counts how often people still edit such files in the merge.
          tally.cleanBothSides++;
          if (committed === null || r.merged !== committed.toString('utf8')) tally.cleanButEdited++;
          if (committed !== null && r.merged !== null) {
            const ct = committed.toString('utf8');
            tally.noiseClass(r.merged === ct ? 'exact' : await classifyOutcome(resolver.grammars, { ...input, result: r.merged, committed: ct }));
          }
          return;
        }
        conflicting = true;
        if (!committed) {
          tally.skip('conflicting files deleted in the merge commit', 1);
          return;
        }
        tally.resolverMs += ms;
        tally.resolverCpuMs += (cpu.user + cpu.system) / 1000 - measuring.cpuMs;
        tally.measureOnlyMs += measuring.ms;
        const committedText = committed.toString('utf8');
        tally.files++;
        tally.hunks += r.hunks.length;
        const fileOutcome: Outcome = r.status === 'resolved' ? outcomeOf(r.merged!, committedText) : 'escalated';
        tally.fileOutcome(fileOutcome);
        const perHunk = hunkResolutions(r.segments, committedText);
        for (const h of r.hunks) {
          if (h.status !== 'resolved' || !h.strategy) continue;
          const truth = perHunk?.[h.index];
          tally.strategyOutcome(h.strategy, truth === undefined ? fileOutcome : outcomeOf(h.resolution!, truth));
        }
        // Classes: the applied text or the proposal, against the commit; each hunk answer is classed too
        // (by its own committed region where that can be aligned), so every strategy and situation gets
        // its measured precision whatever its current tier.
        const tc = performance.now();
        const answer = r.status === 'resolved' ? r.merged : r.tier === 'proposed' ? r.proposal : null;
        const regions = perHunk ? r.hunks.map((h) => perHunk[h.index]!) : null;
        let cls: OutcomeClass | null = null;
        if (answer !== null) cls = await classifyOutcome(resolver.grammars, { ...input, result: answer, committed: committedText, committedRegions: regions });
        // A file nothing answered: the side the person took for this merge's earlier files, as a proposal
        // (what the queue offers once some files of a merge are answered). The committed files stand in for
        // the person's answers, in the order the queue lists them.
        const side = answer === null ? sideOfMerge(sideChoices) : null;
        const sideAnswer = side ? sideText(side, input, r.segments, input.ours.endsWith('\n') || input.theirs.endsWith('\n')) : null;
        if (sideAnswer !== null) {
          const sc = await classifyOutcome(resolver.grammars, { ...input, result: sideAnswer, committed: committedText, committedRegions: regions });
          tally.fileClass('proposed', sc);
          tally.strategyClass(MERGE_SIDE_STRATEGY, 'proposed', sc);
          if (opts.detailsDir) writeDetails(opts.detailsDir, ++detailN, { merge: merge!, path: f.path, input, committedText, answer: sideAnswer, r, cls: sc, strategy: MERGE_SIDE_STRATEGY, reason: describeMergeSide(side!) });
        } else {
          tally.fileClass(answer === null ? null : r.tier, cls);
        }
        // A person's answers only: files the resolver applied by itself never reach the queue.
        if (r.status !== 'resolved') sideChoices.push(choiceOf(input, committedText, r.hunks, regions));
        if (answer !== null) {
          for (const h of r.hunks) {
            if (h.status !== 'resolved' || !h.strategy) continue;
            const truth = perHunk?.[h.index];
            const hc: OutcomeClass =
              truth === undefined ? cls! : h.resolution === truth ? 'exact' : sameLexTokens(h.resolution!, truth) ? 'formatEquivalent' : cls === 'orderEquivalent' ? cls : humanRegion(input, truth) ? 'humanEdited' : 'wrong';
            tally.strategyClass(h.situation ? `${h.strategy}/${h.situation}` : h.strategy, h.tier ?? 'proposed', hc);
          }
          if (opts.detailsDir) writeDetails(opts.detailsDir, ++detailN, { merge: merge!, path: f.path, input, committedText, answer, r, cls });
        }
        // Withheld answers are measured at the hunk (against the hunk's committed text), never applied.
        for (const h of r.hunks) {
          const w = h.withheld;
          const truth = perHunk?.[h.index];
          if (!w || truth === undefined) continue;
          const wc: OutcomeClass = w.resolution === truth ? 'exact' : sameLexTokens(w.resolution, truth) ? 'formatEquivalent' : humanRegion(input, truth) ? 'humanEdited' : 'wrong';
          tally.strategyClass(w.situation ? `${w.strategy}/${w.situation}` : w.strategy, 'withheld', wc);
        }
        if (answer === null && sideAnswer === null && opts.detailsDir && opts.detailsEscalated) {
          writeDetails(opts.detailsDir, ++detailN, { merge: merge!, path: f.path, input, committedText, answer: r.withMarkers, r, cls: null });
        }
        tally.classifyMs += performance.now() - tc;
        const tb = performance.now();
        const base = await baseline(git, tmp, input, committedText);
        tally.baselineOutcome(base.outcome);
        if (base.text !== null) tally.baselineClass(base.text === committedText ? 'exact' : await classifyOutcome(resolver.grammars, { ...input, result: base.text, committed: committedText }));
        tally.baselineMs += performance.now() - tb;
        // What the person committed becomes a learned answer for later merges (never for this one).
        if (perHunk) {
          for (const h of r.hunks) learned.record({ fingerprint: h.fingerprint, resolution: perHunk[h.index]!, path: f.path, source: `replay:${merge!.slice(0, 12)}` });
        }
      });
      if (conflicting) tally.conflictingMerges++;
    }
    tally.wallMs = performance.now() - started;
    return tally.report(repo, merges.length);
  } finally {
    cat?.dispose();
    diffs?.dispose();
    resolver.dispose();
    db.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

type Run = (args: string[]) => Promise<{ stdout: string; code: number }>;

interface Change {
  status: string;
  oldMode: string;
  newMode: string;
  old: string;
  new: string;
}

/** `git diff-tree -r -M -z base side`: path → what the side did to it (renames keyed by both paths). */
async function changes(diffs: DiffTreeBatch, base: string, side: string): Promise<Map<string, Change>> {
  const out = new Map<string, Change>();
  for (const { paths, ...c } of await diffs.diff(base, side)) for (const p of paths) out.set(p, c);
  return out;
}

/** The graph for merge bases, or null (then `git merge-base` answers) when it cannot be built. */
async function commitGraph(g: Run, rev: string): Promise<CommitGraph | null> {
  const r = await g(['rev-list', '--parents', rev]);
  if (r.code !== 0) return null;
  try {
    return new CommitGraph(r.stdout);
  } catch {
    return null;
  }
}

function skipReason(o: Change, t: Change): string | null | 'same' {
  if (o.status === 'R' || t.status === 'R' || o.status === 'C' || t.status === 'C') return 'files involved in renames';
  if (o.new === t.new && o.newMode === t.newMode) return 'same';
  if (o.status === 'A' && t.status === 'A') return 'add/add files';
  if (o.status === 'D' || t.status === 'D') return 'modify/delete files';
  if (o.status === 'T' || t.status === 'T' || [o.newMode, t.newMode].some((m) => m === '120000' || m === '160000')) return 'symlinks, submodules and type changes';
  if (o.status !== 'M' || t.status !== 'M') return `other changes (${o.status}/${t.status})`;
  return null;
}

async function inParallel<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** Plain `git merge-file` on the same three texts: resolves a file only when it reports no conflict. */
async function baseline(git: Git, tmp: string, input: { base: string; ours: string; theirs: string }, committed: string): Promise<{ outcome: Outcome; text: string | null }> {
  const files = ['o', 'b', 't'].map((s) => path.join(tmp, `baseline.${s}`));
  writeFileSync(files[0]!, input.ours);
  writeFileSync(files[1]!, input.base);
  writeFileSync(files[2]!, input.theirs);
  const r = await git.run(tmp, ['merge-file', '-p', ...files], { allowFailure: true });
  return r.code === 0 ? { outcome: outcomeOf(r.stdout, committed), text: r.stdout } : { outcome: 'escalated', text: null };
}

function writeDetails(
  root: string,
  n: number,
  d: { merge: string; path: string; input: { base: string; ours: string; theirs: string }; committedText: string; answer: string; r: FileResolution; cls: OutcomeClass | null; strategy?: string; reason?: string },
): void {
  const dir = path.join(root, String(n));
  mkdirSync(dir, { recursive: true });
  const files = [['base', d.input.base], ['ours', d.input.ours], ['theirs', d.input.theirs], ['committed', d.committedText], ['result', d.answer]] as const;
  for (const [name, text] of files) writeFileSync(path.join(dir, name), text);
  const used = d.r.hunks.filter((h) => h.strategy);
  const meta = d.strategy
    ? { merge: d.merge, path: d.path, tier: 'proposed', strategies: [d.strategy], reasons: [d.reason ?? ''], class: d.cls }
    : {
        merge: d.merge,
        path: d.path,
        tier: d.r.tier ?? 'escalated',
        strategies: used.map((h) => (h.situation ? `${h.strategy}/${h.situation}` : h.strategy!)),
        reasons: d.r.tier ? used.map((h) => h.reason) : d.r.hunks.map((h) => h.reason),
        class: d.cls,
      };
  writeFileSync(path.join(dir, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
}

/** The committed region holds a line none of the three inputs has. */
function humanRegion(input: { base: string; ours: string; theirs: string }, region: string): boolean {
  return humanEdited({ ...input, committed: region, committedRegions: [region] });
}

function sameLexTokens(a: string, b: string): boolean {
  const x = lexTokens(a);
  const y = lexTokens(b);
  return x.length === y.length && x.every((t, i) => t === y[i]);
}
