import { createRequire } from 'node:module';
import path from 'node:path';
import Parser from 'web-tree-sitter';
import { lineInterner, myers } from './diff3.js';
import { splitLines } from './text-lines.js';

export type LanguageId = 'typescript' | 'tsx' | 'javascript' | 'python' | 'json';
export type SyntaxNode = Parser.SyntaxNode;
export type Tree = Parser.Tree;

const BY_EXTENSION: Record<string, LanguageId> = {
  '.ts': 'typescript',
  '.mts': 'typescript',
  '.cts': 'typescript',
  '.tsx': 'tsx',
  '.js': 'javascript',
  '.mjs': 'javascript',
  '.cjs': 'javascript',
  '.jsx': 'javascript',
  '.py': 'python',
  '.pyi': 'python',
  '.json': 'json',
};

/** The grammar for a path, or null when there is none (the gate then checks markers only). */
export function languageForPath(file: string): LanguageId | null {
  return BY_EXTENSION[path.extname(file).toLowerCase()] ?? null;
}

let initialised: Promise<void> | null = null;
const languages = new Map<LanguageId, Promise<Parser.Language>>();

function wasmDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('tree-sitter-wasms/package.json')), 'out');
}

/**
 * Real tree-sitter parsers (web-tree-sitter 0.24 + the prebuilt grammars of tree-sitter-wasms; 0.25+ cannot
 * load those grammars' legacy dylink section, hence the pinned version). Loaded once per process.
 */
export class Grammars {
  private readonly parsers = new Map<LanguageId, Parser>();

  async parser(lang: LanguageId): Promise<Parser> {
    const cached = this.parsers.get(lang);
    if (cached) return cached;
    initialised ??= Parser.init();
    await initialised;
    let language = languages.get(lang);
    if (!language) {
      language = Parser.Language.load(path.join(wasmDir(), `tree-sitter-${lang}.wasm`));
      languages.set(lang, language);
    }
    const parser = new Parser();
    parser.setLanguage(await language);
    this.parsers.set(lang, parser);
    return parser;
  }

  // The strategies and the gate parse the same few texts of one file: keep the last trees (LRU). The
  // last CACHE_SIZE always stay; older ones stay while all cached texts together are under CACHE_CHARS, so
  // the next merge of the same file (a fleet merges the same files again and again) starts from a tree of
  // an earlier version instead of a full parse: a 300 KB test file takes ~150 ms to parse whole here.
  // Bounded by text because a tree lives in the parser's wasm memory, which never shrinks: ~35 bytes per
  // character here (a 300 KB file's tree: 10.6 MB of RSS), so 2 M characters hold ~70 MB (12 trees of
  // large files, the old bound, could hold more).
  private readonly cache = new Map<string, { lang: LanguageId; text: string; tree: Tree }>();
  private cachedChars = 0;
  private static readonly CACHE_SIZE = 12;
  private static readonly CACHE_MAX = 48;
  private static readonly CACHE_CHARS = 2_000_000;

