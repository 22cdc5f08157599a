import type { Grammars, SyntaxNode, Tree } from './grammars.js';
import { isCommutativeMember, isContainer, memberIdentity, membersOf } from './members.js';
import type { HunkInput, Strategy, StrategyOutcome } from './strategy.js';
import { joinLines, splitLines } from './text-lines.js';

interface View {
  text: string;
  root: SyntaxNode;
  container: SyntaxNode;
  members: SyntaxNode[];
}

interface Block {
  /** Index of the base member this block follows; -1 when it comes before every base member. */
  anchor: number;
  members: SyntaxNode[];
  text: string;
  from: number;
  to: number;
}

/**
 * Both sides only inserted distinct members into the same unordered container (imports, object/class/
 * interface/enum members, union members, array entries, JSON keys), checked on real syntax trees. Each
 * side's inserted run is kept verbatim with its separators; ours' runs come first at a shared spot.
 */
export class CommutativeStrategy implements Strategy {
  readonly name = 'commutative-insertions';

  constructor(private readonly grammars: Grammars) {}

  async apply(h: HunkInput): Promise<StrategyOutcome | null> {
    if (!h.lang) return null;
    const pieces = [h.base, h.ours, h.theirs].map((side) => new Spliced(h.prefix, joinLines(side), h.suffix)) as [Spliced, Spliced, Spliced];
    const [cp, cs] = commonEnds(pieces, h.prefix.length, h.suffix.length);
    // A side that only inserted holds every character of base (blocksOf demands exactly that). When
    // one does not, no tree can change the answer (null), so the three full-file parses are skipped —
    // and the three whole-file texts are never built (most hunks stop here: building and flattening
    // them per hunk was ~5 % of the resolver's time on the corpus).
    const middle = (t: Spliced) => t.slice(cp, t.length - cs);
    if (!onlyAdds(middle(pieces[0]), middle(pieces[1])) || !onlyAdds(middle(pieces[0]), middle(pieces[2]))) return null;
    const texts = pieces.map((p) => p.text()) as [string, string, string];
    // In a large file, most insertions that pass are statements inside a function (a test inside a
    // describe), which no unordered container holds: a full parse of the file only to find that out was
    // a quarter of the resolver's time on mongoose's history. The same search runs first on the enclosing
    // block alone; only when it finds member insertions there does the whole file get parsed (the answer
    // always comes from the whole file).
    const win = texts[0].length >= WINDOW_MIN ? enclosingBlock(texts, cp, cs) : null;
    // Inserted lines inside a function or statement body: no container holds them (the body is not one, and
    // whatever holds the body holds it as a single member, which the insertion changes).
    if (win && h.lang !== 'python' && isStatementBody(win)) return null;
    if (win && texts[0].length - win.tail - win.from <= texts[0].length / 2) {
      const probe = await this.members(h, texts.map((t) => t.slice(win.from, t.length - win.tail)) as [string, string, string], cp - win.from, cs - win.tail);
      if (!probe) return null;
    }
    const found = await this.members(h, texts, cp, cs);
    if (!found || found.kind === 'escalate') return found;
    const { base, ours, ob, keep } = found;
    let result = ours.text;
    const inserts = keep.map((b) => ({ at: insertPosition(base, ours, b), text: b.text }));
    if (inserts.some((i) => i.at < 0)) return null;
    inserts.sort((a, b) => b.at - a.at);
    for (const ins of inserts) result = result.slice(0, ins.at) + ins.text + result.slice(ins.at);
    if (!result.startsWith(h.prefix) || !result.endsWith(h.suffix) || result.length < h.prefix.length + h.suffix.length) return null;
    const lines = splitLines(result.slice(h.prefix.length, result.length - h.suffix.length));
    const what = containerName(base.container);
    const oursNames = ob.flatMap((b) => b.members).map(short).join(', ');
    const theirsNames = keep.flatMap((b) => b.members).map(short).join(', ');
    return {
      kind: 'resolved',
      lines,
      reason: keep.length === 0
        ? `both sides added the same ${what} members (${oursNames}); kept one copy`
        : `both sides only added distinct ${what} members (ours: ${oursNames}; theirs: ${theirsNames}); kept both, ours first`,
    };
  }

