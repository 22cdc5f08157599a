import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { run } from '../ports/exec.js';

/** The formatter a repository configures, found installed, run on one file's text through stdin. */
export interface RepoFormatter {
  readonly name: 'prettier' | 'biome' | 'dprint';
  /** The text as the formatter lays it out; null when it refuses (a syntax error, a file type it skips). */
  format(file: string, text: string): Promise<string | null>;
}

const PRETTIER_CONFIGS = ['.prettierrc', '.prettierrc.json', '.prettierrc.yaml', '.prettierrc.yml', '.prettierrc.json5', '.prettierrc.js', '.prettierrc.cjs', '.prettierrc.mjs', '.prettierrc.toml', 'prettier.config.js', 'prettier.config.cjs', 'prettier.config.mjs'];

function configures(worktree: string, name: RepoFormatter['name']): boolean {
  const has = (f: string) => existsSync(path.join(worktree, f));
  if (name === 'biome') return has('biome.json') || has('biome.jsonc');
  if (name === 'dprint') return has('dprint.json') || has('.dprint.json');
  if (PRETTIER_CONFIGS.some(has)) return true;
  try {
    return 'prettier' in (JSON.parse(readFileSync(path.join(worktree, 'package.json'), 'utf8')) as Record<string, unknown>);
  } catch {
    return false;
  }
}

/** The formatter's binary in the integration worktree, else in the repository's own checkout (where `npm install` ran). */
function binary(name: string, dirs: string[]): string | null {
  for (const d of dirs) {
    const p = path.join(d, 'node_modules', '.bin', name);
    if (existsSync(p)) return p;
  }
  return null;
}

/**
 * The repository's formatter (prettier, biome or dprint: configured in the worktree and installed), or null.
 * It always runs with the integration worktree as its directory, so the repository's own configuration decides
 * the layout. Every call is an argument array; the file's text goes through stdin.
 */
export function findRepoFormatter(worktree: string, repo: string): RepoFormatter | null {
  for (const name of ['prettier', 'biome', 'dprint'] as const) {
    if (!configures(worktree, name)) continue;
    const bin = binary(name, [worktree, repo]);
    if (!bin) continue;
    const argv = (file: string): string[] =>
      name === 'prettier' ? ['--stdin-filepath', file] : name === 'biome' ? ['format', `--stdin-file-path=${file}`] : ['fmt', '--stdin', file];
    return {
      name,
      async format(file, text) {
        const r = await run(bin, argv(file), { cwd: worktree, input: text, allowFailure: true, timeoutMs: 30_000 });
        return r.code === 0 && r.stdout.length > 0 ? r.stdout : null;
      },
    };
  }
  return null;
}
