import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Grammars, languageForPath, type LanguageId } from '../../../electron/core/conflicts/grammars.js';
import { fileFacts, fileFactsOfVersions, statementFactsUsage, usedIdentifiers, usedIdentifiersOfVersions, type FileFacts } from '../../../electron/core/conflicts/members.js';

// Oracle: fileFacts of each whole tree, each version parsed on its own (no shared statements, no cache).
const grammars = new Grammars();
const plain = new Grammars();
afterAll(() => {
  grammars.dispose();
  plain.dispose();
});

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const fixtures = path.join(repoRoot, 'test', 'fixtures', 'conflicts');

/** Every hand-written conflict case with a grammar (TS, TSX, JS, Python, JSON): base, ours, theirs, expected. */
const CASES: Array<{ name: string; lang: LanguageId; versions: string[] }> = readdirSync(fixtures).flatMap((name) => {
  const dir = path.join(fixtures, name);
  const lang = languageForPath((JSON.parse(readFileSync(path.join(dir, 'case.json'), 'utf8')) as { path: string }).path);
  if (!lang) return [];
  const read = (f: string) => {
    try {
      return readFileSync(path.join(dir, f), 'utf8');
    } catch {
      return null;
    }
  };
  const versions = ['base', 'ours', 'theirs', 'expected'].map(read).filter((t): t is string => t !== null);
  return [{ name, lang, versions }];
});

/**
 * A test file as many repositories write them: imports, then one `describe(…)` call of thousands of
 * characters holding nested describes, tests, objects, arrays, declarations and parameters. Its one
 * statement is long enough to be read by its parts (factsByParts).
 */
function describeFile(lang: 'javascript' | 'typescript' | 'python'): string {
  // An import over the split threshold: read whole all the same (its bindings are the statement's own).
  const names = Array.from({ length: 500 }, (_, i) => `name_${i}`).join(', ');
  if (lang === 'python') {
    const tests = Array.from({ length: 30 }, (_, i) => `    def test_${i}(self, fixture_${i}, extra=None):\n        value_${i} = {"k${i}": [${i}, "x"], "nested": {"a": fixture_${i}}}\n        assert value_${i}["k${i}"][0] == ${i}\n`).join('\n');
    return `import os\nfrom pathlib import Path\nfrom names import (${names})\n\nclass TestThings:\n    setting = {"a": 1}\n\n${tests}`;
  }
  const t = lang === 'typescript' ? ': number' : '';
  const tests = Array.from({ length: 25 }, (_, i) =>
    [
      `    it('case ${i}', async function (done${t}) {`,
      `      const doc${i} = { name: 'n${i}', tags: ['a', 'b${i}'], nested: { deep: ${i}, list: [{ x: ${i} }] } };`,
      `      function helper${i}(a${t}, b = { d: ${i} }) { return [a, b]; }`,
      `      assert.deepEqual(helper${i}(doc${i}.nested.deep), [${i}, { d: ${i} }]);`,
      '    });',
    ].join('\n'),
  );
  return [
    "import assert from 'node:assert';",
    "import { start, stop as halt } from './server.js';",
    `import { ${names} } from './names.js';`,
    '',
    "describe('things', function () {",
    '  const shared = { port: 0, list: [1, 2, 3] };',
    "  describe('first half', () => {",
    ...tests.slice(0, 12),
    '  });',
    "  describe('second half', () => {",
    ...tests.slice(12),
    '  });',
    '});',
    '',
  ].join('\n');
}

const SOURCES: Array<[LanguageId, string]> = [
  ['javascript', describeFile('javascript')],
  ['typescript', describeFile('typescript')],
  ['python', describeFile('python')],
  ['typescript', readFileSync(path.join(repoRoot, 'electron/core/conflicts/members.ts'), 'utf8')],
  ['tsx', readFileSync(path.join(repoRoot, 'renderer/src/pages/fleet/fleet-page.tsx'), 'utf8')],
  ...CASES.filter((c) => c.lang === 'python').map((c): [LanguageId, string] => [c.lang, c.versions[0]!]),
];

async function whole(lang: LanguageId, text: string): Promise<FileFacts & { used: Set<string> }> {
  const tree = (await plain.parser(lang)).parse(text);
  try {
    return { ...fileFacts(lang, tree.rootNode), used: usedIdentifiers(tree.rootNode) };
  } finally {
    tree.delete();
  }
}

