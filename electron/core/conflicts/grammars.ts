import { createRequire } from 'node:module';
import path from 'node:path';
import Parser from 'web-tree-sitter';

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

  // The strategies and the gate parse the same few texts of one file: keep the last trees (LRU).
  private readonly cache = new Map<string, { lang: LanguageId; text: string; tree: Tree }>();
  private static readonly CACHE_SIZE = 12;

  /**
   * A parsed tree owned by the cache: valid until CACHE_SIZE other texts were parsed; never delete it.
   *
   * The texts of one hunk are the same file with a few lines changed (base, ours, theirs, the merge), so a
   * new text is parsed incrementally from the cached tree of the same language that shares the most of it:
   * that tree is copied, told what changed (one edit spanning the texts' common prefix and suffix) and
   * handed to tree-sitter, which reuses every subtree outside the edit. A whole 440-line TypeScript file
   * takes ~10 ms to parse here (wasm), the incremental parse ~1 ms. The result is the tree a full parse gives.
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
        old.edit(from.edit);
        tree = parser.parse(text, old);
      } finally {
        old.delete();
      }
    } else {
      tree = parser.parse(text);
    }
    this.cache.set(key, { lang, text, tree });
    if (this.cache.size > Grammars.CACHE_SIZE) {
      const [oldKey, old] = this.cache.entries().next().value as [string, { tree: Tree }];
      this.cache.delete(oldKey);
      old.tree.delete();
    }
    return tree;
  }

  /** The cached tree of `lang` whose text differs least from `text` (common prefix + suffix), as an edit. */
  private nearest(lang: LanguageId, text: string): { entry: { text: string; tree: Tree }; edit: Parser.Edit } | null {
    let best: { entry: { text: string; tree: Tree }; prefix: number; suffix: number } | null = null;
    // Newest first: the texts of one hunk arrive together, so the first candidate is usually the one.
    for (const entry of [...this.cache.values()].reverse()) {
      if (entry.lang !== lang) continue;
      const [prefix, suffix] = commonEnds(entry.text, text);
      if (!best || prefix + suffix > best.prefix + best.suffix) best = { entry, prefix, suffix };
      if (prefix + suffix >= text.length * 0.9) break;
    }
    // Worth it only when most of the text is shared; otherwise a fresh parse is as fast and simpler.
    if (!best || best.prefix + best.suffix < text.length / 2) return null;
    const oldText = best.entry.text;
    return {
      entry: best.entry,
      edit: {
        startIndex: best.prefix,
        oldEndIndex: oldText.length - best.suffix,
        newEndIndex: text.length - best.suffix,
        startPosition: pointAt(text, best.prefix),
        oldEndPosition: pointAt(oldText, oldText.length - best.suffix),
        newEndPosition: pointAt(text, text.length - best.suffix),
      },
    };
  }

  /** Parses (or reuses a cached tree) and hands the root to `use`. */
  async withTree<T>(lang: LanguageId, text: string, use: (root: SyntaxNode) => T): Promise<T> {
    return use((await this.tree(lang, text)).rootNode);
  }

  dispose(): void {
    for (const t of this.cache.values()) t.tree.delete();
    this.cache.clear();
    for (const p of this.parsers.values()) p.delete();
    this.parsers.clear();
  }
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
