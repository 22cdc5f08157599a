import type { Segment } from './merge-file.js';
import { joinLines } from './text-lines.js';

/**
 * Within one merge, people resolve the files alike: a release line merged forward keeps ours in every
 * file, a docs branch refreshed from master takes theirs in every file. Once a person has answered some
 * files of a merge with one side, the files of that merge still open are offered that side as a proposal
 * ("you took ours for the 4 other files of this merge"), never applied. Measured on the development corpus
 * by replaying each merge's files in order with the developer's committed answers as the person's.
 */

export const MERGE_SIDE_STRATEGY = 'merge-side';

/** How a person's answer to one file relates to the two sides. */
export type SideChoice = 'ours-file' | 'theirs-file' | 'ours-hunks' | 'theirs-hunks' | 'other';

export interface MergeSide {
  side: 'ours' | 'theirs';
  /** The whole side's file (the person dropped the other side's clean changes too) or only its hunks. */
  whole: boolean;
  /** Answers behind it: how many took that side, of how many. */
  agreeing: number;
  answered: number;
}

/** At least this many answers, and this share of them for one side, before a side is offered. */
export const MERGE_SIDE_MIN_ANSWERS = 2;
export const MERGE_SIDE_MIN_SHARE = 0.8;

/**
 * What a person's `answer` for a file did: the whole ours or theirs file, or ours' or theirs' text in
 * every conflicting hunk with the clean changes of both kept (`perHunk`: the answer's region of each hunk,
 * when it could be aligned), or something else.
 */
export function choiceOf(f: { ours: string | null; theirs: string | null }, answer: string | null, hunks?: { ours: string; theirs: string }[], perHunk?: string[] | null): SideChoice {
  if (answer === null) return 'other';
  // One side in every hunk first: a whole side is only the answer where it also dropped the other side's
  // clean changes (where that side had none, the two are the same answer, and keeping clean changes is
  // what the other files need: on the corpus, whole files offered on such evidence dropped the tests and
  // imports the other side had added cleanly).
  if (hunks && perHunk && hunks.length > 0 && hunks.length === perHunk.length) {
    if (hunks.every((h, i) => h.ours === perHunk[i])) return 'ours-hunks';
    if (hunks.every((h, i) => h.theirs === perHunk[i])) return 'theirs-hunks';
  }
  if (answer === f.ours) return 'ours-file';
  if (answer === f.theirs) return 'theirs-file';
  return 'other';
}

/** The side this merge's earlier answers agree on, or null when they are too few or mixed. */
export function sideOfMerge(choices: readonly SideChoice[]): MergeSide | null {
  const answered = choices.length;
  if (answered < MERGE_SIDE_MIN_ANSWERS) return null;
  for (const side of ['ours', 'theirs'] as const) {
    const file = choices.filter((c) => c === `${side}-file`).length;
    const hunks = choices.filter((c) => c === `${side}-hunks`).length;
    const agreeing = file + hunks;
    if (agreeing / answered >= MERGE_SIDE_MIN_SHARE) return { side, whole: file > hunks, agreeing, answered };
  }
  return null;
}

/**
 * The text a merge's side gives a file: the side's whole file, or its text in every hunk (clean changes
 * kept). None where both sides inserted at the same place (a hunk with no base lines): there people kept
 * both insertions, not one side (5 of the 8 such offers on the corpus were wrong, 5 of 64 otherwise).
 */
export function sideText(s: MergeSide, f: { ours: string | null; theirs: string | null }, segments: readonly Segment[], trailingNewline: boolean): string | null {
  if (segments.some((seg) => seg.kind === 'conflict' && seg.base.length === 0 && seg.ours.length > 0 && seg.theirs.length > 0)) return null;
  if (s.whole || segments.length === 0) return s.side === 'ours' ? f.ours : f.theirs;
  const text = joinLines(segments.flatMap((seg) => (seg.kind === 'stable' ? seg.lines : s.side === 'ours' ? seg.ours : seg.theirs)));
  return !trailingNewline && text.endsWith('\n') ? text.slice(0, -1) : text;
}

export function describeMergeSide(s: MergeSide): string {
  const what = s.whole ? `the whole ${s.side} file` : `${s.side} in every conflicting hunk`;
  return `you took ${what} for ${s.agreeing} of the ${s.answered} other file(s) of this merge you answered`;
}
