import { diff3Merge } from './diff3.js';
import type { HunkInput, Strategy, StrategyOutcome } from './strategy.js';
import { joinLines, splitLines } from './text-lines.js';
import { compareVersions, versionOf } from './version-strategy.js';

/**
 * Finer-grained re-merges of a conflicting region, found by reading what developers committed for the
 * hunks the engine escalated on the development corpus: git conflicts whenever both sides touched the same
 * or neighbouring lines, yet often each side changed different words of those lines (a `var` → `let` on
 * one side, a renamed argument on the other), or different keys of a JSON map. Both are regularities of how
 * people merge, measured, and never applied: the token merge is a proposal, the JSON key merge withheld
 * (measured wrong too often; strategy-tiers.ts).
 */

/** Words, single punctuation marks, runs of spaces or tabs, and line ends: every character belongs to a token. */
const TOKEN = /\r?\n|[ \t]+|[\p{L}\p{N}_$]+|[^]/gu;
/** Regions larger than this are left alone: their token diff costs more than the answer is worth. */
const MAX_CHARS = 8000;
/**
 * diff3 of the region's tokens, with git's rule that touching changes conflict: the merged text when the
 * two sides' token edits are apart, else null. Each token becomes one line for the line merge (line ends
 * and a private separator are escaped so a token never spans two of those lines).
 */
export function mergeTokens(base: string, ours: string, theirs: string): string | null {
  if (base.length > MAX_CHARS || ours.length > MAX_CHARS || theirs.length > MAX_CHARS) return null;
  if ([base, ours, theirs].some((t) => t.includes('\u0001') || t.includes('\u0002'))) return null;
  const enc = (t: string) => (t.match(TOKEN) ?? []).map((tok) => tok.replace(/\r/g, '\u0002').replace(/\n/g, '\u0001') + '\n').join('');
  const r = diff3Merge(enc(base), enc(ours), enc(theirs));
  if (!r || r.conflicts > 0) return null;
  return r.segments
    .flatMap((s) => (s.kind === 'stable' ? s.lines : []))
    .map((l) => l.slice(0, -1).replaceAll('\u0001', '\n').replaceAll('\u0002', '\r'))
    .join('');
}

/**
 * Both sides changed the same lines but different words of them, and no line was added or removed (base,
 * ours and theirs have the same number of lines): each side's token edits kept. Measured on the corpus
 * (2026-12-07) for any shape too, and left out there: where lines were added or removed the token merge
 * was wrong 33 of 110 times in code and 4 of 12 in documentation (one rewrite superseding the other).
 */
export const tokenMergeStrategy: Strategy = {
  name: 'token-merge',
  apply(h: HunkInput): StrategyOutcome | null {
    const n = h.base.length;
    if (n === 0 || h.ours.length !== n || h.theirs.length !== n) return null;
    const [b, o, t] = [joinLines(h.base), joinLines(h.ours), joinLines(h.theirs)];
    const merged = mergeTokens(b, o, t);
    if (merged === null || merged === o || merged === t) return null;
    // The region's last line keeps its line end: a merge that lost it would join the next line onto it.
    if (o.endsWith('\n') && t.endsWith('\n') && !merged.endsWith('\n')) return null;
    return { kind: 'resolved', lines: splitLines(merged), situation: 'same-lines', reason: 'the two sides changed different words of these lines; each word-level edit kept (token-level three-way merge)' };
  },
};

/** `"key": "string value"` with its indentation and trailing comma; older files put the comma first. */
const KV = /^(\s*)(,\s*)?"([^"\\]+)"\s*:\s*"([^"\\]*)"\s*(,?)\s*$/;

interface Kv {
  key: string;
  value: string;
  indent: string;
  comma: boolean;
  lead: boolean;
}

function kvLines(lines: readonly string[]): Kv[] | null {
  const out: Kv[] = [];
  for (const l of lines) {
    const s = l.replace(/\r?\n$/, '');
    if (s.trim() === '') continue;
    const m = KV.exec(s);
    if (!m) return null;
    out.push({ indent: m[1]!, lead: m[2] !== undefined, key: m[3]!, value: m[4]!, comma: m[5] === ',' });
  }
  return out;
}

/**
 * A JSON region where every line on every side is a `"key": "string"` pair (dependency maps, scripts):
 * merged key by key — a key one side changed takes that change, a key both changed takes the higher
 * version, keys either side added are kept (ours' order, then theirs' new keys), keys a side removed go.
 * Commas are laid out again so the region's last line keeps ours' trailing comma.
 */
function isJsonPath(h: HunkInput): boolean {
  return h.path.toLowerCase().endsWith('.json');
}

export const jsonKeysStrategy: Strategy = {
  name: 'json-keys',
  situations: (h) => (isJsonPath(h) ? [null] : []),
  apply(h: HunkInput): StrategyOutcome | null {
    if (!isJsonPath(h)) return null;
    const all = [...h.base, ...h.ours, ...h.theirs];
    if (all.some((l) => l.includes('\r'))) return null;
    const [b, o, t] = [kvLines(h.base), kvLines(h.ours), kvLines(h.theirs)];
    if (!b || !o || !t || o.length === 0 || t.length === 0) return null;
    if ([...b, ...o, ...t].some((kv) => kv.lead)) return null;
    if (o[o.length - 1]!.comma !== t[t.length - 1]!.comma) return null;
    const map = (xs: Kv[]) => new Map(xs.map((kv) => [kv.key, kv.value]));
    const [mb, mo, mt] = [map(b), map(o), map(t)];
    // A key listed twice is not a map this can merge.
    if (mb.size !== b.length || mo.size !== o.length || mt.size !== t.length) return null;
    const keys = [...mo.keys()];
    for (const k of mt.keys()) if (!mo.has(k)) keys.push(k);
    const out: { key: string; value: string }[] = [];
    const bothChanged: string[] = [];
    for (const k of keys) {
      const [vb, vo, vt] = [mb.get(k), mo.get(k), mt.get(k)];
      let v: string | undefined;
      if (vo === vb) v = vt;
      else if (vt === vb || vo === vt) v = vo;
      else {
        const [ao, at] = [vo === undefined ? null : versionOf(vo), vt === undefined ? null : versionOf(vt)];
        const cmp = ao === null || at === null ? null : compareVersions(ao, at);
        if (cmp === null) return null;
        v = cmp >= 0 ? vo : vt;
        bothChanged.push(k);
      }
      if (v !== undefined) out.push({ key: k, value: v });
    }
    if (out.length === 0) return null;
    const indent = o[0]!.indent;
    const lastComma = o[o.length - 1]!.comma;
    const lines = out.map((kv, i) => `${indent}"${kv.key}": "${kv.value}"${i < out.length - 1 || lastComma ? ',' : ''}\n`);
    const text = lines.join('');
    if (text === joinLines(h.ours) || text === joinLines(h.theirs)) return null;
    return {
      kind: 'resolved',
      lines,
      reason: `merged key by key${bothChanged.length ? ` (both changed ${bothChanged.slice(0, 3).join(', ')}: the higher version)` : ''}`,
    };
  },
};