  /**
   * Each side's inserted runs of members in the innermost unordered container around the change, parsed
   * from `texts` (the three versions, or one block of each); null when the change is anything else.
   */
  private async members(h: HunkInput, texts: [string, string, string], cp: number, cs: number): Promise<{ kind: 'escalate'; reason: string } | { kind: 'members'; base: View; ours: View; ob: Block[]; keep: Block[] } | null> {
    const views: View[] = [];
    // Cached trees: the gate parses the same texts right after (no await between use and return).
    const trees: Tree[] = [];
    for (const text of texts) trees.push(await this.grammars.tree(h.lang!, text));
    for (const [i, text] of texts.entries()) {
      const tree = trees[i]!;
      const container = findContainer(h, tree.rootNode, text, cp, text.length - cs);
      if (!container || container.hasError) return null;
      views.push({ text, root: tree.rootNode, container, members: membersOf(container) });
    }
    const [base, ours, theirs] = views as [View, View, View];
    for (const v of [ours, theirs]) {
      if (v.container.type !== base.container.type || v.container.startIndex !== base.container.startIndex) return null;
      if (v.text.length - v.container.endIndex !== base.text.length - base.container.endIndex) return null;
    }
    if (base.members.length === 0) return null;
    const ob = blocksOf(base, ours);
    const tb = blocksOf(base, theirs);
    if (!ob || !tb || ob.length === 0 || tb.length === 0) return null;
    const added = [...ob, ...tb].flatMap((b) => b.members);
    if (added.some((m) => m.hasError || !isCommutativeMember(base.container, m))) return null;

    // Same key on both sides: identical text is one addition made twice, different text is a real conflict.
    const oursAdded = new Map<string, string>();
    for (const m of ob.flatMap((b) => b.members)) for (const id of memberIdentity(m)) oursAdded.set(id, norm(m.text));
    const keep: Block[] = [];
    for (const b of tb) {
      let dup = 0;
      for (const m of b.members) {
        const ids = memberIdentity(m);
        const clash = ids.find((id) => oursAdded.has(id));
        if (clash === undefined) continue;
        if (oursAdded.get(clash) !== norm(m.text)) {
          return { kind: 'escalate', reason: `both sides added ${describe(clash)} with different content` };
        }
        dup++;
      }
      if (dup === 0) keep.push(b);
      else if (dup < b.members.length) return null;
    }
    return { kind: 'members', base, ours, ob, keep };
  }
}

/** Files from this size on are probed block-first (below it a full parse costs a few ms). */
const WINDOW_MIN = 20_000;

/**
 * The block around a change, the same in the three texts: from the nearest line above the change indented
 * less than every changed line to the nearest such line below it, both included (`it('…', () => {` …
 * `});`), as its start, the length of text after it and those two lines. Null when a changed line starts at
 * the margin (a top-level change, which only the whole file holds) or no such lines exist.
 */
export function enclosingBlock(texts: readonly [string, string, string], cp: number, cs: number): { from: number; tail: number; opener: string; closer: string } | null {
  const base = texts[0];
  const first = cp === 0 ? 0 : base.lastIndexOf('\n', cp - 1) + 1;
  let min = Infinity;
  let tail = Infinity;
  for (const t of texts) {
    // The lines the change touches in this text (none where it is an insertion point in this one).
    if (t.length - cs === cp) {
      tail = Math.min(tail, cs);
      continue;
    }
    const nl = t.indexOf('\n', t.length - cs - 1);
    const end = nl < 0 ? t.length : nl + 1;
    tail = Math.min(tail, t.length - end);
    // A line counts when the change covers some of its text, not only its indentation or line end.
    const to = t.length - cs;
    for (let at = first; at < end; ) {
      const next = t.indexOf('\n', at);
      const stop = next < 0 || next >= end ? end : next + 1;
      const ind = indentOf(t, at, stop);
      if (ind !== null && /\S/.test(t.slice(Math.max(at, cp), Math.min(stop, to)))) min = Math.min(min, ind);
      at = stop;
    }
  }
  if (min === 0 || min === Infinity) return null;
  // Up: lines of the shared prefix.
  let from = -1;
  for (let at = first; at > 0; ) {
    const start = base.lastIndexOf('\n', at - 2) + 1;
    const ind = indentOf(base, start, at);
    if (ind !== null && ind < min) {
      from = start;
      break;
    }
    at = start;
  }
  // Down: lines of the shared suffix, counted from the end of the text.
  let after = -1;
  let closer = '';
  for (let at = base.length - tail; at < base.length; ) {
    const nl = base.indexOf('\n', at);
    const stop = nl < 0 ? base.length : nl + 1;
    const ind = indentOf(base, at, stop);
    if (ind !== null && ind < min) {
      after = base.length - stop;
      closer = base.slice(at, stop);
      break;
    }
    at = stop;
  }
  if (from < 0 || after < 0) return null;
  return { from, tail: after, opener: base.slice(from, base.indexOf('\n', from) + 1 || base.length), closer };
}

