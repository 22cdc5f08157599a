import path from 'node:path';
import type { HunkInput, Strategy, StrategyOutcome } from './strategy.js';
import { hasLine, joinLines } from './text-lines.js';

/**
 * Strategies found by reading the conflicts the engine used to escalate on the development corpus (every
 * escalated file of mongoose, knex and socket.io classified by what the developer committed; sequelize and
 * another history held out to check each rule). None is applied: each answer is a proposal with its
 * measured precision (strategy-tiers.ts), because each is a regularity of how people merge, not a proof.
 */

/** Lines too common to say anything about where a change went (closing brackets, comment frames). */
const TRIVIAL = new Set(['', '}', '});', '{', ')', '};', '*', '/**', '*/', '],', '},', ']', ');', '//', '})', 'end', '```', '#', '-']);

function stripped(lines: readonly string[]): string[] {
  return lines.map((l) => l.trim()).filter((l) => l !== '');
}

function counts(lines: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of lines) m.set(l, (m.get(l) ?? 0) + 1);
  return m;
}

/** What a side did to base, as multisets of trimmed non-blank lines: added and removed. */
function change(base: readonly string[], side: readonly string[]): { added: Map<string, number>; removed: Map<string, number> } {
  const b = counts(stripped(base));
  const s = counts(stripped(side));
  const added = new Map<string, number>();
  const removed = new Map<string, number>();
  for (const [l, n] of s) if (n > (b.get(l) ?? 0)) added.set(l, n - (b.get(l) ?? 0));
  for (const [l, n] of b) if (n > (s.get(l) ?? 0)) removed.set(l, n - (s.get(l) ?? 0));
  return { added, removed };
}

/** `side` already holds `other`'s change to base: every line other added is in it, nothing other removed is left. */
function holdsChange(side: readonly string[], other: readonly string[], base: readonly string[]): boolean {
  const { added, removed } = change(base, other);
  if (added.size === 0 && removed.size === 0) return false;
  const s = counts(stripped(side));
  const b = counts(stripped(base));
  for (const [l, n] of added) if ((s.get(l) ?? 0) < n) return false;
  for (const l of removed.keys()) if ((s.get(l) ?? 0) > 0 && (b.get(l) ?? 0) <= (s.get(l) ?? 0)) return false;
  return true;
}

/**
 * `side`'s change (a substantial line added, nothing left of what it removed) is already somewhere in the
 * file made of `parts` (whole lines each: the text before the hunk, the hunk, the text after it — searched
 * in place, not joined into one copy of the file per hunk).
 */
function changeIsIn(side: readonly string[], base: readonly string[], parts: readonly string[]): boolean {
  const { added, removed } = change(base, side);
  const add = [...added.keys()].filter((l) => !TRIVIAL.has(l));
  if (!add.some((l) => l.length >= 8)) return false;
  const has = (l: string) => parts.some((p) => hasLine(p, l, true));
  return add.every(has) && ![...removed.keys()].some((l) => !TRIVIAL.has(l) && has(l));
}

/**
 * Theirs' change is already in ours: inside the hunk (ours made the same edit and more), or elsewhere in
 * ours' file (a cherry-pick, a backport, code ours moved; `alreadyElsewhereInOursStrategy`, right after this
 * one). Developers then kept ours (85–86 % of such hunks on the corpus). The mirror image (ours' change
 * already in theirs) is not used: there they took theirs only about half the time — the first parent is
 * the mainline people keep.
 */
/** Ours' lines of the hunk already hold theirs' change, and not the other way round. */
function theirsHeldInOursHunk(h: HunkInput): boolean {
  return holdsChange(h.ours, h.theirs, h.base) && !holdsChange(h.theirs, h.ours, h.base);
}

export const alreadyInOursStrategy: Strategy = {
  name: 'already-in-ours',
  situations: (h) => (h.ours.length === 0 ? [] : ['in-hunk']),
  apply(h: HunkInput): StrategyOutcome | null {
    if (h.ours.length === 0) return null;
    if (theirsHeldInOursHunk(h)) {
      return { kind: 'resolved', lines: [...h.ours], situation: 'in-hunk', reason: "ours' lines already hold theirs' change to this region; kept ours" };
    }
    return null;
  },
};

/**
 * The second half of already-in-ours, its own step because it searches the whole file (the in-hunk half
 * looks at the hunk only): theirs' change is already elsewhere in ours' file.
 */
export const alreadyElsewhereInOursStrategy: Strategy = {
  name: 'already-in-ours',
  situations: (h) => (h.ours.length === 0 || h.base.length === 0 ? [] : ['elsewhere']),
  apply(h: HunkInput): StrategyOutcome | null {
    if (h.ours.length === 0 || h.base.length === 0) return null;
    // The in-hunk half's answer, not this one's.
    if (theirsHeldInOursHunk(h)) return null;
    const oursFile = [h.prefix, joinLines(h.ours), h.suffix];
    const theirsFile = [h.prefix, joinLines(h.theirs), h.suffix];
    if (changeIsIn(h.theirs, h.base, oursFile) && !changeIsIn(h.ours, h.base, theirsFile)) {
      return { kind: 'resolved', lines: [...h.ours], situation: 'elsewhere', reason: "every line theirs added here is already in ours' file and nothing theirs removed is left in it (moved or cherry-picked); kept ours" };
    }
    return null;
  },
};

