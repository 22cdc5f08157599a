import type { LanguageId, SyntaxNode } from './grammars.js';

/**
 * What counts as an unordered container per grammar, and how its members are named. The commutative
 * strategy and the verification gate share this one table so they agree on what a "member" is.
 */
const CONTAINERS: Record<LanguageId, Set<string>> = {
  typescript: new Set(['program', 'named_imports', 'object', 'class_body', 'interface_body', 'object_type', 'enum_body', 'union_type', 'array']),
  tsx: new Set(['program', 'named_imports', 'object', 'class_body', 'interface_body', 'object_type', 'enum_body', 'union_type', 'array']),
  javascript: new Set(['program', 'named_imports', 'object', 'class_body', 'array']),
  python: new Set(['module', 'block', 'import_from_statement', 'dictionary', 'list', 'set']),
  json: new Set(['object', 'array']),
};

/** Top-level statements that may be reordered freely relative to other inserted ones (declarations, imports). */
const TOP_LEVEL_MEMBERS = new Set([
  'import_statement',
  'import_from_statement',
  'function_declaration',
  'generator_function_declaration',
  'class_declaration',
  'abstract_class_declaration',
  'interface_declaration',
  'type_alias_declaration',
  'enum_declaration',
  'lexical_declaration',
  'export_statement',
  'function_definition',
  'class_definition',
  'decorated_definition',
  'comment',
]);

const STATEMENT_CONTAINERS = new Set(['program', 'module', 'block', 'class_body']);

export function isContainer(lang: LanguageId, node: SyntaxNode): boolean {
  if (!CONTAINERS[lang].has(node.type)) return false;
  // A nested union is part of the outer one; a Python block is unordered only as a class body.
  if (node.type === 'union_type' && node.parent?.type === 'union_type') return false;
  if (node.type === 'block') return node.parent?.type === 'class_definition';
  return true;
}

/** Whether a member of this container may be inserted by the commutative strategy. */
export function isCommutativeMember(container: SyntaxNode, member: SyntaxNode): boolean {
  if (container.type === 'program' || container.type === 'module') {
    if (member.type === 'expression_statement') return isPythonAssignment(member);
    return TOP_LEVEL_MEMBERS.has(member.type);
  }
  if (container.type === 'block') {
    return ['function_definition', 'decorated_definition', 'comment', 'class_definition'].includes(member.type) || isPythonAssignment(member);
  }
  return true;
}

function isPythonAssignment(n: SyntaxNode): boolean {
  const a = n.namedChildren[0];
  return n.type === 'expression_statement' && a?.type === 'assignment' && a.childForFieldName('left')?.type === 'identifier';
}

/** The members of a container, in source order (nested unions flattened). */
export function membersOf(container: SyntaxNode): SyntaxNode[] {
  if (container.type === 'union_type') {
    const out: SyntaxNode[] = [];
    const walk = (n: SyntaxNode) => {
      for (const c of n.namedChildren) {
        if (c.type === 'union_type') walk(c);
        else out.push(c);
      }
    };
    walk(container);
    return out;
  }
  if (container.type === 'import_from_statement') {
    const out: SyntaxNode[] = [];
    for (let i = 0; i < container.childCount; i++) {
      if (container.fieldNameForChild(i) === 'name') out.push(container.child(i)!);
    }
    return out;
  }
  return container.namedChildren.filter((c) => c.type !== 'ERROR');
}

