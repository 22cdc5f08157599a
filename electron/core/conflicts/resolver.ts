import { CommutativeStrategy } from './commutative-strategy.js';
import { Grammars, languageForPath } from './grammars.js';
import { fingerprintHunk, LearnedStrategy, type LearnedResolutions } from './learned-resolutions.js';
import { LlmStrategy, type LlmProvider } from './llm-provider.js';
import { MergeFile, parseDiff3, type Segment } from './merge-file.js';
import { AdjacentStrategy } from './adjacent-strategy.js';
import { identicalStrategy, reformatStrategy, whitespaceStrategy } from './simple-strategies.js';
import { alreadyElsewhereInOursStrategy, alreadyInOursStrategy, changelogSectionsStrategy, lineByLineStrategy } from './side-strategies.js';
import { versionStrategy } from './version-strategy.js';
import { jsonKeysStrategy, tokenMergeStrategy } from './token-strategies.js';
import type { HunkInput, Strategy } from './strategy.js';
import { joinLines, pushLines, splitLines } from './text-lines.js';
import { lexTokens } from './lex-tokens.js';
import { diffLines } from './line-diff.js';
import type { RepoFormatter } from './repo-formatter.js';
import { describeTier, tierOf, type Tier } from './strategy-tiers.js';
import { VerificationGate } from './verification-gate.js';

export interface Attempt {
  strategy: string;
  result: 'resolved' | 'not-applicable' | 'escalate';
  reason: string;
}

export interface HunkResult {
  index: number;
  base: string;
  ours: string;
  theirs: string;
  fingerprint: string;
  status: 'resolved' | 'escalated';
  strategy: string | null;
  /** The case within the strategy that decides its tier (e.g. reformat-one-side/converted). */
  situation: string | null;
  /** applied: safe by the measured table; proposed: offered to a person with its precision. */
  tier: Tier | null;
  /** Replay only (measureWithheld): the first withheld answer, to keep measuring it. */
  withheld?: { strategy: string; situation: string | null; resolution: string };
  reason: string;
  resolution: string | null;
  attempts: Attempt[];
}

export interface FileResolution {
  path: string;
  /** The diff3 segments the hunks came from (for learning a person's per-hunk answers). */
  segments: Segment[];
  status: 'clean' | 'resolved' | 'escalated';
  /** The text to write when clean or resolved. */
  merged: string | null;
  /** git's output with conflict markers (diff3 style), for people and the review screen. */
  withMarkers: string;
  reason: string;
  hunks: HunkResult[];
  gate: string[];
  /** A full-file answer offered to a person instead of applied: a proposal-tier strategy's, or the model's. */
  proposal: string | null;
  /**
   * 'applied' when status is resolved; 'proposed' when every hunk has an answer and the gate accepts the
   * result but some answer's strategy is in the proposal tier (status is then escalated, text in proposal).
   */
  tier: Tier | null;
}

export interface FileInput {
  path: string;
  /** null = the file does not exist on that side. */
  base: string | null;
  ours: string | null;
  theirs: string | null;
}

export interface ResolverOptions {
  learned?: LearnedResolutions | null;
  llm?: LlmProvider | null;
  grammars?: Grammars;
  mergeFile?: MergeFile;
  /** Strategy names to leave out (the benchmark's per-strategy runs). */
  disable?: string[];
  /** Keep withheld answers on the hunk results (the replay measures them; nothing applies them). */
  measureWithheld?: boolean;
}

/**
 * The resolver pipeline as a library: three texts in, per-hunk results out. Cheapest strategy first;
 * every answer carries its strategy and reason; the file is resolved only when every hunk is and the
 * verification gate accepts the result. Anything uncertain is escalated, never guessed.
 */
export class Resolver {
  readonly grammars: Grammars;
  private readonly mergeFile: MergeFile;
  private readonly gate: VerificationGate;
  private readonly strategies: Strategy[];
  private readonly llm: Strategy | null;
  private readonly ownsParts: boolean;
  private readonly measureWithheld: boolean;
  private measureOnly = { ms: 0, cpuMs: 0 };
  /** The trees of measure-only work: its own cache, so it never warms the one the measured work uses. */
  private readonly measureGrammars: Grammars | null;