/**
 * Base, ours and theirs have the same number of lines and no line was changed by both: each line is taken
 * from the side that changed it (a `var` → `let` refactor on one side, an API rename on the other). The
 * line-granular case of neighbouring edits, which measured far better than neighbouring edits in general.
 */
export const lineByLineStrategy: Strategy = {
  name: 'line-by-line',
  apply(h: HunkInput): StrategyOutcome | null {
    const n = h.base.length;
    if (n === 0 || h.ours.length !== n || h.theirs.length !== n) return null;
    const lines: string[] = [];
    let fromOurs = 0;
    let fromTheirs = 0;
    for (let i = 0; i < n; i++) {
      const [b, o, t] = [h.base[i]!, h.ours[i]!, h.theirs[i]!];
      if (o === b) {
        lines.push(t);
        if (t !== b) fromTheirs++;
      } else if (t === b || o === t) {
        lines.push(o);
        if (t === b) fromOurs++;
      } else {
        return null;
      }
    }
    if (fromOurs === 0 || fromTheirs === 0) return null;
    return { kind: 'resolved', lines, reason: `the three versions line up line for line and no line was changed by both: ${fromOurs} line(s) from ours, ${fromTheirs} from theirs` };
  },
};

const CHANGELOG = new Set(['history.md', 'changelog.md', 'changelog', 'history', 'changes.md']);
/** A release header: `3.8.23 / 2014-01-23`, `## [5.1.2] - 2020-01-01`, `v2.0.0 (2019-05-03)`. */
const HEADER = /^\s*(?:#+\s*)?\[?v?(\d+\.\d+\.\d+[^\s/\]]*)/;
const DATE = /(\d{4})-(\d\d)-(\d\d)/;

interface Section {
  version: string;
  date: string;
  lines: string[];
}

/** Each section dated no earlier than the next one, the last no earlier than `below` (the release under the region). */
function inDateOrder(sections: readonly Section[], below: string | null): boolean {
  return sections.every((s, i) => {
    const next = i + 1 < sections.length ? sections[i + 1]!.date : below;
    return next === null || s.date >= next;
  });
}

/** The date of the first dated release header in `text` (looked for in its first 400 lines), or null. */
function firstReleaseDate(text: string): string | null {
  let at = 0;
  for (let n = 0; n < 400 && at < text.length; n++) {
    const nl = text.indexOf('\n', at);
    const line = text.slice(at, nl < 0 ? text.length : nl);
    at = nl < 0 ? text.length : nl + 1;
    if (!HEADER.test(line)) continue;
    const d = DATE.exec(line);
    if (d) return `${d[1]}-${d[2]}-${d[3]}`;
  }
  return null;
}

/**
 * The release sections of a changelog region after its leading blank lines, or null when something else
 * comes before the first header or a header has no date.
 */
function sections(lines: readonly string[]): { lead: string[]; sections: Section[] } | null {
  const lead: string[] = [];
  const out: Section[] = [];
  for (const l of lines) {
    const m = HEADER.exec(l);
    if (m) {
      const d = DATE.exec(l);
      if (!d) return null;
      out.push({ version: m[1]!, date: `${d[1]}-${d[2]}-${d[3]}`, lines: [l] });
    } else if (out.length > 0) {
      out[out.length - 1]!.lines.push(l);
    } else if (l.trim() === '') {
      lead.push(l);
    } else {
      return null;
    }
  }
  return { lead, sections: out };
}

/**
 * Both sides added release sections at the same place of a changelog (two release lines, each with its
 * own releases): both kept, newest date first — what developers committed on the corpus (theirs-first 63
 * times against once ours-first, which is the date order). Only where every section header carries a
 * date (undated bullet lists on a held-out history were ordered otherwise).
 */
export const changelogSectionsStrategy: Strategy = {
  name: 'changelog-sections',
  apply(h: HunkInput): StrategyOutcome | null {
    if (!CHANGELOG.has(path.basename(h.path).toLowerCase()) || h.base.length !== 0) return null;
    const os = sections(h.ours);
    const ts = sections(h.theirs);
    if (!os || !ts || os.sections.length === 0 || ts.sections.length === 0 || joinLines(os.lead) !== joinLines(ts.lead)) return null;
    const [o, t] = [os.sections, ts.sections];
    const oursVersions = new Set(o.map((s) => s.version));
    // A release both sides list is one release: ours' text of it.
    const all = [...t.filter((s) => !oursVersions.has(s.version)), ...o];
    // Dates order the sections only when each side's own are in order down to the release below the region:
    // a section dated before the release under it has a mistyped date (on the corpus `2014-01-24` for
    // 2015, `2017-01-07` for 2018 — both put first by the developer). Then theirs first, as developers did
    // on the corpus nearly every time (the date order agreed with it 63 times of 64).
    const below = firstReleaseDate(h.suffix);
    const trusted = inDateOrder(o, below) && inDateOrder(t, below);
    const ordered = trusted ? all.map((s, i) => ({ s, i })).sort((a, b) => (a.s.date === b.s.date ? a.i - b.i : a.s.date < b.s.date ? 1 : -1)).map(({ s }) => s) : all;
    const lines = [...os.lead, ...ordered.flatMap((s) => s.lines)];
    const how = trusted ? 'newest date first' : "theirs first (a section is dated before the release below it, so the dates cannot order them)";
    return { kind: 'resolved', lines, reason: `both sides added release sections (ours: ${o.map((s) => s.version).join(', ')}; theirs: ${t.map((s) => s.version).join(', ')}); kept both, ${how}` };
  },
};
