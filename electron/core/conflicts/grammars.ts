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

  /** Parses, hands the tree to `use`, and frees the tree's wasm memory afterwards. */
  async withTree<T>(lang: LanguageId, text: string, use: (root: SyntaxNode) => T): Promise<T> {
    const parser = await this.parser(lang);
    const tree = parser.parse(text);
    try {
      return use(tree.rootNode);
    } finally {
      tree.delete();
    }
  }

  dispose(): void {
    for (const p of this.parsers.values()) p.delete();
    this.parsers.clear();
  }
}