  /**
   * Wall and CPU milliseconds spent (with `measureWithheld`) running strategies whose every possible answer
   * for the hunk is withheld — work a merge skips; the replay leaves it out of the resolver's time.
   */
  get measureOnlyMs(): { ms: number; cpuMs: number } {
    return { ...this.measureOnly };
  }

  constructor(opts: ResolverOptions = {}) {
    this.ownsParts = !opts.grammars;
    this.measureGrammars = opts.measureWithheld ? new Grammars() : null;
    this.measureWithheld = opts.measureWithheld ?? false;
    this.grammars = opts.grammars ?? new Grammars();
    this.mergeFile = opts.mergeFile ?? new MergeFile();
    this.gate = new VerificationGate(this.grammars);
    const all: Strategy[] = [identicalStrategy, whitespaceStrategy, reformatStrategy, versionStrategy, new AdjacentStrategy(this.measureGrammars ?? this.grammars), new CommutativeStrategy(this.grammars)];
    if (opts.learned) all.push(new LearnedStrategy(opts.learned));
    // After a person's earlier answer: regularities of how people merge, measured, only ever proposals.
    all.push(alreadyInOursStrategy, alreadyElsewhereInOursStrategy, lineByLineStrategy, changelogSectionsStrategy, jsonKeysStrategy, tokenMergeStrategy);
    this.strategies = all.filter((s) => !opts.disable?.includes(s.name));
    this.llm = opts.llm ? new LlmStrategy(opts.llm) : null;
  }

