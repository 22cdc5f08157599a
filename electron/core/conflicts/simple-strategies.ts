import { applyEdits, diffLines, type Edit } from './line-diff.js';
import type { HunkInput, Strategy, StrategyOutcome } from './strategy.js';
import { eolOf, indentOf, joinLines, normalizeEol, normalizeFormatting, normalizeTrailing, splitLines, withEol } from './text-lines.js';

/** Files where leading whitespace is syntax. */
export function indentSensitive(file: string): boolean {
  return /\.(py|pyi|ya?ml|coffee|pug|sass|haml)$|(^|\/)Makefile$/i.test(file);
}

const resolved = (lines: string[], reason: string): StrategyOutcome => ({ kind: 'resolved', lines, reason });

/** Both sides made the very same change. */
export const identicalStrategy: Strategy = {
  name: 'identical',
  apply(h) {
    return joinLines(h.ours) === joinLines(h.theirs) ? resolved(h.ours, 'both sides made the identical change') : null;
  },
};

/**
 * The sides differ only in line endings, trailing spaces or layout: the same change written twice.
 * Keeps the side that kept base's line endings, or the side whose text is unchanged from base
 * (the other side only re-formatted), else ours.
 */
export const whitespaceStrategy: Strategy = {
  name: 'whitespace',
  apply(h) {
    const o = joinLines(h.ours);
    const t = joinLines(h.theirs);
    const b = joinLines(h.base);
    if (normalizeEol(o) === normalizeEol(t)) {
      const eol = eolOf(b || h.prefix + h.suffix);
      const keep = eolOf(t) === eol && eolOf(o) !== eol ? h.theirs : h.ours;
      return resolved(keep, `the sides differ only in line endings; kept the base's ${eol === '\n' ? 'LF' : 'CRLF'} endings`);
    }
    const sameContent = indentSensitive(h.path) ? normalizeTrailing(o) === normalizeTrailing(t) : normalizeTrailing(o) === normalizeTrailing(t) || normalizeFormatting(o) === normalizeFormatting(t);
    if (sameContent) {
      if (o === b) return resolved(h.theirs, 'same content on both sides; only theirs re-formatted it, so theirs was kept');
      if (t === b) return resolved(h.ours, 'same content on both sides; only ours re-formatted it, so ours was kept');
      return resolved(h.ours, 'both sides made the same change with different whitespace; kept ours');
    }
    return null;
  },
};

/**
 * One side only re-formatted the lines (whitespace, wrapping, line endings) while the other changed
 * them: keep the real change, converted to the re-formatting side's line endings or indentation when
 * that conversion is exact.
 */
export const reformatStrategy: Strategy = {
  name: 'reformat-one-side',
  apply(h) {
    const b = joinLines(h.base);
    if (b.trim() === '') return null;
    const o = joinLines(h.ours);
    const t = joinLines(h.theirs);
    const oursFormatOnly = normalizeFormatting(o) === normalizeFormatting(b);
    const theirsFormatOnly = normalizeFormatting(t) === normalizeFormatting(b);
    if (oursFormatOnly === theirsFormatOnly) return null;
    const [fmt, change, fmtName, changeName] = oursFormatOnly ? [h.ours, h.theirs, 'ours', 'theirs'] : [h.theirs, h.ours, 'theirs', 'ours'];
    const adapted = adaptFormatting(h.base, fmt, change);
    // Where indentation is syntax, dropping one side's re-indentation changes meaning: only exact carries.
    if (indentSensitive(h.path) && !adapted.how && normalizeTrailing(joinLines(fmt)) !== normalizeTrailing(b)) return null;
    return resolved(
      adapted.lines,
      `${fmtName} only re-formatted these lines; kept ${changeName}' change${adapted.how ? ` (${adapted.how})` : ''}`,
    );
  },
};

/** Carries an exact line-ending or uniform re-indentation from `fmt` over to `change`. */
function adaptFormatting(base: string[], fmt: string[], change: string[]): { lines: string[]; how: string | null } {
  const fb = joinLines(base);
  const ff = joinLines(fmt);
  if (normalizeEol(fb) === normalizeEol(ff) && eolOf(fb) !== eolOf(ff)) {
    return { lines: splitLines(withEol(joinLines(change), eolOf(ff))), how: 'converted to its line endings' };
  }
  if (base.length === fmt.length && base.length > 0) {
    const deltas = new Set<string>();
    for (let i = 0; i < base.length; i++) {
      if (base[i]!.trim() === '') continue;
      const bi = indentOf(base[i]!);
      const fi = indentOf(fmt[i]!);
      if (base[i]!.slice(bi.length) !== fmt[i]!.slice(fi.length)) return { lines: change, how: null };
      if (fi.startsWith(bi)) deltas.add(`+${fi.slice(bi.length)}`);
      else if (bi.startsWith(fi)) deltas.add(`-${bi.length - fi.length}`);
      else return { lines: change, how: null };
    }
    if (deltas.size === 1) {
      const d = [...deltas][0]!;
      const lines = change.map((l) => {
        if (l.trim() === '') return l;
        if (d.startsWith('+')) return d.slice(1) + l;
        const n = Number(d.slice(1));
        return /^[ \t]*/.exec(l)![0].length >= n ? l.slice(n) : l;
      });
      return { lines, how: 're-indented the same way' };
    }
  }
  return { lines: change, how: null };
}

/**
 * Edits that touch neighbouring but different base lines. git's line merge refuses them; applying both
 * is exact as long as no line is changed by both and no two insertions land on the same spot.
 */
export const adjacentStrategy: Strategy = {
  name: 'adjacent-edits',
  apply(h) {
    if (h.base.length === 0) return null;
    const eo = diffLines(h.base, h.ours);
    const et = diffLines(h.base, h.theirs);
    if (!eo || !et || eo.length === 0 || et.length === 0) return null;
    for (const a of eo) for (const b of et) if (clash(a, b)) return null;
    const all = [...eo, ...et].sort((x, y) => x.start - y.start || x.end - y.end);
    return resolved(
      applyEdits(h.base, all),
      `ours changed base lines ${ranges(eo)} and theirs changed ${ranges(et)}: neighbouring, not overlapping`,
    );
  },
};

function clash(a: Edit, b: Edit): boolean {
  const aIns = a.start === a.end;
  const bIns = b.start === b.end;
  if (aIns && bIns) return a.start === b.start;
  if (aIns) return a.start > b.start && a.start < b.end;
  if (bIns) return b.start > a.start && b.start < a.end;
  return a.start < b.end && b.start < a.end;
}

function ranges(edits: Edit[]): string {
  return edits.map((e) => (e.start === e.end ? `+@${e.start + 1}` : e.end - e.start === 1 ? `${e.start + 1}` : `${e.start + 1}-${e.end}`)).join(',');
}

export type { HunkInput };