function unquote(s: string): string {
  return s.replace(/^(['"`])(.*)\1$/s, '$2');
}

function nameOf(n: SyntaxNode | null | undefined): string | null {
  if (!n) return null;
  return n.childForFieldName('name')?.text ?? null;
}

/** The names a member binds or the keys it defines; an empty list means "compare by text". */
export function memberKeys(member: SyntaxNode): string[] {
  switch (member.type) {
    case 'import_statement':
      return importBindingsOf(member).map((b) => `import:${b}`).concat(member.namedChildren.some((c) => c.type === 'import_clause') ? [] : [`import-src:${member.text}`]);
    case 'import_from_statement':
      return importBindingsOf(member).map((b) => `import:${b}`);
    case 'import_specifier':
    case 'aliased_import':
    case 'dotted_name':
      return [`import:${bindingOfSpecifier(member)}`];
    case 'pair': {
      const k = member.childForFieldName('key');
      return k ? [`key:${unquote(k.text)}`] : [];
    }
    case 'shorthand_property_identifier':
      return [`key:${member.text}`];
    case 'method_definition':
    case 'method_signature':
    case 'abstract_method_signature': {
      const first = member.child(0)?.text;
      const acc = first === 'get' || first === 'set' || first === 'static' ? `${first} ` : '';
      return [`member:${acc}${nameOf(member) ?? member.text}`];
    }
    case 'public_field_definition':
    case 'field_definition':
    case 'property_signature': {
      const prop = nameOf(member) ?? member.childForFieldName('property')?.text;
      return prop ? [`member:${prop}`] : [];
    }
    case 'enum_assignment':
      return [`member:${nameOf(member)}`];
    case 'property_identifier':
      return [`member:${member.text}`];
    case 'function_declaration':
    case 'generator_function_declaration':
    case 'class_declaration':
    case 'abstract_class_declaration':
    case 'interface_declaration':
    case 'type_alias_declaration':
    case 'enum_declaration':
    case 'function_definition':
    case 'class_definition':
      return [`decl:${nameOf(member)}`];
    case 'decorated_definition':
      return [`decl:${nameOf(member.childForFieldName('definition'))}`];
    case 'lexical_declaration':
    case 'variable_declaration':
      return member.namedChildren.filter((c) => c.type === 'variable_declarator').map((d) => `decl:${d.childForFieldName('name')?.text}`);
    case 'export_statement': {
      const decl = member.childForFieldName('declaration');
      if (decl) return memberKeys(decl);
      if (member.children.some((c) => c.type === 'default')) return ['decl:default'];
      return [];
    }
    case 'expression_statement': {
      const a = member.namedChildren[0];
      if (a?.type === 'assignment') return [`decl:${a.childForFieldName('left')?.text}`];
      return [];
    }
    default:
      return [];
  }
}

function bindingOfSpecifier(n: SyntaxNode): string {
  if (n.type === 'import_specifier') return (n.childForFieldName('alias') ?? n.childForFieldName('name'))?.text ?? n.text;
  if (n.type === 'aliased_import') return n.childForFieldName('alias')?.text ?? n.text;
  return n.text;
}

/** Local names an import statement introduces (JS/TS and Python). */
export function importBindingsOf(stmt: SyntaxNode): string[] {
  const out: string[] = [];
  if (stmt.type === 'import_statement' && stmt.childForFieldName('source')) {
    const clause = stmt.namedChildren.find((c) => c.type === 'import_clause');
    for (const c of clause?.namedChildren ?? []) {
      if (c.type === 'identifier') out.push(c.text);
      else if (c.type === 'namespace_import') out.push(c.namedChildren[0]?.text ?? c.text);
      else if (c.type === 'named_imports') for (const s of c.namedChildren) if (s.type === 'import_specifier') out.push(bindingOfSpecifier(s));
    }
    return out;
  }
  // Python: `import a.b` binds `a`; `import a as b` binds b; `from x import a as b` binds b.
  const fromStmt = stmt.type === 'import_from_statement';
  for (let i = 0; i < stmt.childCount; i++) {
    if (stmt.fieldNameForChild(i) !== 'name') continue;
    const c = stmt.child(i)!;
    if (c.type === 'aliased_import') out.push(bindingOfSpecifier(c));
    else out.push(fromStmt ? c.text : c.text.split('.')[0]!);
  }
  return out;
}

/** A member's identity: its keys, else its normalized text (array entries, union members, comments). */
export function memberIdentity(member: SyntaxNode): string[] {
  const keys = memberKeys(member);
  return keys.length > 0 ? keys : [`text:${member.text.replace(/\s+/g, ' ')}`];
}

/**
 * Every symbol a file defines: container members with the path of their enclosing members, so
 * `key:a/key:b` is the nested key `a.b`. The gate demands that each side's additions survive.
 */
export function symbolsOf(lang: LanguageId, root: SyntaxNode): Map<string, number> {
  return symbolsIn(lang, root, root.descendantsOfType([...CONTAINERS[lang]]));
}

/**
 * Thrown when a tree's symbols would take more than SYMBOL_BUDGET characters: key paths and array items
 * known by their text grow with the nesting depth, so a file nested thousands of levels deep (a 40 KB JSON
 * of 20,000 nested arrays) needed gigabytes and ran the process out of memory. Real files stay far below
 * (a 115 KB package-lock.json: well under a million). The gate then refuses the answer (a person decides).
 */
export class TooDeeplyNested extends Error {
  constructor(readonly chars: number) {
    super(`its key paths would take more than ${chars.toLocaleString('en')} characters (nested too deeply to check)`);
  }
}

const SYMBOL_BUDGET_MIN = 16_000_000;

/** symbolsOf over the containers a query already found (document order, as descendantsOfType gives them). */
function symbolsIn(lang: LanguageId, root: SyntaxNode, containers: SyntaxNode[], outer: Outer | null = null): Map<string, number> {
  const out = new Map<string, number>();
  const budget = Math.max(SYMBOL_BUDGET_MIN, 20 * (root.endIndex - root.startIndex));
  let spent = 0;
  const spend = (chars: number) => {
    spent += chars;
    if (spent > budget) throw new TooDeeplyNested(budget);
  };
  // One native query for every container, then each container's key path from its nearest enclosing
  // container. Visiting every node from JavaScript costs a wasm call per node, and climbing with
  // node.parent costs a walk down from the root per step (tree-sitter stores no parent links).
  const prefixes = new Map<number, string>();
  const climb = (container: SyntaxNode): string => {
    const parts: string[] = [];
    let node = container;
    let parent = node.parent;
    while (parent) {
      if (isContainer(lang, parent)) {
        const keys = memberKeys(node);
        const cached = prefixes.get(parent.id);
        parts.unshift(keys.length > 0 ? keys[0]! : '[]');
        if (cached !== undefined) {
          parts.unshift(cached.replace(/\/$/, ''));
          break;
        }
      }
      node = parent;
      parent = node.parent;
    }
    const p = parts.filter(Boolean).join('/');
    return p ? `${p}/` : '';
  };
  // Containers come in pre-order, so the open ones that still span a container are its container
  // ancestors, nearest last (non-empty ranges of two nodes are nested or disjoint). Zero-width nodes
  // break that rule: they take the climb.
  const open: { node: SyntaxNode; end: number; children: SyntaxNode[] | null }[] = [];
  // `outer`: the containers are all inside this one (a top-level statement's, with the file's root here),
  // whose own members the caller counts; it anchors their key paths as in a walk of the whole file.
  if (outer) {
    prefixes.set(outer.node.id, '');
    open.push({ node: outer.node, end: outer.node.endIndex, children: outer.children });
  }
  const prefixOf = (container: SyntaxNode): string => {
    const known = prefixes.get(container.id);
    if (known !== undefined) return known;
    const start = container.startIndex;
    const end = container.endIndex;
    let prefix: string | null = null;
    if (end > start) {
      while (open.length > 0 && open[open.length - 1]!.end < end) open.pop();
      const parent = open[open.length - 1];
      if (!parent) prefix = '';
      else {
        const child = childSpanning((parent.children ??= parent.node.children), start, end);
        if (child) {
          const keys = memberKeys(child);
          const p = [prefixes.get(parent.node.id)!.replace(/\/$/, ''), keys.length > 0 ? keys[0]! : '[]'].filter(Boolean).join('/');
          prefix = p ? `${p}/` : '';
        }
      }
      open.push({ node: container, end, children: null });
    }
    prefix ??= climb(container);
    spend(prefix.length);
    prefixes.set(container.id, prefix);
    return prefix;
  };
  if (!outer && isContainer(lang, root) && !containers.some((c) => c.id === root.id)) containers.unshift(root);
  for (const node of containers) {
    if (!isContainer(lang, node)) continue;
    const prefix = prefixOf(node);
    const statements = STATEMENT_CONTAINERS.has(node.type);
    for (const m of membersOf(node)) {
      if (m.type === 'comment') continue;
      const keys = memberKeys(m);
      // Entries known only by their text (array items) count by text; statements do not count at all.
      if (keys.length === 0) {
        if (!statements) {
          // Counted before the text is read: an item's text holds everything nested in it.
          spend(prefix.length + m.endIndex - m.startIndex);
          const sym = `${prefix}text:${m.text.replace(/\s+/g, ' ')}`;
          out.set(sym, (out.get(sym) ?? 0) + 1);
        }
        continue;
      }
      for (const sym of keys.map((k) => prefix + k)) {
        spend(sym.length);
        out.set(sym, (out.get(sym) ?? 0) + 1);
      }
    }
  }
  return out;
}

/** The non-empty child whose range holds [start, end), or null (children are in source order). */
function childSpanning(children: SyntaxNode[], start: number, end: number): SyntaxNode | null {
  let lo = 0;
  let hi = children.length - 1;
  let at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (children[mid]!.startIndex <= start) {
      at = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  for (let i = at; i >= 0; i--) {
    const c = children[i]!;
    const cEnd = c.endIndex;
    if (cEnd > c.startIndex) return cEnd >= end ? c : null;
  }
  return null;
}

/** Names imported anywhere in the file. */
export function importedNames(root: SyntaxNode): Set<string> {
  return importsIn(root.descendantsOfType(IMPORT_STATEMENTS));
}

const IMPORT_STATEMENTS = ['import_statement', 'import_from_statement'];

function importsIn(statements: SyntaxNode[]): Set<string> {
  const out = new Set<string>();
  for (const s of statements) for (const b of importBindingsOf(s)) out.add(b);
  return out;
}

const IDENTIFIERS = ['identifier', 'type_identifier', 'shorthand_property_identifier'];

/**
 * Identifiers referenced outside import statements. Two native queries (the identifiers, the import
 * statements' ranges) instead of a walk from JavaScript over every named node, a wasm call per node — the
 * gate's most expensive step on large files.
 */
export function usedIdentifiers(root: SyntaxNode): Set<string> {
  const out = new Set<string>();
  const imports = root.descendantsOfType(IMPORT_STATEMENTS).map((s) => [s.startIndex, s.endIndex] as const);
  let k = 0;
  // Both lists are in document order, and import statements do not nest.
  for (const n of root.descendantsOfType(IDENTIFIERS)) {
    const at = n.startIndex;
    while (k < imports.length && imports[k]![1] <= at) k++;
    if (k < imports.length && imports[k]![0] <= at) continue;
    out.add(n.text);
  }
  return out;
}

/** usedIdentifiers of statements and their parts, by text (LRU, bounded by the characters of the keys). */
/** A memo by text, the least recently used out first once its keys hold more than `maxChars` characters. */
class TextMemo<V> {
  private readonly map = new Map<string, V>();
  /** Characters of the keys held. */
  chars = 0;
  constructor(private readonly maxChars: number) {}

  get(key: string, compute: () => V): V {
    let value = this.map.get(key);
    if (value !== undefined) {
      // Most recently used last (the map's order), so eviction takes the least recently used first.
      this.map.delete(key);
      this.map.set(key, value);
      return value;
    }
    value = compute();
    // (A nested computation may have stored the same key meanwhile: counted once.)
    if (!this.map.has(key)) this.chars += key.length;
    this.map.set(key, value);
    for (const [k] of this.map) {
      if (this.chars <= this.maxChars) break;
      this.map.delete(k);
      this.chars -= k.length;
    }
    return value;
  }

  keys(): IterableIterator<string> {
    return this.map.keys();
  }

  get size(): number {
    return this.map.size;
  }
}

const usedMemo = new TextMemo<Set<string>>(8 * 1024 * 1024);

/**
 * usedIdentifiers of several versions of a file (the gate's ours, theirs and result) from their top-level
 * statements, each read once by its text across calls, and a long one by its parts as in factsByParts,
 * remembered at every level: identifiers are leaves, so the parts hold them all, and an import statement
 * is a part whole. The same sets as usedIdentifiers of each root (file-facts-versions.property.test.ts); a
 * tree with a syntax error is read whole.
 */
export function usedIdentifiersOfVersions(lang: LanguageId, roots: SyntaxNode[]): Set<string>[] {
  const changed = changedRanges(roots);
  return roots.map((root, v) => {
    if (root.hasError || !STATEMENT_CONTAINERS.has(root.type)) return usedIdentifiers(root);
    const out = new Set<string>();
    for (const statement of root.namedChildren) for (const n of usedOfNode(lang, statement, SPLIT_MIN_CHARS, changed[v]!)) out.add(n);
    return out;
  });
}

function usedOfNode(lang: LanguageId, node: SyntaxNode, splitAt: number, changed: Range): Set<string> {
  const type = node.type;
  const key = `${lang}\u0000${splitAt}\u0000${type}\u0000${node.text}`;
  return usedMemo.get(key, () => {
    if (IDENTIFIERS.includes(type)) return new Set([node.text]);
    if (!overlaps(node, changed) || node.endIndex - node.startIndex < splitAt || IMPORT_STATEMENTS.includes(type)) return usedIdentifiers(node);
    const used = new Set<string>();
    for (const child of node.namedChildren) for (const n of usedOfNode(lang, child, PART_MIN_CHARS, changed)) used.add(n);
    return used;
  });
}

const DECLARATIONS = [
  'variable_declarator',
  'function_declaration',
  'generator_function_declaration',
  'class_declaration',
  'abstract_class_declaration',
  'interface_declaration',
  'type_alias_declaration',
  'enum_declaration',
  'function_definition',
  'class_definition',
  'required_parameter',
  'optional_parameter',
  'formal_parameters',
  'parameters',
  'assignment',
  'catch_clause',
];

/**
 * Names the file declares (variables, functions, classes, types, parameters, imports). Incomplete by
 * design: a form it does not know (destructuring) just is not counted, which can only cause an escalation.
 */
export function declaredNames(root: SyntaxNode): Set<string> {
  return declaredIn(importedNames(root), root.descendantsOfType(DECLARATIONS));
}

function declaredIn(imported: Set<string>, declarations: SyntaxNode[]): Set<string> {
  const out = new Set(imported);
  for (const d of declarations) {
    if (d.type === 'formal_parameters' || d.type === 'parameters') {
      for (const p of d.namedChildren) if (p.type === 'identifier') out.add(p.text);
      continue;
    }
    const n = d.childForFieldName('name') ?? d.childForFieldName('pattern') ?? d.childForFieldName('left') ?? d.childForFieldName('parameter');
    if (n && (n.type === 'identifier' || n.type === 'type_identifier')) out.add(n.text);
  }
  return out;
}

export interface FileFacts {
  symbols: Map<string, number>;
  imports: Set<string>;
  declared: Set<string>;
}

const DECLARATION_SET = new Set(DECLARATIONS);
const IMPORT_SET = new Set(IMPORT_STATEMENTS);
const FACT_TYPES = Object.fromEntries(
  Object.entries(CONTAINERS).map(([lang, set]) => [lang, [...new Set([...set, ...IMPORT_STATEMENTS, ...DECLARATIONS])]]),
) as Record<LanguageId, string[]>;

/**
 * symbolsOf, importedNames and declaredNames of one tree from a single native query: each query walks
 * the whole tree in wasm and the gate needs all three for four texts per file. The query returns nodes
 * in document order, so each filtered list is exactly what its own query would have returned.
 */
export function fileFacts(lang: LanguageId, root: SyntaxNode): FileFacts {
  return factsOf(lang, root, root.descendantsOfType(FACT_TYPES[lang]));
}

/** The file's root around a top-level statement, with its children read once for all its statements. */
interface Outer {
  node: SyntaxNode;
  children: SyntaxNode[];
}

function factsOf(lang: LanguageId, root: SyntaxNode, nodes: SyntaxNode[], outer: Outer | null = null): FileFacts {
  const containers: SyntaxNode[] = [];
  const imports: SyntaxNode[] = [];
  const declarations: SyntaxNode[] = [];
  for (const n of nodes) {
    const type = n.type;
    if (CONTAINERS[lang].has(type)) containers.push(n);
    if (IMPORT_SET.has(type)) imports.push(n);
    if (DECLARATION_SET.has(type)) declarations.push(n);
  }
  const imported = importsIn(imports);
  return { symbols: symbolsIn(lang, root, containers, outer), imports: imported, declared: declaredIn(imported, declarations) };
}

/**
 * Facts of top-level statements by language, root type, statement type and text, kept across calls (LRU,
 * bounded by the characters of the keys): the gate checks four versions of a file per call, and the same
 * files come back merge after merge in a replay or a `hive merge` of several agents (package.json, types),
 * with most statements unchanged. A statement's facts depend on nothing else (see below).
 */
const statementFacts = new TextMemo<{ keys: string[]; facts: FileFacts }>(16 * 1024 * 1024);


/**
 * A top-level statement at least this long that is not in the memo is read by its parts (factsByParts): a
 * test file is one `describe(…)` call of thousands of lines, changed in every version, so a memo of whole
 * statements never hit and the gate read each version whole (mongoose: 30 checks of files over 100 KB
 * cost 1.6 s in facts alone).
 */
const SPLIT_MIN_CHARS = 4096;
/** Parts shorter than this are not split further (a memo entry each). */
const PART_MIN_CHARS = 512;

/**
 * The facts of a long top-level statement as the sum of its children's, each child's (nodeFacts) in the
 * memo by its text. Everything a node below the statement contributes depends only on its own subtree and
 * on the key path of the statement (`context`) — as long as no container lies between the two: a
 * container's key path runs through its container ancestors. So the way down stops at containers and
 * imports (read whole, as a part), and at short nodes; a declaration passed on the way adds its own name.
 * The sums equal the statement read whole (file-facts-versions.property.test.ts).
 */
function factsByParts(lang: LanguageId, root: SyntaxNode, outer: Outer, statement: SyntaxNode, context: string, changed: Range): FileFacts {
  const facts: FileFacts = { symbols: new Map(), imports: new Set(), declared: new Set() };
  if (DECLARATION_SET.has(statement.type)) for (const n of declaredIn(new Set(), [statement])) facts.declared.add(n);
  for (const child of statement.namedChildren) addFacts(facts, nodeFacts(lang, root, outer, child, context, changed));
  return facts;
}

/**
 * A node's facts below a long statement, remembered at every level: the versions of a file share most
 * subtrees, so after the first version each unchanged subtree is found at the highest level (one lookup),
 * and only the path down to what changed is read again.
 */
function nodeFacts(lang: LanguageId, root: SyntaxNode, outer: Outer, node: SyntaxNode, context: string, changed: Range): FileFacts {
  const type = node.type;
  // A Python `block` is a container only as a class body: which one it is belongs in the key.
  const kind = type === 'block' || type === 'union_type' ? `${type}\u0000${isContainer(lang, node)}` : type;
  return statementFacts.get(`part\u0000${context}\u0000${kind}\u0000${node.text}`, () => {
    if (readWhole(lang, node, PART_MIN_CHARS, changed)) return { keys: [], facts: factsOf(lang, root, node.descendantsOfType(FACT_TYPES[lang]), outer) };
    return { keys: [], facts: factsByParts(lang, root, outer, node, context, changed) };
  }).facts;
}

/**
 * Where the way down stops: a node read whole (one query). Containers and imports always — their facts
 * involve the node itself (its members, its bindings) — and short nodes, and nodes outside the span where
 * the versions differ (the same text in all of them, so the memo has them after the first).
 */
function readWhole(lang: LanguageId, node: SyntaxNode, minChars: number, changed: Range | null): boolean {
  const type = node.type;
  return node.endIndex - node.startIndex < minChars || CONTAINERS[lang].has(type) || IMPORT_SET.has(type) || (changed !== null && !overlaps(node, changed));
}

/** Where a version differs from the others: [start, end) of its text. */
type Range = readonly [number, number];

/**
 * For each version, the range outside of which all of them are the same text (their common start and
 * end). A node outside it is the same in every version, so it is read whole, with one query, and found in
 * the memo for the others; only nodes across it are split further.
 */
function changedRanges(roots: SyntaxNode[]): Range[] {
  const texts = roots.map((r) => r.text);
  const first = texts[0] ?? '';
  let prefix = first.length;
  let suffix = first.length;
  for (const t of texts) {
    const max = Math.min(prefix, t.length);
    let p = 0;
    while (p < max && t.charCodeAt(p) === first.charCodeAt(p)) p++;
    prefix = p;
  }
  for (const t of texts) {
    const max = Math.min(suffix, t.length - prefix, first.length - prefix);
    let q = 0;
    while (q < max && t.charCodeAt(t.length - 1 - q) === first.charCodeAt(first.length - 1 - q)) q++;
    suffix = q;
  }
  return roots.map((r, i) => [r.startIndex + prefix, r.startIndex + texts[i]!.length - suffix]);
}

/** Whether the node touches the range (an empty range, an insertion, touches the nodes at its place). */
function overlaps(node: SyntaxNode, [start, end]: Range): boolean {
  return node.startIndex <= end && node.endIndex >= start;
}

function addFacts(into: FileFacts, f: FileFacts): void {
  for (const [sym, n] of f.symbols) into.symbols.set(sym, (into.symbols.get(sym) ?? 0) + n);
  for (const n of f.imports) into.imports.add(n);
  for (const n of f.declared) into.declared.add(n);
}

/** The memo's size (entries, key characters): for tests of its accounting. */
export function statementFactsUsage(): { entries: number; chars: number; parts: number } {
  let chars = 0;
  let parts = 0;
  for (const k of statementFacts.keys()) {
    chars += k.length;
    if (k.startsWith('part\u0000')) parts++;
  }
  if (chars !== statementFacts.chars) throw new Error(`statement facts memo: ${statementFacts.chars} characters counted, ${chars} held`);
  return { entries: statementFacts.size, chars, parts };
}

/**
 * fileFacts of several versions of one file (the gate's base, ours, theirs and result). They differ in a
 * few places, so most top-level statements are the same text in all of them: each distinct statement is
 * read once and its facts added to every version that has it. A statement's facts depend only on its own
 * subtree (its key paths start at the file's root), so the sums equal fileFacts of each whole tree — for
 * trees without syntax errors; a tree with one, or a root that is not a list of statements (JSON), is read
 * whole.
 */
export function fileFactsOfVersions(lang: LanguageId, roots: SyntaxNode[]): FileFacts[] {
  const changed = changedRanges(roots);
  return roots.map((root, v) => {
    if (root.hasError || !STATEMENT_CONTAINERS.has(root.type) || !isContainer(lang, root)) return fileFacts(lang, root);
    const symbols = new Map<string, number>();
    const imports = new Set<string>();
    const declared = new Set<string>();
    const outer: Outer = { node: root, children: root.children };
    // A cursor over the root's children: a statement's type and range without building a node object (a
    // wasm call each), and the node only for a statement not seen yet.
    const full = root.text;
    const origin = root.startIndex;
    const cursor = root.walk();
    try {
      if (cursor.gotoFirstChild()) {
        do {
          if (!cursor.nodeIsNamed) continue;
          const type = cursor.nodeType;
          const key = `${lang}\u0000${root.type}\u0000${type}\u0000${full.slice(cursor.startIndex - origin, cursor.endIndex - origin)}`;
          const entry = statementFacts.get(key, () => {
            const statement = cursor.currentNode;
            // The root's own members: statements count by their keys only (STATEMENT_CONTAINERS).
            const keys = type === 'comment' ? [] : memberKeys(statement);
            const facts = readWhole(lang, statement, SPLIT_MIN_CHARS, null)
              ? factsOf(lang, root, statement.descendantsOfType(FACT_TYPES[lang]), outer)
              : factsByParts(lang, root, outer, statement, `${lang}\u0000${root.type}\u0000${keys[0] ?? '[]'}`, changed[v]!);
            return { keys, facts };
          });
          for (const k of entry.keys) symbols.set(k, (symbols.get(k) ?? 0) + 1);
          for (const [sym, n] of entry.facts.symbols) symbols.set(sym, (symbols.get(sym) ?? 0) + n);
          for (const n of entry.facts.imports) imports.add(n);
          for (const n of entry.facts.declared) declared.add(n);
        } while (cursor.gotoNextSibling());
      }
    } finally {
      cursor.delete();
    }
    return { symbols, imports, declared };
  });
}