  /**
   * `gitOutput`: the file as git's own merge wrote it (diff3 style, marker size 41), when the caller
   * already merged (replay through merge-tree); otherwise `git merge-file` runs here.
   */
  async resolveFile(input: FileInput, opts: { gitOutput?: string; formatter?: RepoFormatter | null } = {}): Promise<FileResolution> {
    const { path } = input;
    if (input.base !== null && (input.ours === null) !== (input.theirs === null)) {
      const [gone, kept] = input.ours === null ? ['ours', 'theirs'] : ['theirs', 'ours'];
      const changed = (input.ours ?? input.theirs) !== input.base;
      if (changed) return escalatedWhole(input, `${gone} deleted the file while ${kept} modified it`);
      return { path, segments: [], status: 'clean', merged: null, withMarkers: '', reason: `${gone} deleted the file; ${kept} left it unchanged`, hunks: [], gate: [], proposal: null, tier: null };
    }
    if (input.ours === null && input.theirs === null) {
      return { path, segments: [], status: 'clean', merged: null, withMarkers: '', reason: 'both sides deleted the file', hunks: [], gate: [], proposal: null, tier: null };
    }
    const base = input.base ?? '';
    const ours = input.ours ?? '';
    const theirs = input.theirs ?? '';
    const merged =
      opts.gitOutput !== undefined
        ? { segments: parseDiff3(opts.gitOutput), trailingNewline: ours.endsWith('\n') || theirs.endsWith('\n') }
        : await this.mergeFile.merge(base, ours, theirs);
    const withMarkers = renderMarkers(merged.segments, merged.trailingNewline);
    const lang = languageForPath(path);
    const segs = merged.segments;
    const resolutions: (string[] | null)[] = segs.map(() => null);
    const hunks: HunkResult[] = [];
    let usedLlm = false;
    // What surrounds each hunk: the file before it (earlier hunks as resolved, else ours) and after it (ours).
    // Built once per file by concatenation, not re-joined from every line per hunk (that was quadratic in
    // the hunks of a file).
    const segText = segs.map((s) => joinLines(s.kind === 'stable' ? s.lines : s.ours));
    const suffixes: string[] = new Array(segs.length + 1).fill('');
    for (let j = segs.length - 1; j >= 0; j--) suffixes[j] = segText[j]! + suffixes[j + 1]!;
    let prefix = '';
    // Past MAX_HUNKS conflicting regions the syntax strategies' cost grows with hunks × file size (each
    // looks at its hunk in the whole file): 400 regions took 4 s, 5,000 over ten minutes. Such a file (both
    // sides rewrote it throughout) is not resolved region by region; every hunk is listed for a person.
    const conflicts = segs.filter((s) => s.kind === 'conflict').length;
    const tooMany = conflicts > MAX_HUNKS ? `${conflicts} conflicting regions in one file (more than ${MAX_HUNKS}): not resolved region by region. Take one side for the whole file (hive conflicts resolve ID --take ours|theirs) or merge it by hand` : null;
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i]!;
      if (seg.kind !== 'conflict') {
        prefix += segText[i]!;
        continue;
      }
      const h: HunkInput = { path, lang, base: seg.base, ours: seg.ours, theirs: seg.theirs, prefix, suffix: suffixes[i + 1]! };
      const result = tooMany ? unresolvedHunk(h, hunks.length, tooMany) : await this.resolveHunk(h, hunks.length);
      if (result.strategy?.startsWith('llm:')) usedLlm = true;
      if (result.status === 'resolved') resolutions[i] = splitKeep(result.resolution!);
      prefix += resolutions[i] ? joinLines(resolutions[i]!) : segText[i]!;
      hunks.push(result);
    }
    const assemble = () => finish(joinLines(segs.flatMap((s, j) => (s.kind === 'stable' ? s.lines : (resolutions[j] ?? [])))), merged.trailingNewline);
    if (hunks.length === 0) {
      return { path, segments: segs, status: 'clean', merged: assemble(), withMarkers, reason: 'git merges this file cleanly', hunks, gate: [], proposal: null, tier: null };
    }
    const open = hunks.filter((h) => h.status === 'escalated');
    if (open.length > 0) {
      return { path, segments: segs, status: 'escalated', merged: null, withMarkers, reason: tooMany ?? open.map((h) => `hunk ${h.index + 1}: ${h.reason}`).join('; '), hunks, gate: [], proposal: null, tier: null };
    }
    let text = assemble();
    let verdict = await this.gate.check({ path, lang, base, ours, theirs, merged: text });
    if (verdict.ok && opts.formatter) {
      const laidOut = await layOutWithFormatter(opts.formatter, { path, ours, theirs, text, segs, resolutions, hunks });
      if (laidOut !== null) {
        const again = await this.gate.check({ path, lang, base, ours, theirs, merged: laidOut });
        if (again.ok) {
          text = laidOut;
          verdict = again;
          for (const h of hunks) {
            if (h.strategy !== 'reformat-one-side' || h.situation !== 'old-formatting') continue;
            h.situation = 'formatted';
            const t = tierOf('reformat-one-side', 'formatted').tier;
            h.tier = t === 'withheld' ? 'proposed' : t;
            h.reason = `${h.reason.replace(/ in the old formatting$/, '')}, laid out by the repository's ${opts.formatter.name} (same tokens as the change; the formatted side is already in its layout)`;
          }
        }
      }
    }
    if (!verdict.ok) {
      for (const h of hunks) h.attempts.push({ strategy: 'gate', result: 'escalate', reason: verdict.reason });
      return {
        path,
        segments: segs,
        status: 'escalated',
        merged: null,
        withMarkers,
        reason: `verification failed: ${verdict.reason}`,
        hunks: hunks.map((h) => ({ ...h, status: 'escalated' })),
        gate: [],
        proposal: usedLlm ? text : null,
        tier: null,
      };
    }
    const names = [...new Set(hunks.map((h) => h.strategy))].join(', ');
    const proposed = hunks.filter((h) => h.tier === 'proposed');
    if (proposed.length > 0) {
      const why = [...new Set(proposed.map((h) => describeTier(tierOf(h.strategy!, h.situation))))].join('; ');
      return {
        path,
        segments: segs,
        status: 'escalated',
        merged: null,
        withMarkers,
        reason: `proposal (${names}), not applied: ${why}`,
        hunks,
        gate: verdict.checks,
        proposal: text,
        tier: 'proposed',
      };
    }
    return { path, segments: segs, status: 'resolved', merged: text, withMarkers, reason: `all ${hunks.length} hunk(s) resolved (${names})`, hunks, gate: verdict.checks, proposal: null, tier: 'applied' };
  }

  private async resolveHunk(h: HunkInput, index: number): Promise<HunkResult> {
    const out = unresolvedHunk(h, index, '');
    const { attempts } = out;
    let hardStop: string | null = null;
    const withheld: { name: string; situation: string | null; reason: string; lines: string[] }[] = [];
    const chain = this.llm ? [...this.strategies, this.llm] : this.strategies;
    for (const s of chain) {
      // After a definite "do not merge", only a person's earlier answer may still apply.
      if (hardStop && s.name !== 'learned') continue;
      // A strategy whose every possible answer here would be withheld is not run (the replay runs it to
      // keep measuring it, on a separate clock).
      const possible = s.situations?.(h);
      if (possible?.length === 0) {
        attempts.push({ strategy: s.name, result: 'not-applicable', reason: '' });
        continue;
      }
      const measureOnly = possible?.every((x) => tierOf(s.name, x).tier === 'withheld') ?? false;
      if (measureOnly && !this.measureWithheld) {
        attempts.push({ strategy: s.name, result: 'not-applicable', reason: 'not tried: its answers here are withheld as too often wrong' });
        continue;
      }
      const t0 = measureOnly ? performance.now() : 0;
      const c0 = measureOnly ? process.cpuUsage() : null;
      const r = await s.apply(h);
      if (c0) {
        const cpu = process.cpuUsage(c0);
        this.measureOnly.ms += performance.now() - t0;
        this.measureOnly.cpuMs += (cpu.user + cpu.system) / 1000;
        // A merge skips this strategy: that is only the same answer if it can give nothing else here.
        if (r && (r.kind === 'escalate' || tierOf(s.name, r.situation ?? null).tier !== 'withheld' || !possible!.includes(r.situation ?? null))) {
          throw new Error(`strategy ${s.name} declared the situations ${JSON.stringify(possible)} for this hunk but gave ${r.kind === 'escalate' ? 'an escalation' : `an answer in ${JSON.stringify(r.situation ?? null)}`}: a merge, which skips it, would decide otherwise. Fix its situations().`);
        }
      }
      if (!r) {
        attempts.push({ strategy: s.name, result: 'not-applicable', reason: '' });
        continue;
      }
      if (r.kind === 'escalate') {
        attempts.push({ strategy: s.name, result: r.kind, reason: r.reason });
        hardStop ??= r.reason;
        continue;
      }
      const situation = r.situation ?? null;
      const row = tierOf(s.name, situation);
      if (row.tier === 'withheld' || false) {
        // Too often wrong on real histories to be offered: recorded, and the next strategy gets its turn.
        attempts.push({ strategy: s.name, result: 'not-applicable', reason: `answer withheld (${describeTier(row)}): ${r.reason}` });
        withheld.push({ name: s.name, situation, reason: r.reason, lines: r.lines });
        continue;
      }
      attempts.push({ strategy: s.name, result: r.kind, reason: r.reason });
      return { ...out, status: 'resolved', strategy: s.name, situation, tier: row.tier, reason: r.reason, resolution: joinLines(r.lines) };
    }
    out.reason =
      hardStop ??
      (withheld.length ? `answers withheld as too often wrong: ${withheld.map((w) => (w.situation ? `${w.name}/${w.situation}` : w.name)).join(', ')}` : 'no strategy could prove a safe resolution');
    // The replay measures withheld answers too (so their tier can be revisited): kept aside, never applied.
    if (withheld.length && this.measureWithheld) out.withheld = { strategy: withheld[0]!.name, situation: withheld[0]!.situation, resolution: joinLines(withheld[0]!.lines) };
    return out;
  }

  dispose(): void {
    this.mergeFile.dispose();
    if (this.ownsParts) this.grammars.dispose();
    this.measureGrammars?.dispose();
  }
}

