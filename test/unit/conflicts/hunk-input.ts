import type { HunkInput, StrategyOutcome } from '../../../electron/core/conflicts/strategy.js';
import { splitLines } from '../../../electron/core/conflicts/text-lines.js';

/** A hunk of `src/a.ts` (TypeScript) with no text around it unless given. */
export const hunk = (base: string, ours: string, theirs: string, opts: Partial<HunkInput> = {}): HunkInput => ({
  path: 'src/a.ts',
  lang: 'typescript',
  base: splitLines(base),
  ours: splitLines(ours),
  theirs: splitLines(theirs),
  prefix: '',
  suffix: '',
  ...opts,
});

/** The text of a strategy's answer, or null when it gave none. */
export const text = (r: StrategyOutcome | null | Promise<StrategyOutcome | null>): string | null => {
  const x = r as StrategyOutcome | null;
  return x && x.kind === 'resolved' ? x.lines.join('') : null;
};

/** The situation a strategy's answer named, or null. */
export const situation = (r: StrategyOutcome | null | Promise<StrategyOutcome | null>): string | null | undefined => {
  const x = r as StrategyOutcome | null;
  return x && x.kind === 'resolved' ? x.situation : null;
};
