import type { Grammars, LanguageId, Tree } from './grammars.js';
import { fileFactsOfVersions, TooDeeplyNested, usedIdentifiersOfVersions, type FileFacts } from './members.js';
import { CONFLICT_MARKER, hasLine } from './text-lines.js';

export interface GateInput {
  path: string;
  lang: LanguageId | null;
  base: string;
  ours: string;
  theirs: string;
  merged: string;
}

export type GateResult = { ok: true; checks: string[] } | { ok: false; reason: string };

interface Facts {
  hasError: boolean;
  symbols: Map<string, number>;
  imports: Set<string>;
  /** Filled only when some side removed an import (the walk is the gate's most expensive step). */
  used: Set<string> | null;
}

/**
 * The verification gate every automatic result passes before it is applied: no conflict markers, it
 * parses where a grammar exists, it keeps every symbol/key/member either side added, it introduces no
 * duplicate key, and no import one side removed is still used. (The optional check command runs later,
 * in the integration worktree.)
 */
export class VerificationGate {
  constructor(private readonly grammars: Grammars) {}

  async check(g: GateInput): Promise<GateResult> {
    const checks: string[] = [];
    const markerLine = firstNewMarker(g);
    if (markerLine !== null) return { ok: false, reason: `the result still contains a conflict marker at line ${markerLine}` };
    checks.push('no conflict markers');
    if (!g.lang) return { ok: true, checks };
    const trees: Tree[] = [];
    for (const t of [g.base, g.ours, g.theirs, g.merged]) trees.push(await this.grammars.tree(g.lang, t));
    // Names a side stopped declaring (a removed import, a renamed variable): if the result still uses one
    // that it no longer declares, the other side's new code refers to something that is gone.
    let all: FileFacts[];
    try {
      all = fileFactsOfVersions(g.lang, trees.map((t) => t.rootNode));
    } catch (err) {
      if (err instanceof TooDeeplyNested) return { ok: false, reason: `the result cannot be checked: ${err.message}` };
      throw err;
    }
    const [bd, od, td, md] = all.map((f) => f.declared);
    const removed = [...bd!].some((n) => !od!.has(n) || !td!.has(n));
    // base's own uses are never asked.
    const used = removed ? [null, ...usedIdentifiersOfVersions(g.lang, trees.slice(1).map((t) => t.rootNode))] : null;
    const [base, ours, theirs, merged] = trees.map((t, i): Facts => ({
      hasError: t.rootNode.hasError,
      symbols: all[i]!.symbols,
      imports: all[i]!.imports,
      used: used?.[i] ?? null,
    }));
    if (merged!.hasError && !ours!.hasError && !theirs!.hasError) {
      return { ok: false, reason: `the result does not parse as ${g.lang} although both sides do` };
    }
    checks.push(`parses as ${g.lang}`);
    for (const [name, side] of [['ours', ours!], ['theirs', theirs!]] as const) {
      for (const [sym, n] of side.symbols) {
        const before = base!.symbols.get(sym) ?? 0;
        if (n > before && (merged!.symbols.get(sym) ?? 0) < Math.min(n, 1)) {
          return { ok: false, reason: `the result drops ${pretty(sym)}, which ${name} added` };
        }
      }
    }
    checks.push('keeps every symbol either side added');
    for (const [sym, n] of merged!.symbols) {
      if (sym.includes('text:') || sym.startsWith('decl:') && g.lang === 'python') continue;
      const allowed = Math.max(ours!.symbols.get(sym) ?? 0, theirs!.symbols.get(sym) ?? 0, 1);
      if (n > allowed) return { ok: false, reason: `the result defines ${pretty(sym)} ${n} times; neither side did` };
    }
    checks.push('no new duplicate keys');
    for (const [name, side, decl] of removed ? ([['ours', ours!, od!], ['theirs', theirs!, td!]] as const) : []) {
      for (const n of bd!) {
        if (decl.has(n) || md!.has(n)) continue;
        if (merged!.used!.has(n) && !side.used!.has(n)) {
          const what = base!.imports.has(n) ? 'the import of' : 'the declaration of';
          return { ok: false, reason: `${name} removed ${what} ${n}, but the result still uses ${n}` };
        }
      }
    }
    checks.push('no removed name still in use');
    return { ok: true, checks };
  }
}

const LABELLED_MARKER = /^(<{7}|>{7}) \S/;

function firstNewMarker(g: GateInput): number | null {
  if (!CONFLICT_MARKER.test(g.merged)) return null;
  // A marker-looking line that one of the inputs already had (Markdown rules, test fixtures) is content.
  // Only the marker-looking lines are looked up in the inputs (splitting three whole files for it was a
  // few per cent of the resolver's time on changelogs full of `=======` rules).
  const known = new Map<string, boolean>();
  const lines = g.merged.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!CONFLICT_MARKER.test(line)) continue;
    let k = known.get(line);
    // A labelled opening or closing marker (`<<<<<<< HEAD`, `>>>>>>> feature`) is what git writes: content
    // only where all three versions have it (a fixture of a merge tool). One that only a side has is a
    // conflict someone committed unresolved, and keeping it was a wrong proposal on a real history.
    if (k === undefined) {
      const versions = [g.base, g.ours, g.theirs];
      k = LABELLED_MARKER.test(line) ? versions.every((t) => hasLine(t, line)) : versions.some((t) => hasLine(t, line));
      known.set(line, k);
    }
    if (!k) return i + 1;
  }
  return null;
}

function pretty(sym: string): string {
  return sym
    .split('/')
    .map((p) => p.slice(p.indexOf(':') + 1))
    .join('.');
}
