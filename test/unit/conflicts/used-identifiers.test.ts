import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Grammars, languageForPath, type SyntaxNode } from '../../../electron/core/conflicts/grammars.js';
import { usedIdentifiers } from '../../../electron/core/conflicts/members.js';

const grammars = new Grammars();
afterAll(() => grammars.dispose());

/** The definition, as a walk over named children that stops at import statements (the oracle). */
function walked(root: SyntaxNode): Set<string> {
  const out = new Set<string>();
  const walk = (n: SyntaxNode) => {
    if (n.type === 'import_statement' || n.type === 'import_from_statement') return;
    if (n.type === 'identifier' || n.type === 'type_identifier' || n.type === 'shorthand_property_identifier') out.add(n.text);
    for (const c of n.namedChildren) walk(c);
  };
  walk(root);
  return out;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const fixtures = path.join(repoRoot, 'test', 'fixtures', 'conflicts');

describe('usedIdentifiers', () => {
  it('names what the code uses, not what only an import statement names', async () => {
    const text = [
      "import { used, unused } from './a';",
      "import type { Shape } from './shapes';",
      "import * as ns from 'ns';",
      'const x: Shape = used({ short });',
      'export function f() { return ns.call(x); }',
      '',
    ].join('\n');
    const root = (await grammars.tree('typescript', text)).rootNode;
    const used = usedIdentifiers(root);
    expect([...used].sort()).toEqual(['Shape', 'f', 'ns', 'short', 'used', 'x'].sort());
    expect(used.has('unused')).toBe(false);
  });

  it('gives what the walk gives on every hand-written conflict case (each side and the expected result)', async () => {
    let compared = 0;
    for (const name of readdirSync(fixtures)) {
      const dir = path.join(fixtures, name);
      const lang = languageForPath((JSON.parse(readFileSync(path.join(dir, 'case.json'), 'utf8')) as { path: string }).path);
      if (!lang) continue;
      for (const f of readdirSync(dir)) {
        if (f === 'case.json') continue;
        const root = (await grammars.tree(lang, readFileSync(path.join(dir, f), 'utf8'))).rootNode;
        expect([...usedIdentifiers(root)].sort(), `${name}/${f}`).toEqual([...walked(root)].sort());
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(40);
  });
});
