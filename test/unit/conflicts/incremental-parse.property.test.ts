import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { commonEnds, Grammars, pointAt, type LanguageId } from '../../../electron/core/conflicts/grammars.js';

// Oracle: a plain parse of the whole text by the parser itself, bypassing the cache (no old tree given).
const cached = new Grammars();
const plain = new Grammars();
afterAll(() => {
  cached.dispose();
  plain.dispose();
});

async function freshParse(lang: LanguageId, text: string): Promise<{ sexp: string; start: number; end: number; hasError: boolean; endPosition: unknown }> {
  const tree = (await plain.parser(lang)).parse(text);
  try {
    const r = tree.rootNode;
    return { sexp: r.toString(), start: r.startIndex, end: r.endIndex, hasError: r.hasError, endPosition: r.endPosition };
  } finally {
    tree.delete();
  }
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Real source files of this repository as the texts to edit. */
const SOURCES: Array<[LanguageId, string]> = [
  ['typescript', readFileSync(path.join(repoRoot, 'electron/core/conflicts/commutative-strategy.ts'), 'utf8')],
  ['tsx', readFileSync(path.join(repoRoot, 'renderer/src/pages/fleet/agent-row.tsx'), 'utf8')],
  ['json', readFileSync(path.join(repoRoot, 'package.json'), 'utf8')],
];

const SNIPPETS = ['', '\n', 'x', '}', '{', '  const q = 1;\n', '// note ✓ ünï 😀\n', '"', '/*', 'import { a } from "b";\n', '(', ',\n  "k": 2'];

/** A text of one source with a few line-level or character-level edits, like the sides of one hunk. */
const edited = fc.record({
  src: fc.integer({ min: 0, max: SOURCES.length - 1 }),
  edits: fc.array(fc.tuple(fc.nat(), fc.nat({ max: 40 }), fc.constantFrom(...SNIPPETS)), { minLength: 1, maxLength: 3 }),
});

function apply(text: string, edits: Array<[number, number, string]>): string {
  let out = text;
  for (const [at, del, ins] of edits) {
    const i = at % (out.length + 1);
    out = out.slice(0, i) + ins + out.slice(Math.min(out.length, i + del));
  }
  return out;
}

describe('incremental parsing of related texts (Grammars.tree)', () => {
  it('pointAt counts rows and UTF-16 columns; commonEnds never overlaps', () => {
    expect(pointAt('ab\ncd\n😀x', 8)).toEqual({ row: 2, column: 2 });
    expect(pointAt('ab', 0)).toEqual({ row: 0, column: 0 });
    expect(commonEnds('aaa', 'aa')).toEqual([2, 0]);
    expect(commonEnds('abXcd', 'abYYcd')).toEqual([2, 2]);
  });

  it('commonEnds equals a character-by-character scan, across its 256-character blocks (property)', () => {
    const naive = (a: string, b: string): [number, number] => {
      const max = Math.min(a.length, b.length);
      let p = 0;
      while (p < max && a[p] === b[p]) p++;
      let q = 0;
      while (q < max - p && a[a.length - 1 - q] === b[b.length - 1 - q]) q++;
      return [p, q];
    };
    const chunk = fc.string({ unit: fc.constantFrom('a', 'b', '\n'), maxLength: 700 });
    fc.assert(
      fc.property(chunk, chunk, chunk, chunk, (head, x, y, tail) => {
        expect(commonEnds(head + x + tail, head + y + tail)).toEqual(naive(head + x + tail, head + y + tail));
        expect(commonEnds(head, head + x)).toEqual(naive(head, head + x));
      }),
      { numRuns: 300 },
    );
  });

  it('a tree parsed from a cached relative equals a fresh parse of the same text (property, real source files)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(edited, { minLength: 2, maxLength: 5 }), async (variants) => {
        for (const v of variants) {
          const [lang, source] = SOURCES[v.src]!;
          const text = apply(source, v.edits);
          const inc = (await cached.tree(lang, text)).rootNode;
          const ref = await freshParse(lang, text);
          expect(inc.toString()).toBe(ref.sexp);
          expect([inc.startIndex, inc.endIndex, inc.hasError]).toEqual([ref.start, ref.end, ref.hasError]);
          expect(inc.endPosition).toEqual(ref.endPosition);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('parses a near text from the cached tree (an old tree is passed), an unrelated text afresh', async () => {
    const g = new Grammars();
    try {
      const [lang, source] = SOURCES[0]!;
      const parser = await g.parser(lang);
      const spy = vi.spyOn(parser, 'parse');
      await g.tree(lang, source);
      const near = source.replace('readonly name', 'readonly  name');
      const b = await g.tree(lang, near);
      await g.tree(lang, 'export const x = 1;\n');
      expect(spy.mock.calls.map((c) => c[1] !== undefined)).toEqual([false, true, false]);
      expect(b.rootNode.toString()).toBe((await freshParse(lang, near)).sexp);
    } finally {
      g.dispose();
    }
  });
});
