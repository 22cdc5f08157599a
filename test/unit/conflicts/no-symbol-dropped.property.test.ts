import fc from 'fast-check';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { Resolver } from '../../../electron/core/conflicts/resolver.js';

// Independent oracles: JSON.parse and the TypeScript compiler, not the tree-sitter code under test.
const resolver = new Resolver();
afterAll(() => resolver.dispose());

const NAMES = ['alpha', 'beta', 'gamma', 'delta', 'eps', 'zeta', 'eta', 'theta', 'iota', 'kappa', 'lambda', 'mu'];

function jsonText(entries: [string, number][], trailingNewline: boolean): string {
  return `{\n${entries.map(([k, v]) => `  "${k}": ${v}`).join(',\n')}\n}${trailingNewline ? '\n' : ''}`;
}

/** A side: base entries with some removed or changed, plus inserted ones at random spots. */
const side = (base: [string, number][]) =>
  fc
    .record({
      drop: fc.array(fc.boolean(), { minLength: base.length, maxLength: base.length }),
      change: fc.array(fc.boolean(), { minLength: base.length, maxLength: base.length }),
      adds: fc.array(fc.tuple(fc.constantFrom(...NAMES.map((n) => `${n}2`), ...NAMES), fc.integer({ min: 0, max: 3 }), fc.nat()), { maxLength: 4 }),
      edit: fc.boolean(),
    })
    .map(({ drop, change, adds, edit }) => {
      let out = base.filter((_, i) => !(edit && drop[i]));
      out = out.map(([k, v], i) => [k, edit && change[i] ? v + 100 : v] as [string, number]);
      for (const [k, v, pos] of adds) {
        if (out.some(([x]) => x === k)) continue;
        out.splice(pos % (out.length + 1), 0, [k, v]);
      }
      return out;
    });

function addedKeys(base: [string, number][], s: [string, number][]): Map<string, number> {
  const b = new Set(base.map(([k]) => k));
  return new Map(s.filter(([k]) => !b.has(k)));
}

describe('property: an automatic resolution never drops a symbol either side added', () => {
  it('JSON objects (oracle: JSON.parse)', async () => {
    const baseArb = fc.uniqueArray(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 6 }).map((ks) => ks.map((k, i) => [k, i] as [string, number]));
    let resolved = 0;
    await fc.assert(
      fc.asyncProperty(
        baseArb.chain((base) => fc.tuple(fc.constant(base), side(base), side(base))),
        async ([base, ours, theirs]) => {
          const r = await resolver.resolveFile({ path: 'data.json', base: jsonText(base, true), ours: jsonText(ours, true), theirs: jsonText(theirs, true) });
          if (r.status === 'escalated') return;
          resolved++;
          const merged = JSON.parse(r.merged!) as Record<string, number>;
          for (const s of [ours, theirs]) {
            for (const [k, v] of addedKeys(base, s)) {
              expect(merged, `${k} lost\n${r.merged}`).toHaveProperty(k);
              // A key both sides added with different values must never have been merged silently.
              expect(merged[k]).toBe(v);
            }
          }
        },
      ),
      { numRuns: 150, seed: 42 },
    );
    expect(resolved).toBeGreaterThan(10);
  });

  it('TypeScript named imports and class members (oracle: the TypeScript compiler)', async () => {
    const render = (imports: string[], members: string[]) =>
      `import { ${imports.join(', ')} } from './m.js';\n\nexport class K {\n${members.map((m) => `  ${m}(): number {\n    return ${m.length};\n  }\n`).join('\n')}}\n`;
    const names = (text: string) => {
      const sf = ts.createSourceFile('x.ts', text, ts.ScriptTarget.ES2022, true);
      const imports = new Set<string>();
      const members = new Set<string>();
      const visit = (n: ts.Node) => {
        if (ts.isImportSpecifier(n)) imports.add(n.name.text);
        if (ts.isMethodDeclaration(n) && ts.isIdentifier(n.name)) members.add(n.name.text);
        ts.forEachChild(n, visit);
      };
      visit(sf);
      return { imports, members, errors: (sf as unknown as { parseDiagnostics: unknown[] }).parseDiagnostics.length };
    };
    const pick = fc.uniqueArray(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 5 });
    let resolved = 0;
    await fc.assert(
      fc.asyncProperty(pick, pick, pick, pick, pick, pick, async (bi, oi, ti, bm, om, tm) => {
        const base = render(bi, bm);
        const ours = render([...bi, ...oi.filter((x) => !bi.includes(x))], [...bm, ...om.filter((x) => !bm.includes(x))]);
        const theirs = render([...bi, ...ti.filter((x) => !bi.includes(x))], [...bm, ...tm.filter((x) => !bm.includes(x))]);
        const r = await resolver.resolveFile({ path: 'k.ts', base, ours, theirs });
        if (r.status === 'escalated') return;
        resolved++;
        const m = names(r.merged!);
        expect(m.errors).toBe(0);
        for (const s of [names(ours), names(theirs)]) {
          for (const i of s.imports) expect(m.imports, r.merged!).toContain(i);
          for (const x of s.members) expect(m.members, r.merged!).toContain(x);
        }
      }),
      { numRuns: 120, seed: 7 },
    );
    expect(resolved).toBeGreaterThan(10);
  });
});