  /**
   * A parsed tree owned by the cache: valid until CACHE_SIZE other texts were parsed; never delete it.
   *
   * The texts of one hunk are the same file with a few lines changed (base, ours, theirs, the merge), so a
   * new text is parsed incrementally from the cached tree of the same language that shares the most of it:
   * that tree is copied, told what changed (the edits `nearest` finds) and handed to tree-sitter, which
   * reuses every subtree outside the edits. A whole 440-line TypeScript file
   * takes ~10 ms to parse here (wasm), the incremental parse ~1 ms. The result is the tree a full parse gives,
   * except that tree-sitter may attach a comment beside an edit to a neighbouring node instead (seen once, on
   * mongoose's lib/schema.js, with a single inserted line).
   */
  async tree(lang: LanguageId, text: string): Promise<Tree> {
    const key = `${lang}\u0000${text}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit.tree;
    }
    const parser = await this.parser(lang);
    const from = this.nearest(lang, text);
    let tree: Tree;
    if (from) {
      const old = from.entry.tree.copy();
      try {
        for (const edit of from.edits) old.edit(edit);
        tree = parser.parse(text, old);
      } finally {
        old.delete();
      }
    } else {
      tree = parser.parse(text);
    }
    this.cache.set(key, { lang, text, tree });
    this.cachedChars += text.length;
    while (this.cache.size > Grammars.CACHE_MAX || (this.cache.size > Grammars.CACHE_SIZE && this.cachedChars > Grammars.CACHE_CHARS)) {
      const [oldKey, old] = this.cache.entries().next().value as [string, { text: string; tree: Tree }];
      this.cache.delete(oldKey);
      this.cachedChars -= old.text.length;
      old.tree.delete();
    }
    return tree;
  }

  /**
   * The cached tree of `lang` whose text differs least from `text`, with the edits that turn its text into
   * `text`: one edit spanning the common prefix and suffix when that covers nearly everything, otherwise one
   * edit per changed run of lines (a line diff), so that changes at both ends of a file (base against a side
   * that edited its top and its bottom) or an earlier version of the same file still reparse only what
   * changed. Null when no cached text is close enough to be worth it.
   */
  private nearest(lang: LanguageId, text: string): { entry: { text: string; tree: Tree }; edits: Parser.Edit[] } | null {
    const candidates: { entry: { text: string; tree: Tree }; prefix: number; suffix: number }[] = [];
    // Newest first: the texts of one hunk arrive together, so the first candidate is usually the one.
    for (const entry of [...this.cache.values()].reverse()) {
      if (entry.lang !== lang) continue;
      const [prefix, suffix] = commonEnds(entry.text, text);
      candidates.push({ entry, prefix, suffix });
      if (prefix + suffix >= text.length * 0.9) break;
    }
    if (candidates.length === 0) return null;
    candidates.sort((a, b) => b.prefix + b.suffix - (a.prefix + a.suffix));
    const best = candidates[0]!;
    const single = { entry: best.entry, edits: [spanEdit(best.entry.text, text, best.prefix, best.suffix)], changed: text.length - best.prefix - best.suffix };
    if (single.changed <= text.length * 0.1) return single;
    let pick = single;
    // A few candidates that look like another version of the same text (a shared start or end, a similar
    // length) get a line diff: a few ms on a large file, against ~150 ms for a full parse.
    let tries = 0;
    for (const c of candidates) {
      const old = c.entry.text;
      if (Math.max(c.prefix, c.suffix) < Math.min(64, text.length / 10) || old.length < text.length * 0.7 || old.length > text.length / 0.7) continue;
      if (++tries > 3) break;
      const edits = lineEdits(old, text, c.prefix, c.suffix);
      if (!edits) continue;
      const changed = edits.reduce((n, e) => n + e.newEndIndex - e.startIndex, 0);
      if (changed < pick.changed) pick = { entry: c.entry, edits, changed };
      if (pick.changed <= text.length * 0.1) break;
    }
    // Worth it only when most of the text is kept; otherwise a fresh parse is as fast and simpler.
    return pick.changed <= text.length / 2 ? pick : null;
  }

  /** Parses (or reuses a cached tree) and hands the root to `use`. */
  async withTree<T>(lang: LanguageId, text: string, use: (root: SyntaxNode) => T): Promise<T> {
    return use((await this.tree(lang, text)).rootNode);
  }

  dispose(): void {
    for (const t of this.cache.values()) t.tree.delete();
    this.cache.clear();
    this.cachedChars = 0;
    for (const p of this.parsers.values()) p.delete();
    this.parsers.clear();
  }
}

/** One edit replacing everything between the common prefix and the common suffix of `old` and `text`. */
function spanEdit(old: string, text: string, prefix: number, suffix: number): Parser.Edit {
  return {
    startIndex: prefix,
    oldEndIndex: old.length - suffix,
    newEndIndex: text.length - suffix,
    startPosition: pointAt(text, prefix),
    oldEndPosition: pointAt(old, old.length - suffix),
    newEndPosition: pointAt(text, text.length - suffix),
  };
}

/**
 * The edits from `old` to `text` as changed runs of whole lines (between the common prefix and suffix,
 * widened to line boundaries), last first: each is then given in the coordinates the tree has when it is
 * applied (everything before it still as in `old`). Null when the line diff is too large to compute here.
 */
export function lineEdits(old: string, text: string, prefix: number, suffix: number): Parser.Edit[] | null {
  const from = prefix === 0 ? 0 : old.lastIndexOf('\n', prefix - 1) + 1;
  // The first line start inside the shared tail: the same place in both texts, counted from their ends.
  const nl = old.indexOf('\n', old.length - suffix);
  const tail = nl < 0 ? 0 : old.length - (nl + 1);
  const a = splitLines(old.slice(from, old.length - tail));
  const b = splitLines(text.slice(from, text.length - tail));
  const idOf = lineInterner();
  // Past a couple of hundred changed lines a full parse is about as cheap as the diff.
  const changes = myers(Int32Array.from(a, idOf), Int32Array.from(b, idOf), { maxD: 200 });
  if (!changes) return null;
  const startsOf = (ls: string[]) => {
    const out = new Int32Array(ls.length + 1);
    for (let i = 0; i < ls.length; i++) out[i + 1] = out[i]! + ls[i]!.length;
    return out;
  };
  const [sa, sb] = [startsOf(a), startsOf(b)];
  const row0 = pointAt(old, from).row;
  // Where line k of a run begins; past the last line, the end of a last line without a newline.
  const point = (ls: string[], k: number, row: number): Parser.Point => {
    const last = ls[ls.length - 1];
    if (k < ls.length || last === undefined || last.endsWith('\n')) return { row, column: 0 };
    return { row: row - 1, column: last.length };
  };
  const edits: Parser.Edit[] = [];
  for (let i = changes.length - 1; i >= 0; i--) {
    const c = changes[i]!;
    const startIndex = from + sa[c.b1]!;
    const startRow = row0 + c.b1;
    edits.push({
      startIndex,
      oldEndIndex: from + sa[c.b2]!,
      newEndIndex: startIndex + sb[c.s2]! - sb[c.s1]!,
      startPosition: { row: startRow, column: 0 },
      oldEndPosition: point(a, c.b2, row0 + c.b2),
      newEndPosition: point(b, c.s2, startRow + c.s2 - c.s1),
    });
  }
  return edits;
}

/** Lengths of the common prefix and the common suffix of two texts (not overlapping in either). */
export function commonEnds(a: string, b: string): [number, number] {
  const max = Math.min(a.length, b.length);
  // Whole blocks first (string equality is a memory compare), then the characters of the block that differs.
  const BLOCK = 256;
  let prefix = 0;
  while (prefix + BLOCK <= max && a.slice(prefix, prefix + BLOCK) === b.slice(prefix, prefix + BLOCK)) prefix += BLOCK;
  while (prefix < max && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (suffix + BLOCK <= max - prefix && a.slice(a.length - suffix - BLOCK, a.length - suffix) === b.slice(b.length - suffix - BLOCK, b.length - suffix)) suffix += BLOCK;
  while (suffix < max - prefix && a.charCodeAt(a.length - 1 - suffix) === b.charCodeAt(b.length - 1 - suffix)) suffix++;
  return [prefix, suffix];
}

/** Row and column of a string index, in the UTF-16 code units web-tree-sitter counts in. */
export function pointAt(text: string, index: number): Parser.Point {
  let row = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) {
    row++;
    lineStart = i + 1;
  }
  return { row, column: index - lineStart };
}