/**
 * A merged file whose answers kept a change in the old formatting (one side ran a formatter), laid out by the
 * repository's own formatter — or null when that cannot be verified. Verified three ways: the formatter
 * changed no token (string and comment contents count), it changed only lines of those answers (nothing of
 * what both sides agree on), and the side that re-formatted is a fixed point of it (that side ran this
 * formatter with this configuration).
 */
async function layOutWithFormatter(
  formatter: RepoFormatter,
  f: { path: string; ours: string; theirs: string; text: string; segs: Segment[]; resolutions: (string[] | null)[]; hunks: HunkResult[] },
): Promise<string | null> {
  const oldFormatting = new Set(f.hunks.filter((h) => h.strategy === 'reformat-one-side' && h.situation === 'old-formatting').map((h) => h.index));
  if (oldFormatting.size === 0) return null;
  // Line ranges of those answers in the merged text.
  const ranges: { start: number; end: number }[] = [];
  let line = 0;
  let hunk = 0;
  for (let j = 0; j < f.segs.length; j++) {
    const s = f.segs[j]!;
    const n = splitLines(joinLines(s.kind === 'stable' ? s.lines : (f.resolutions[j] ?? []))).length;
    if (s.kind === 'conflict') {
      if (oldFormatting.has(hunk)) ranges.push({ start: line, end: line + n });
      hunk++;
    }
    line += n;
  }
  const out = await formatter.format(f.path, f.text);
  if (out === null || out === f.text) return null;
  const a = lexTokens(f.text);
  const b = lexTokens(out);
  if (a.length !== b.length || a.some((t, i) => t !== b[i])) return null;
  const edits = diffLines(splitLines(f.text), splitLines(out));
  if (!edits || !edits.every((e) => ranges.some((r) => e.start >= r.start && e.end <= r.end))) return null;
  const fixed = async (side: string) => side !== '' && (await formatter.format(f.path, side)) === side;
  if (!(await fixed(f.ours)) && !(await fixed(f.theirs))) return null;
  return out;
}

