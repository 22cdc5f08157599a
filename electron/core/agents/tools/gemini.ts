import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { updateJsonFile } from './json-config.js';

/**
 * Gemini CLI (npm `@google/gemini-cli`) asks whether to trust each new folder and records the answer in
 * `~/.gemini/trustedFolders.json` (`{"<abs path>": "TRUST_FOLDER"}`): the worktree is added there, merged
 * with the user's entries.
 */
export function trustGeminiFolder(env: Record<string, string | undefined>, home: string, worktree: string): boolean {
  const dir = path.join(env.GEMINI_CLI_HOME ?? home, '.gemini');
  mkdirSync(dir, { recursive: true });
  return updateJsonFile(path.join(dir, 'trustedFolders.json'), (c) => {
    if (c[worktree] === 'TRUST_FOLDER') return false;
    c[worktree] = 'TRUST_FOLDER';
    return true;
  });
}
