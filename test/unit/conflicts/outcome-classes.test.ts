import { afterAll, describe, expect, it } from 'vitest';
import { Grammars } from '../../../electron/core/conflicts/grammars.js';
import { lexTokens } from '../../../electron/core/conflicts/lex-tokens.js';
import { classifyOutcome, humanEdited } from '../../../electron/core/conflicts/outcome-classes.js';
import { compareVersions } from '../../../electron/core/conflicts/version-strategy.js';

const grammars = new Grammars();
afterAll(() => grammars.dispose());

const base = "import { a } from './a.js';\nimport { b } from './b.js';\n\nexport const cfg = { port: 80, host: 'x' };\n";
const classify = (path: string, result: string, committed: string, sides: { base?: string; ours?: string; theirs?: string } = {}) =>
  classifyOutcome(grammars, { path, base: sides.base ?? base, ours: sides.ours ?? base, theirs: sides.theirs ?? base, result, committed });

describe('outcome classes of the replay (what the resolver answered vs what the developer committed)', () => {
  it('exact: byte-identical', async () => {
    expect(await classify('a.ts', base, base)).toBe('exact');
  });

  it('formatEquivalent: the same tokens in another layout; a changed string literal is not', async () => {
    const wrapped = "import { a } from './a.js';\nimport { b } from './b.js';\n\nexport const cfg = {\n  port: 80,\n  host: 'x',\n};\n";
    expect(await classify('a.ts', wrapped.replace(',\n};', '\n};'), base.replace('};', '};'))).toBe('formatEquivalent');
    const changedString = base.replace("host: 'x'", "host: 'x '");
    expect(await classify('a.ts', changedString, base)).not.toBe('formatEquivalent');
    // Without a grammar the lexer decides, and string contents count there too.
    expect(await classify('notes.txt', 'say  "a b"\n', 'say "a b"\n')).toBe('formatEquivalent');
    expect(await classify('notes.txt', 'say "a  b"\n', 'say "a b"\n')).not.toBe('formatEquivalent');
  });

  it('orderEquivalent: a reordered import list, named imports or object keys — not a reordered array or statements', async () => {
    const swappedImports = "import { b } from './b.js';\nimport { a } from './a.js';\n\nexport const cfg = { port: 80, host: 'x' };\n";
    expect(await classify('a.ts', swappedImports, base)).toBe('orderEquivalent');
    expect(await classify('a.ts', base.replace("{ port: 80, host: 'x' }", "{ host: 'x', port: 80 }"), base)).toBe('orderEquivalent');
    expect(await classify('a.ts', "import { c, d } from './a.js';\n", "import { d, c } from './a.js';\n")).toBe('orderEquivalent');
    expect(await classify('x.json', '{\n  "a": 1,\n  "b": 2\n}\n', '{\n  "b": 2,\n  "a": 1\n}\n')).toBe('orderEquivalent');
    const arr = ['export const xs = [1, 2];\n', 'export const xs = [2, 1];\n'] as const;
    expect(await classify('a.ts', arr[0], arr[1], { base: arr[0], ours: arr[0], theirs: arr[1] })).toBe('wrong');
    const stmts = ['f();\ng();\n', 'g();\nf();\n'] as const;
    expect(await classify('a.ts', stmts[0], stmts[1], { base: stmts[0], ours: stmts[0], theirs: stmts[1] })).toBe('wrong');
  });

  it("orderEquivalent: a reordered run of CommonJS requires (the engine's imports in that form) — not reordered declarations of anything else", async () => {
    const reqs = ["'use strict';\n\nconst a = require('./a');\nconst b = require('./b').b;\n\nmodule.exports = [a, b];\n", "'use strict';\n\nconst b = require('./b').b;\nconst a = require('./a');\n\nmodule.exports = [a, b];\n"] as const;
    expect(await classify('a.js', reqs[0], reqs[1], { base: reqs[0], ours: reqs[0], theirs: reqs[1] })).toBe('orderEquivalent');
    const decls = ['const a = f();\nconst b = g();\n', 'const b = g();\nconst a = f();\n'] as const;
    expect(await classify('a.js', decls[0], decls[1], { base: decls[0], ours: decls[0], theirs: decls[1] })).toBe('wrong');
    const dynamic = ["const a = require(p);\nconst b = require('./b');\n", "const b = require('./b');\nconst a = require(p);\n"] as const;
    expect(await classify('a.js', dynamic[0], dynamic[1], { base: dynamic[0], ours: dynamic[0], theirs: dynamic[1] })).toBe('wrong');
  });

  it('humanEdited: the committed region has a line none of base, ours and theirs has (a version bumped in the merge)', async () => {
    const b = '{\n  "version": "1.0.0"\n}\n';
    const o = '{\n  "version": "1.1.0"\n}\n';
    const t = '{\n  "version": "1.0.1"\n}\n';
    expect(await classify('package.json', o, '{\n  "version": "1.2.0"\n}\n', { base: b, ours: o, theirs: t })).toBe('humanEdited');
    expect(await classify('package.json', o, t, { base: b, ours: o, theirs: t })).toBe('wrong');
    // Only the conflict regions count when they are known: a new line elsewhere does not make it human.
    expect(humanEdited({ base: 'a\n', ours: 'b\n', theirs: 'c\n', committed: 'b\nnew\n', committedRegions: ['b\n'] })).toBe(false);
  });

  it('wrong: anything else', async () => {
    expect(await classify('a.ts', base.replace('80', '81'), base.replace('80', '82'), { ours: base.replace('80', '81'), theirs: base.replace('80', '82') })).toBe('wrong');
  });
});

describe('lexTokens', () => {
  it('keeps string, template and comment contents whole; drops only whitespace between tokens', () => {
    expect(lexTokens("f( 'a  b' ,`x ${ y + 1 } z`)// c  \n/* d  e */")).toEqual(['f', '(', "'a  b'", ',', '`x ${ y + 1 } z`', ')', '// c', '/* d  e */']);
    expect(lexTokens('a.b=c')).toEqual(['a', '.', 'b', '=', 'c']);
    expect(lexTokens('return x')).not.toEqual(lexTokens('returnx'));
  });
});

describe('compareVersions', () => {
  it('orders numeric parts, and a release above its pre-releases', () => {
    expect(compareVersions('5.10.0', '5.9.9')).toBe(1);
    expect(compareVersions('1.0.0', '1.0.0-rc.1')).toBe(1);
    expect(compareVersions('2.0', '2.0.0')).toBe(0);
    expect(compareVersions('1.0.0-alpha', '1.0.0-beta')).toBe(-1);
  });
});
