import type { Grammars, SyntaxNode } from './grammars.js';
import { lexTokens } from './lex-tokens.js';
import { applyEdits, diffLines, type Edit } from './line-diff.js';
import type { HunkInput, Strategy, StrategyOutcome } from './strategy.js';
import { joinLines } from './text-lines.js';

/**
 * Edits that touch neighbouring but different base lines. git's line merge refuses them, for a reason:
 * on real histories they are often the same change made twice, or one side's edit supersedes the other's
 * (a signature changed above a body edit, `.skip` dropped from a test the other side edited). Applying
 * both is line-exact when no line is changed by both sides; whether it is *right* depends on the
 * situation this strategy names for the tier table:
 *
 * - `separate-statements`: by the parser, the two sides' edits lie in different statements/members (none
 *   inside the other), and neither edit mentions a name the other edit mentions;
 * - `shared-names`: the edits mention the same identifier (the same change twice, a moved line, a rename);
 * - `same-statement`: one edit lies inside the statement/member the other edits;
 * - `no-grammar`: no parser for the file, so nothing above could be checked.
 */
export class AdjacentStrategy implements Strategy {
  readonly name = 'adjacent-edits';

  constructor(private readonly grammars: Grammars) {}

  situations(h: HunkInput): readonly string[] {
    if (h.base.length === 0) return [];
    return h.lang ? ['shared-names', 'same-statement', 'separate-statements'] : ['shared-names', 'no-grammar'];
  }

  async apply(h: HunkInput): Promise<StrategyOutcome | null> {
    if (h.base.length === 0) return null;
    const eo = diffLines(h.base, h.ours);
    const et = diffLines(h.base, h.theirs);
    if (!eo || !et || eo.length === 0 || et.length === 0) return null;
    for (const a of eo) for (const b of et) if (clash(a, b)) return null;
    const all = [...eo, ...et].sort((x, y) => x.start - y.start || x.end - y.end);
    const lines = applyEdits(h.base, all);
    const what = `ours changed base lines ${ranges(eo)} and theirs changed ${ranges(et)}: neighbouring, not overlapping`;
    const shared = sharedNames(h.base, eo, et);
    if (shared.length > 0) {
      return { kind: 'resolved', lines, situation: 'shared-names', reason: `${what}; both edits mention ${shared.slice(0, 3).join(', ')}` };
    }
    if (!h.lang) return { kind: 'resolved', lines, situation: 'no-grammar', reason: `${what}; no parser for this file` };
    const text = h.prefix + joinLines(h.base) + h.suffix;
    const firstRow = lineCount(h.prefix);
    // A blank line belongs to no statement (-1).
    const indents = h.base.map((l) => (l.trim() === '' ? -1 : l.length - l.trimStart().length));
    const nested = await this.grammars.withTree(h.lang, text, (root) => {
      if (root.hasError) return 'the file does not parse';
      const at = (i: number) => unitAt(root, firstRow + i, indents[i]!);
      const no = eo.flatMap((e) => touched(at, e, h.base.length));
      const nt = et.flatMap((e) => touched(at, e, h.base.length));
      for (const a of no) for (const b of nt) if (a.startIndex <= b.startIndex ? b.endIndex <= a.endIndex : a.endIndex <= b.endIndex && b.startIndex <= a.startIndex) return `both edits are inside ${describe(a.startIndex <= b.startIndex && b.endIndex <= a.endIndex ? a : b)}`;
      return null;
    });
    if (nested) return { kind: 'resolved', lines, situation: 'same-statement', reason: `${what}; ${nested}` };
    return { kind: 'resolved', lines, situation: 'separate-statements', reason: `${what}; in different statements, no shared names` };
  }
}

/** Identifiers (not keywords, not numbers) that both sides' edits mention, in removed or added lines. */
function sharedNames(base: readonly string[], eo: Edit[], et: Edit[]): string[] {
  const names = (edits: Edit[]) => {
    const s = new Set<string>();
    for (const e of edits) for (const t of lexTokens(joinLines([...base.slice(e.start, e.end), ...e.lines]))) if (isName(t)) s.add(t);
    return s;
  };
  const a = names(eo);
  return [...names(et)].filter((n) => a.has(n));
}

const KEYWORDS = new Set(
  'abstract as async await break case catch class const continue debugger declare default delete do else enum export extends false finally for from function get if implements import in instanceof interface let new null of private protected public readonly return set static super switch this throw true try type typeof undefined var void while with yield def elif lambda pass None True False and or not is'.split(' '),
);

function isName(t: string): boolean {
  return /^[A-Za-z_$][\w$]*$/.test(t) && !KEYWORDS.has(t);
}

/** Containers whose children are statements or members: a node right under one is a unit of change. */
const UNIT_PARENTS = new Set([
  'program', 'statement_block', 'class_body', 'object', 'interface_body', 'object_type', 'enum_body', 'switch_body', 'switch_case', 'switch_default',
  'array', 'arguments', 'named_imports', 'module', 'block', 'dictionary', 'list', 'jsx_element', 'formal_parameters', 'document',
]);

/** The statement/member nodes an edit touches (for an insertion: the one it lands inside, if any). */
function touched(at: (baseLine: number) => SyntaxNode | null, e: Edit, baseLines: number): SyntaxNode[] {
  if (e.start === e.end) {
    // An insertion sits inside a unit only when the lines on both sides of it belong to the same one.
    if (e.start === 0 || e.start === baseLines) return [];
    const before = at(e.start - 1);
    const after = at(e.start);
    return before && after && before.startIndex === after.startIndex && before.endIndex === after.endIndex ? [before] : [];
  }
  const out: SyntaxNode[] = [];
  for (let i = e.start; i < e.end; i++) {
    const n = at(i);
    if (n) out.push(n);
  }
  return out;
}

/** The statement or member that the first token of a line belongs to (a blank line belongs to none). */
function unitAt(root: SyntaxNode, row: number, column: number): SyntaxNode | null {
  if (column < 0) return null;
  let n: SyntaxNode | null = root.descendantForPosition({ row, column });
  while (n && !(n.parent && UNIT_PARENTS.has(n.parent.type))) n = n.parent;
  return n;
}

function describe(n: SyntaxNode): string {
  const first = n.text.split('\n')[0]!.trim();
  return `${n.type.replace(/_/g, ' ')} "${first.length > 60 ? first.slice(0, 57) + '…' : first}" (line ${n.startPosition.row + 1})`;
}

function lineCount(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function clash(a: Edit, b: Edit): boolean {
  const aIns = a.start === a.end;
  const bIns = b.start === b.end;
  if (aIns && bIns) return a.start === b.start;
  if (aIns) return a.start > b.start && a.start < b.end;
  if (bIns) return b.start > a.start && b.start < a.end;
  return a.start < b.end && b.start < a.end;
}

function ranges(edits: Edit[]): string {
  return edits.map((e) => (e.start === e.end ? `+@${e.start + 1}` : e.end - e.start === 1 ? `${e.start + 1}` : `${e.start + 1}-${e.end}`)).join(',');
}
