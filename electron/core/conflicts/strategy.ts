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
}
