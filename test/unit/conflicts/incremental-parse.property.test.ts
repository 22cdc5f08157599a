import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { commonEnds, Grammars, lineEdits, pointAt, type LanguageId } from '../../../electron/core/conflicts/grammars.js';
import { splitLines } from '../../../electron/core/conflicts/text-lines.js';

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

  it('a text changed at both ends is parsed from the cached tree with one edit per changed run of lines, and equals a fresh parse (property)', async () => {
    // Generated code without comments: tree-sitter may attach a comment next to an edit to another node
    // than a fresh parse does (seen once on a real file), which is not what this property is about.
    const source = Array.from({ length: 120 }, (_, i) => (i % 3 === 0 ? `export function f${i}(a: number): number {\n  const v = a + ${i};\n  return v * 2;\n}\n` : i % 3 === 1 ? `export const o${i} = {\n  k: ${i},\n  s: 'x${i}',\n};\n` : `class C${i} {\n  m(): void {\n    run(${i});\n  }\n}\n`)).join('\n');
    const lines = splitLines(source);
    const op = fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom('del', 'ins', 'chg'), fc.constantFrom('  const q = 1;\n', 'export const z = 3;\n', '  run(0);\n', '\n', '}\n'));
    await fc.assert(
      fc.asyncProperty(op, op, fc.array(op, { maxLength: 3 }), async (top, bottom, middle) => {
        const g = new Grammars();
        try {
          const lang: LanguageId = 'typescript';
          await g.tree(lang, source);
          const out = [...lines];
          // One edit in the first tenth, one between 85 and 95 %, a few between: the shared ends cover little
          // (a shared end of some size is what tells a version of the same text from another file).
          const ops = [[top[0] * 0.1, top[1], top[2]], [0.85 + bottom[0] * 0.1, bottom[1], bottom[2]], ...middle.map(([p, k, l]) => [0.1 + p * 0.75, k, l])] as [number, string, string][];
          for (const [at, kind, line] of ops.map(([p, k, l]) => [Math.min(out.length - 1, Math.floor(p * out.length)), k, l] as const).sort((x, y) => y[0] - x[0])) {
            if (kind === 'del') out.splice(at, 1);
            else if (kind === 'ins') out.splice(at, 0, line);
            else out[at] = line;
          }
          const text = out.join('');
          const [prefix, suffix] = commonEnds(source, text);
          const edits = lineEdits(source, text, prefix, suffix)!;
          // The edits, applied last first, turn the old text into the new one.
          let replay = source;
          for (const [i, e] of edits.entries()) {
            const delta = edits.slice(i + 1).reduce((n, x) => n + x.newEndIndex - x.oldEndIndex, 0);
            replay = replay.slice(0, e.startIndex) + text.slice(e.startIndex + delta, e.newEndIndex + delta) + replay.slice(e.oldEndIndex);
          }
          expect(replay).toBe(text);
          const parser = await g.parser(lang);
          const spy = vi.spyOn(parser, 'parse');
          const inc = (await g.tree(lang, text)).rootNode;
          expect(inc.toString()).toBe((await freshParse(lang, text)).sexp);
          if (text !== source) expect(spy.mock.calls[0]![1]).toBeDefined();
        } finally {
          g.dispose();
        }
      }),
      { numRuns: 40, seed: 11 },
    );
  });
});
