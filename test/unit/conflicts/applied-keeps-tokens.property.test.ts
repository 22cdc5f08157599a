import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { lexTokens } from '../../../electron/core/conflicts/lex-tokens.js';
import { Resolver } from '../../../electron/core/conflicts/resolver.js';

const resolver = new Resolver();
afterAll(() => resolver.dispose());

const WORDS = ['alpha', 'beta', "'str ing'", '`t ${x}`', '42', 'gamma(1)', '// note', 'x  =  1', 'y=2'];

/** Lines of a small program; a side edits a few: re-spaced (same tokens), replaced, inserted, deleted. */
const program = fc.array(fc.constantFrom(...WORDS), { minLength: 3, maxLength: 8 }).map((ws) => ws.map((w, i) => `const v${i} = ${w};`));
const edit = (lines: string[]) =>
  fc.array(fc.tuple(fc.nat(), fc.constantFrom('respace', 'replace', 'insert', 'delete'), fc.constantFrom(...WORDS)), { maxLength: 3 }).map((ops) => {
    const out = [...lines];
    for (const [pos, op, w] of ops) {
      const i = pos % (out.length + 1);
      if (op === 'insert') out.splice(i, 0, `const n${i} = ${w};`);
      else if (i < out.length && op === 'delete') out.splice(i, 1);
      else if (i < out.length && op === 'replace') out[i] = `const r${i} = ${w};`;
      else if (i < out.length && op === 'respace') out[i] = out[i]!.replace(/ = /, '   =   ');
    }
    return out;
  });

/** Multiset of tokens: what a side added relative to base (by token, not by line). */
function added(base: string, side: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of lexTokens(side)) m.set(t, (m.get(t) ?? 0) + 1);
  for (const t of lexTokens(base)) if (m.has(t)) m.set(t, m.get(t)! - 1);
  return new Map([...m].filter(([, n]) => n > 0));
}

describe('property: an applied answer never drops or alters a token either side changed', () => {
  it('every token a side added is in an applied result at least as often', async () => {
    let applied = 0;
    await fc.assert(
      fc.asyncProperty(
        program.chain((b) => fc.tuple(fc.constant(b), edit(b), edit(b))),
        async ([b, o, t]) => {
          const [base, ours, theirs] = [b, o, t].map((ls) => ls.join('\n') + '\n') as [string, string, string];
          const r = await resolver.resolveFile({ path: 'p.ts', base, ours, theirs });
          if (r.status !== 'resolved' || r.tier !== 'applied' || r.hunks.length === 0) return;
          applied++;
          const result = lexTokens(r.merged!);
          const count = (tok: string) => result.filter((x) => x === tok).length;
          for (const side of [ours, theirs]) {
            for (const [tok, n] of added(base, side)) expect(count(tok), `${tok} from ${JSON.stringify(side)} in ${JSON.stringify(r.merged)}`).toBeGreaterThanOrEqual(Math.min(n, 1));
          }
        },
      ),
      { numRuns: 300, seed: 20261206 },
    );
    // The generator must reach applied answers (the same line re-spaced on both sides), or this proves nothing.
    expect(applied).toBeGreaterThanOrEqual(5);
  });
});