const plainFacts = (f: FileFacts) => ({ symbols: [...f.symbols].sort(), imports: [...f.imports].sort(), declared: [...f.declared].sort() });

async function expectSameFacts(lang: LanguageId, versions: string[]): Promise<void> {
  const roots = [];
  for (const v of versions) roots.push((await grammars.tree(lang, v)).rootNode);
  const used = usedIdentifiersOfVersions(lang, roots);
  const together = fileFactsOfVersions(lang, roots).map((f, i) => ({ ...plainFacts(f), used: [...used[i]!].sort() }));
  const alone = [];
  for (const v of versions) {
    const w = await whole(lang, v);
    alone.push({ ...plainFacts(w), used: [...w.used].sort() });
  }
  expect(together).toEqual(alone);
}

const LINES = [
  'import { extra } from "./extra.js";',
  'export const added = { a: 1, b: [1, 2], c: { d: 2 } };',
  'function more(x: number): number { return x; }',
  'class K { m() {} n = 1; }',
  'def more(x):\n    return {"k": x}',
  'from os import path, sep',
  '}',
  '// comment',
  'export const added = { a: 1 };',
];

describe('fileFactsOfVersions and usedIdentifiersOfVersions: facts read once per distinct top-level statement', () => {
  it('equals fileFacts of each whole tree on every hand-written conflict case', async () => {
    expect(CASES.length).toBeGreaterThan(30);
    for (const c of CASES) await expectSameFacts(c.lang, c.versions);
  });

  it('keeps statement facts across calls: the same versions again add nothing to the memo, and its count stays exact', async () => {
    const c = CASES.find((x) => x.lang === 'typescript')!;
    const roots = [];
    for (const v of c.versions) roots.push((await grammars.tree(c.lang, v)).rootNode);
    fileFactsOfVersions(c.lang, roots);
    const once = statementFactsUsage();
    expect(once.entries).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) fileFactsOfVersions(c.lang, roots);
    expect(statementFactsUsage()).toEqual(once);
  });

  it('reads a long describe(…) statement by its parts: the same facts as the whole tree, for each version of a test file', async () => {
    for (const lang of ['javascript', 'typescript', 'python'] as const) {
      const base = describeFile(lang);
      expect(base.length).toBeGreaterThan(4096);
      const lines = base.split('\n');
      const edit = (at: number, del: number, ...ins: string[]) => {
        const copy = [...lines];
        copy.splice(at, del, ...ins);
        return copy.join('\n');
      };
      const mid = Math.floor(lines.length / 2);
      const line = lang === 'python' ? '        extra_value = {"added": [1, 2]}' : "      const added = { key: 'v', list: [1, { y: 2 }] };";
      const before = statementFactsUsage().parts;
      // The long import changed too (a name removed, one added), and a file with only the import changed.
      const imports = lines.findIndex((l) => l.includes('name_0'));
      const renamed = lines[imports]!.replace('name_7, ', '').replace('name_499', 'name_499, name_extra');
      await expectSameFacts(lang, [base, edit(mid, 0, line), edit(mid + 3, 1), edit(mid, 1, line, line), edit(imports, 1, renamed)]);
      // JavaScript and TypeScript split the describe(…) call into parts; Python's long statements here are a
      // class (its body a container) and an import, both read whole.
      if (lang !== 'python') expect(statementFactsUsage().parts).toBeGreaterThan(before);
    }
  });

  it('equals fileFacts of each whole tree for versions made by line edits of real files (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: SOURCES.length - 1 }),
        fc.array(fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.constantFrom(...LINES)), { maxLength: 3 }), { minLength: 2, maxLength: 4 }),
        async (src, editsPerVersion) => {
          const [lang, source] = SOURCES[src]!;
          const versions = editsPerVersion.map((edits) => {
            const lines = source.split('\n');
            for (const [at, del, ins] of edits) lines.splice(at % (lines.length + 1), del, ...ins.split('\n'));
            return lines.join('\n');
          });
          await expectSameFacts(lang, versions);
        },
      ),
      { numRuns: 60 },
    );
  });
});
