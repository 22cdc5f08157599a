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
  private readonly cache = new Map<string, Tree>();
  private static readonly CACHE_SIZE = 12;

  /** A parsed tree owned by the cache: valid until CACHE_SIZE other texts were parsed; never delete it. */
  async tree(lang: LanguageId, text: string): Promise<Tree> {
    const key = `${lang}\u0000${text}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const tree = (await this.parser(lang)).parse(text);
    this.cache.set(key, tree);
    if (this.cache.size > Grammars.CACHE_SIZE) {
      const [oldKey, old] = this.cache.entries().next().value as [string, Tree];
      this.cache.delete(oldKey);
      old.delete();
    }
    return tree;
  }

  /** Parses (or reuses a cached tree) and hands the root to `use`. */
  async withTree<T>(lang: LanguageId, text: string, use: (root: SyntaxNode) => T): Promise<T> {
    return use((await this.tree(lang, text)).rootNode);
  }

  dispose(): void {
    for (const t of this.cache.values()) t.delete();
    this.cache.clear();
    for (const p of this.parsers.values()) p.delete();
    this.parsers.clear();
  }
}