/**
 * Whether a block is the body of a function, method or control statement by its first and last lines:
 * `…) {`, `… => {`, `else {`, `try {`, `finally {`, `do {` and a line that starts with `}`. After `)` or
 * `=>` a brace never opens an object (an arrow returning one writes `=> ({`).
 */
export function isStatementBody(block: { opener: string; closer: string }): boolean {
  return /(?:\)|=>|\belse|\btry|\bfinally|\bdo)\s*\{\s*$/.test(block.opener) && /^\s*\}/.test(block.closer);
}

/** Leading spaces and tabs of the line [start, end), or null for a blank line. */
function indentOf(t: string, start: number, end: number): number | null {
  let i = start;
  while (i < end && (t.charCodeAt(i) === 32 || t.charCodeAt(i) === 9)) i++;
  return i === end || t.charCodeAt(i) === 10 || t.charCodeAt(i) === 13 ? null : i - start;
}

/** Whether `side` has at least as many of every character as `base` (what deleting from side needs). */
function onlyAdds(base: string, side: string): boolean {
  if (base.length > side.length) return false;
  const counts = new Map<number, number>();
  for (let i = 0; i < side.length; i++) {
    const c = side.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  for (let i = 0; i < base.length; i++) {
    const c = base.charCodeAt(i);
    const n = counts.get(c) ?? 0;
    if (n === 0) return false;
    counts.set(c, n - 1);
  }
  return true;
}

function norm(s: string): string {
  return s.replace(/\s+/g, ' ').replace(/[,;]\s*$/, '').trim();
}

function describe(id: string): string {
  const [kind, ...rest] = id.split(':');
  const name = rest.join(':');
  return kind === 'text' ? `the entry ${JSON.stringify(name)}` : `${kind} ${JSON.stringify(name)}`;
}

function short(m: SyntaxNode): string {
  const id = memberIdentity(m)[0]!;
  const s = id.slice(id.indexOf(':') + 1);
  return s.length > 40 ? `${s.slice(0, 37)}…` : s;
}

function containerName(c: SyntaxNode): string {
  return (
    {
      program: 'top-level',
      module: 'top-level',
      named_imports: 'named-import',
      object: 'object',
      class_body: 'class',
      interface_body: 'interface',
      object_type: 'type',
      enum_body: 'enum',
      union_type: 'union',
      array: 'array',
      block: 'class',
      import_from_statement: 'import',
      dictionary: 'dict',
      list: 'list',
      set: 'set',
    } as Record<string, string>
  )[c.type] ?? c.type;
}

/** `prefix + middle + suffix`, read without building the whole text (most hunks never need it). */
class Spliced {
  readonly length: number;
  constructor(
    private readonly prefix: string,
    private readonly middle: string,
    private readonly suffix: string,
  ) {
    this.length = prefix.length + middle.length + suffix.length;
  }

  charCodeAt(i: number): number {
    const p = this.prefix.length;
    if (i < p) return this.prefix.charCodeAt(i);
    const m = p + this.middle.length;
    return i < m ? this.middle.charCodeAt(i - p) : this.suffix.charCodeAt(i - m);
  }

  slice(from: number, to: number): string {
    const p = this.prefix.length;
    const m = p + this.middle.length;
    if (from >= p && to <= m) return this.middle.slice(from - p, to - p);
    return this.text().slice(from, to);
  }

  text(): string {
    return this.prefix + this.middle + this.suffix;
  }
}

/**
 * Common prefix and suffix of the three texts. They are `prefix + side + suffix` with the same prefix and
 * suffix, so the compare starts past those (a whole-file character compare per hunk was ~6 % of a replay),
 * and the suffix stops where it would overlap the prefix.
 */
function commonEnds(t: [Spliced, Spliced, Spliced], knownPrefix = 0, knownSuffix = 0): [number, number] {
  const min = Math.min(t[0].length, t[1].length, t[2].length);
  let p = Math.min(knownPrefix, min);
  while (p < min && t[0].charCodeAt(p) === t[1].charCodeAt(p) && t[0].charCodeAt(p) === t[2].charCodeAt(p)) p++;
  let s = Math.min(knownSuffix, min - p);
  const [l0, l1, l2] = [t[0].length - 1, t[1].length - 1, t[2].length - 1];
  while (s < min - p && t[0].charCodeAt(l0 - s) === t[1].charCodeAt(l1 - s) && t[0].charCodeAt(l0 - s) === t[2].charCodeAt(l2 - s)) s++;
  return [p, s];
}

/**
 * The innermost unordered container that holds the whole changed region (whitespace trimmed). A
 * zero-width change (base side of an insertion) belongs to the container it touches from inside.
 */
function findContainer(h: HunkInput, root: SyntaxNode, text: string, start: number, end: number): SyntaxNode | null {
  let s = start;
  let e = end;
  while (s < e && /\s/.test(text[s]!)) s++;
  while (e > s && /\s/.test(text[e - 1]!)) e--;
  if (s === e) {
    while (s > 0 && /\s/.test(text[s - 1]!)) s--;
    e = s;
  }
  let node: SyntaxNode | null = s === e ? root.descendantForIndex(Math.max(0, s - 1), Math.max(0, s - 1)) : root.descendantForIndex(s, e - 1);
  while (node) {
    if (isContainer(h.lang!, node) && node.startIndex <= s && node.endIndex >= e) {
      if (s < e || node.startIndex < s || node.parent === null) return node;
    }
    node = node.parent;
  }
  return null;
}

/** A side's inserted runs relative to base, or null when it did anything but insert. */
function blocksOf(base: View, side: View): Block[] | null {
  const blocks: Block[] = [];
  let bi = 0;
  let run: SyntaxNode[] = [];
  let runAnchor = -1;
  const closeRun = (nextIdx: number) => {
    if (run.length === 0) return true;
    const prev = nextIdx - run.length - 1;
    const next = side.members[nextIdx];
    if (runAnchor >= 0) {
      const from = side.members[prev]!.endIndex;
      const to = run[run.length - 1]!.endIndex;
      blocks.push({ anchor: runAnchor, members: run, text: side.text.slice(from, to), from, to });
    } else {
      if (!next) return false;
      const from = run[0]!.startIndex;
      const to = next.startIndex;
      blocks.push({ anchor: -1, members: run, text: side.text.slice(from, to), from, to });
    }
    run = [];
    return true;
  };
  for (let i = 0; i < side.members.length; i++) {
    const m = side.members[i]!;
    if (bi < base.members.length && m.text === base.members[bi]!.text) {
      if (!closeRun(i)) return null;
      runAnchor = bi;
      bi++;
    } else {
      run.push(m);
    }
  }
  if (!closeRun(side.members.length)) return null;
  if (bi !== base.members.length) return null;
  // Removing the inserted runs must give base back exactly: the side changed nothing else.
  let rest = side.text;
  for (const b of [...blocks].sort((x, y) => y.from - x.from)) rest = rest.slice(0, b.from) + rest.slice(b.to);
  return rest === base.text ? blocks : null;
}

/** Where a theirs block goes in ours: after ours' own insertions that follow the same base member. */
function insertPosition(base: View, ours: View, b: Block): number {
  const baseTexts = base.members.map((m) => m.text);
  // Ours matched base members in order, so the k-th matched member of ours is base member k.
  const matched: number[] = [];
  let bi = 0;
  for (let i = 0; i < ours.members.length; i++) {
    if (bi < baseTexts.length && ours.members[i]!.text === baseTexts[bi]) {
      matched.push(i);
      bi++;
    }
  }
  if (b.anchor < 0) return ours.members[matched[0]!]!.startIndex;
  const next = matched[b.anchor + 1];
  const lastBefore = next === undefined ? ours.members.length - 1 : next - 1;
  return ours.members[lastBefore]!.endIndex;
}