/** More conflicting regions than this in one file: none is resolved (see resolveFile). */
export const MAX_HUNKS = 300;

/** A hunk no strategy answered (yet): the texts, its fingerprint, escalated with `reason`. */
function unresolvedHunk(h: Pick<HunkInput, 'base' | 'ours' | 'theirs'>, index: number, reason: string): HunkResult {
  return {
    index,
    base: joinLines(h.base),
    ours: joinLines(h.ours),
    theirs: joinLines(h.theirs),
    fingerprint: fingerprintHunk(h.base, h.ours, h.theirs),
    status: 'escalated',
    strategy: null,
    situation: null,
    tier: null,
    reason,
    resolution: null,
    attempts: [],
  };
}

function splitKeep(text: string): string[] {
  return text === '' ? [] : [text];
}

function finish(text: string, trailingNewline: boolean): string {
  return !trailingNewline && text.endsWith('\n') ? text.slice(0, -1) : text;
}

export function renderMarkers(segments: Segment[], trailingNewline = true): string {
  const out: string[] = [];
  for (const s of segments) {
    if (s.kind === 'stable') {
      pushLines(out, s.lines);
      continue;
    }
    out.push('<<<<<<< ours\n');
    pushLines(out, s.ours);
    out.push('||||||| base\n');
    pushLines(out, s.base);
    out.push('=======\n');
    pushLines(out, s.theirs);
    out.push('>>>>>>> theirs\n');
  }
  return finish(out.join(''), trailingNewline);
}

/** The whole file for a person, with `reason` (no strategy runs). */
export function escalatedWhole(input: FileInput, reason: string): FileResolution {
  const h = unresolvedHunk({ base: [input.base ?? ''], ours: [input.ours ?? ''], theirs: [input.theirs ?? ''] }, 0, reason);
  h.attempts.push({ strategy: 'file', result: 'escalate', reason });
  return { path: input.path, segments: [], status: 'escalated', merged: null, withMarkers: '', reason, hunks: [h], gate: [], proposal: null, tier: null };
}
