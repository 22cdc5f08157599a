import type { LanguageId } from './grammars.js';

/** One conflicting hunk with the text around it (other hunks shown as ours) for strategies that parse. */
export interface HunkInput {
  path: string;
  lang: LanguageId | null;
  base: string[];
  ours: string[];
  theirs: string[];
  prefix: string;
  suffix: string;
}

export type StrategyOutcome =
  /** `situation` names the case within the strategy when its tiers differ by case (see strategy-tiers.ts). */
  | { kind: 'resolved'; lines: string[]; reason: string; situation?: string }
  /** A definite "do not merge automatically" (e.g. the same key added with different bodies). */
  | { kind: 'escalate'; reason: string };

/** A strategy returns null when it does not apply, so the next one gets its turn. */
export interface Strategy {
  readonly name: string;
  apply(h: HunkInput): Promise<StrategyOutcome | null> | StrategyOutcome | null;
  /**
   * The situations (strategy-tiers.ts; null: none) an answer of this strategy for `h` could be in, found
   * without the strategy's expensive part. Where every one of them is withheld, the resolver does not run
   * the strategy at all outside the replay (its answer would be thrown away); an empty list: it has no answer
   * here (not run). Absent: not known beforehand. The replay's resolver checks every answer of a strategy it
   * runs only to measure against this list (a merge, which skips it, must decide the same).
   */
  situations?(h: HunkInput): readonly (string | null)[];
}
