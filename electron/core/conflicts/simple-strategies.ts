import { lexTokens } from './lex-tokens.js';
import type { HunkInput, Strategy, StrategyOutcome } from './strategy.js';
import { eolOf, indentOf, joinLines, normalizeEol, normalizeTrailing, splitLines, withEol } from './text-lines.js';

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
    const sameContent = indentSensitive(h.path) ? normalizeTrailing(o) === normalizeTrailing(t) : normalizeTrailing(o) === normalizeTrailing(t) || sameTokens(o, t);
    if (sameContent) {
      if (o === b) return resolved(h.theirs, 'same content on both sides; only theirs re-formatted it, so theirs was kept');
      if (t === b) return resolved(h.ours, 'same content on both sides; only ours re-formatted it, so ours was kept');
      return resolved(h.ours, 'both sides made the same change with different whitespace; kept ours');
    }
    return null;
  },
};

/**
 * One side only re-formatted the lines (whitespace, wrapping, line endings: the same tokens, string and
 * comment contents included) while the other changed them. The answer keeps the real change; when the
 * re-formatting carries over exactly (line endings, one uniform re-indentation) it is `converted` and in
 * the new formatting. Otherwise it is the change in the *old* formatting, which is not what a developer
 * commits after a formatter ran: that situation (`old-formatting`) is a proposal in the tier table.
 */
export const reformatStrategy: Strategy = {
  name: 'reformat-one-side',
  apply(h) {
    const b = joinLines(h.base);
    if (b.trim() === '') return null;
    const o = joinLines(h.ours);
    const t = joinLines(h.theirs);
    const oursFormatOnly = sameTokens(o, b);
    const theirsFormatOnly = sameTokens(t, b);
    if (oursFormatOnly === theirsFormatOnly) return null;
    const [fmt, change, fmtName, changeName] = oursFormatOnly ? [h.ours, h.theirs, 'ours', 'theirs'] : [h.theirs, h.ours, 'theirs', 'ours'];
    const adapted = adaptFormatting(h.base, fmt, change);
    // Where indentation is syntax, dropping one side's re-indentation changes meaning: only exact carries.
    if (indentSensitive(h.path) && !adapted.how && normalizeTrailing(joinLines(fmt)) !== normalizeTrailing(b)) return null;
    return {
      kind: 'resolved',
      lines: adapted.lines,
      situation: adapted.how ? 'converted' : 'old-formatting',
      reason: `${fmtName} only re-formatted these lines; kept ${changeName}' change${adapted.how ? ` (${adapted.how})` : ' in the old formatting'}`,
    };
  },
};

function sameTokens(a: string, b: string): boolean {
  const x = lexTokens(a);
  const y = lexTokens(b);
  return x.length === y.length && x.every((t, i) => t === y[i]);
}

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

export type { HunkInput };
