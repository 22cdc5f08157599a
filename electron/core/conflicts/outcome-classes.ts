import type { Grammars, LanguageId, SyntaxNode } from './grammars.js';
import { languageForPath } from './grammars.js';
import { lexTokens } from './lex-tokens.js';

/**
 * How an automatic answer compares with what the developer committed. The replay is the measuring
 * instrument for the tiers, so it must tell "the same program written differently" apart from "wrong":
 *
 * - `exact`: byte-identical;
 * - `formatEquivalent`: the same token sequence (tree-sitter leaf tokens where a grammar exists and both
 *   parse; otherwise the lexer's tokens, which keep string/template/comment contents whole);
 * - `orderEquivalent`: the same syntax tree up to the order of children in containers the engine itself
 *   treats as unordered (imports, named imports, object/interface/class/enum members, unions, JSON keys);
 * - `humanEdited`: the committed text of the conflict region holds a line that is in none of base, ours
 *   and theirs — the developer wrote something new, which no merge tool can produce;
 * - `wrong`: everything else.
 */
export const OUTCOME_CLASSES = ['exact', 'formatEquivalent', 'orderEquivalent', 'humanEdited', 'wrong'] as const;
export type OutcomeClass = (typeof OUTCOME_CLASSES)[number];

export interface ClassifyInput {
  path: string;
  base: string;
  ours: string;
  theirs: string;
  /** The automatic answer (whole file). */
  result: string;
  /** What the developer committed (whole file). */
  committed: string;
  /** The committed text of each conflict region when it could be aligned; else the whole file is read. */
  committedRegions?: string[] | null;
}

export async function classifyOutcome(grammars: Grammars, c: ClassifyInput): Promise<OutcomeClass> {
  if (c.result === c.committed) return 'exact';
  const lang = languageForPath(c.path);
  const rt = lang ? await leafTokens(grammars, lang, c.result) : null;
  const ct = lang && rt ? await leafTokens(grammars, lang, c.committed) : null;
  if (rt && ct) {
    if (sameSeq(rt, ct)) return 'formatEquivalent';
    const [a, b] = [await canonicalTree(grammars, lang!, c.result), await canonicalTree(grammars, lang!, c.committed)];
    if (a !== null && a === b) return 'orderEquivalent';
  } else if (sameSeq(lexTokens(c.result), lexTokens(c.committed))) {
    return 'formatEquivalent';
  }
  if (humanEdited(c)) return 'humanEdited';
  return 'wrong';
}

/** A committed line (trimmed, non-blank) in the conflict regions that none of the three inputs has. */
export function humanEdited(c: Pick<ClassifyInput, 'base' | 'ours' | 'theirs' | 'committed' | 'committedRegions'>): boolean {
  const known = new Set<string>();
  for (const t of [c.base, c.ours, c.theirs]) for (const l of t.split('\n')) known.add(l.trim());
  const regions = c.committedRegions ?? [c.committed];
  return regions.some((r) => r.split('\n').some((l) => l.trim() !== '' && !known.has(l.trim())));
}

function sameSeq(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Leaf token texts of a parse; null when the text does not parse cleanly (then the lexer decides). */
async function leafTokens(grammars: Grammars, lang: LanguageId, text: string): Promise<string[] | null> {
  return grammars.withTree(lang, text, (root) => {
    if (root.hasError) return null;
    const out: string[] = [];
    const cursor = root.walk();
    let down = true;
    for (;;) {
      if (down && cursor.gotoFirstChild()) continue;
      const n = cursor.currentNode;
      if (down && n.childCount === 0 && n.endIndex > n.startIndex) out.push(n.text);
      if (cursor.gotoNextSibling()) {
        down = true;
        continue;
      }
      if (!cursor.gotoParent()) break;
      down = false;
    }
    cursor.delete();
    return out;
  });
}

/** Containers whose children's order carries no meaning, per grammar (see the class's definition). */
const UNORDERED: Record<LanguageId, Set<string>> = {
  typescript: new Set(['named_imports', 'object', 'class_body', 'interface_body', 'object_type', 'enum_body', 'union_type', 'object_pattern']),
  tsx: new Set(['named_imports', 'object', 'class_body', 'interface_body', 'object_type', 'enum_body', 'union_type', 'object_pattern']),
  javascript: new Set(['named_imports', 'object', 'class_body', 'object_pattern']),
  python: new Set(['dictionary', 'set']),
  json: new Set(['object']),
};
const PROGRAM_IMPORTS = new Set(['import_statement', 'import_from_statement', 'future_import_statement']);

/**
 * An import statement, or its CommonJS form: a declaration of one name bound to `require('…')` or to a
 * property of it (`const x = require('m')`, `var y = require('m').y`). The commutative strategy inserts
 * both kinds as unordered top-level members, so a run of them in another order is the same program to it.
 */
function isImport(n: SyntaxNode): boolean {
  if (PROGRAM_IMPORTS.has(n.type)) return true;
  if (n.type !== 'lexical_declaration' && n.type !== 'variable_declaration') return false;
  const declarators = n.namedChildren.filter((c) => c.type === 'variable_declarator');
  if (declarators.length !== 1) return false;
  let value = declarators[0]!.childForFieldName('value');
  while (value?.type === 'member_expression') value = value.childForFieldName('object');
  if (value?.type !== 'call_expression' || value.childForFieldName('function')?.text !== 'require') return false;
  const args = value.childForFieldName('arguments')?.namedChildren ?? [];
  return args.length === 1 && args[0]!.type === 'string';
}
const SEPARATORS = new Set([',', ';', '|']);

/**
 * The tree as one string with the children of unordered containers sorted (separators dropped, so a
 * trailing comma moved by the reorder does not count), and runs of top-level imports (CommonJS `require`
 * declarations included) sorted. Null when
 * the text does not parse cleanly, or is nested too deeply for the recursive walk (thousands of levels: a
 * RangeError that used to end a whole replay).
 */
export async function canonicalTree(grammars: Grammars, lang: LanguageId, text: string): Promise<string | null> {
  return grammars.withTree(lang, text, (root) => {
    if (root.hasError) return null;
    try {
      return canon(lang, root);
    } catch (err) {
      if (err instanceof RangeError) return null;
      throw err;
    }
  });
}

function canon(lang: LanguageId, n: SyntaxNode): string {
  if (n.childCount === 0) return n.text;
  if (n.type === 'union_type') {
    // `A | B | C` nests as ((A | B) | C): its members are the leaves of the nest.
    const members: string[] = [];
    const walk = (u: SyntaxNode) => {
      for (const c of u.namedChildren) {
        if (c.type === 'union_type') walk(c);
        else members.push(canon(lang, c));
      }
    };
    walk(n);
    return `(union_type ${members.sort().join(' ')})`;
  }
  const kids: string[] = [];
  for (let i = 0; i < n.childCount; i++) kids.push(canon(lang, n.child(i)!));
  if (UNORDERED[lang].has(n.type)) {
    const inner = kids.filter((k) => !SEPARATORS.has(k));
    return `(${n.type} ${inner.sort().join(' ')})`;
  }
  if (n.type === 'program' || n.type === 'module') {
    const out: string[] = [];
    let run: string[] = [];
    for (let i = 0; i < n.childCount; i++) {
      if (isImport(n.child(i)!)) {
        run.push(kids[i]!);
        continue;
      }
      out.push(...run.sort(), kids[i]!);
      run = [];
    }
    out.push(...run.sort());
    return `(${n.type} ${out.join(' ')})`;
  }
  return `(${n.type} ${kids.join(' ')})`;
}
