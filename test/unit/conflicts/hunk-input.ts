import type { HunkInput } from '../../../electron/core/conflicts/strategy.js';
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
