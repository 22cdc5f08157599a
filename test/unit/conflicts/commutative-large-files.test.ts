import { afterAll, describe, expect, it, vi } from 'vitest';
import { CommutativeStrategy, enclosingBlock, isStatementBody } from '../../../electron/core/conflicts/commutative-strategy.js';
import { Grammars } from '../../../electron/core/conflicts/grammars.js';
import type { HunkInput, StrategyOutcome } from '../../../electron/core/conflicts/strategy.js';
import { splitLines } from '../../../electron/core/conflicts/text-lines.js';

const grammars = new Grammars();
afterAll(() => grammars.dispose());

/** ~30 KB of unrelated top-level functions: a file past the size where the block is probed first. */
const padding = Array.from({ length: 300 }, (_, i) => `export function helper${i}(a: number): number {\n  return a + ${i};\n}\n`).join('\n');

const hunk = (prefix: string, base: string, ours: string, theirs: string, suffix: string): HunkInput => ({
  path: 'src/big.ts',
  lang: 'typescript',
  base: splitLines(base),
  ours: splitLines(ours),
  theirs: splitLines(theirs),
  prefix,
  suffix,
});
const text = (r: StrategyOutcome | null) => (r && r.kind === 'resolved' ? r.lines.join('') : null);

/** Runs the strategy and reports the longest text it had parsed. */
async function applyCounting(h: HunkInput): Promise<{ result: StrategyOutcome | null; longest: number }> {
  const spy = vi.spyOn(grammars, 'tree');
  try {
    const result = await new CommutativeStrategy(grammars).apply(h);
    return { result, longest: Math.max(0, ...spy.mock.calls.map((c) => c[1].length)) };
  } finally {
    spy.mockRestore();
  }
}

describe('commutative insertions in large files', () => {
  it('members added to an object inside a function of a large file: same answer as in a small file (the whole file is parsed for it)', async () => {
    const head = `${padding}\nexport function config() {\n  const options = {\n    a: 1,\n`;
    const tail = `  };\n  return options;\n}\n`;
    const big = await applyCounting(hunk(head, '', '    b: 2,\n', '    c: 3,\n', tail));
    const small = await applyCounting(hunk(`export function config() {\n  const options = {\n    a: 1,\n`, '', '    b: 2,\n', '    c: 3,\n', tail));
    expect(text(big.result)).toBe('    b: 2,\n    c: 3,\n');
    expect(text(big.result)).toBe(text(small.result));
    expect(big.longest).toBeGreaterThan(padding.length);
  });

  it('tests appended to a describe in a large file: no answer, and the file is never parsed whole', async () => {
    const head = `describe('suite', function() {\n${padding.replace(/^/gm, '  ')}\n  it('one', function() {\n    check(1);\n  });\n`;
    const r = await applyCounting(hunk(head, '', "\n  it('two', function() {\n    check(2);\n  });\n", "\n  it('three', function() {\n    check(3);\n  });\n", '});\n'));
    expect(r.result).toBeNull();
    expect(r.longest).toBe(0);
  });

  it('the enclosing block of a change is bounded by the nearest less-indented lines; a top-level change has none', () => {
    const base = 'a();\nfunction f() {\n  x();\n  y();\n}\nb();\n';
    const ours = 'a();\nfunction f() {\n  x();\n  z();\n  y();\n}\nb();\n';
    const cp = base.indexOf('  y();');
    const cs = base.length - cp;
    const block = enclosingBlock([base, ours, ours], cp, cs)!;
    expect(base.slice(block.from, base.length - block.tail)).toBe('function f() {\n  x();\n  y();\n}\n');
    expect(block.opener).toBe('function f() {\n');
    expect(block.closer).toBe('}\n');
    expect(isStatementBody(block)).toBe(true);
    // Inserting `c();` at the margin: only the whole file can hold that.
    const top = base.indexOf('b();');
    expect(enclosingBlock([base, base.replace('b();', 'c();\nb();'), base], top, base.length - top)).toBeNull();
  });

  it('only a function, method or control body counts as a statement body, never an object, class or array', () => {
    for (const opener of ['function f() {\n', '  it("x", () => {\n', '} else {\n', 'try {\n', '  method(a, b) {\n']) expect(isStatementBody({ opener, closer: '}\n' })).toBe(true);
    for (const opener of ['const o = {\n', 'class A {\n', 'interface I {\n', 'enum E {\n', 'const xs = [\n', 'f(a, {\n', 'const g = () => ({\n', 'function f(): { a: string } {\n']) {
      expect(isStatementBody({ opener, closer: '}\n' }), opener).toBe(false);
    }
    expect(isStatementBody({ opener: 'function f() {\n', closer: ');\n' })).toBe(false);
  });
});
