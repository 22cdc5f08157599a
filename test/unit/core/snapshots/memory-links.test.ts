import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectMemoryFiles, restoreMemoryFiles } from '../../../../electron/core/snapshots/context.js';
import { tempDir } from '../../../support/git-repo.js';

/**
 * An agent controls its worktree: symbolic links there must never make the host read or write its own
 * files through a snapshot (real files and links).
 */
describe('memory files and symbolic links', () => {
  let worktree: string;
  let host: string;
  beforeEach(() => {
    worktree = tempDir('hive-links-wt-');
    host = tempDir('hive-links-host-');
    writeFileSync(path.join(host, 'credentials'), 'aws_secret_access_key = SECRET\n');
  });
  afterEach(() => {
    rmSync(worktree, { recursive: true, force: true });
    rmSync(host, { recursive: true, force: true });
  });

  const file = (p: string, text: string) => ({ path: p, contentBase64: Buffer.from(text).toString('base64'), sha256: createHash('sha256').update(text).digest('hex') });

  it("a snapshot does not take the host's files through a linked CLAUDE.md or a linked .hive/memory", () => {
    symlinkSync(path.join(host, 'credentials'), path.join(worktree, 'CLAUDE.md'));
    mkdirSync(path.join(worktree, '.hive'));
    symlinkSync(host, path.join(worktree, '.hive', 'memory'));
    expect(collectMemoryFiles(worktree)).toEqual([]);
    // A real file and folder are still taken.
    rmSync(path.join(worktree, '.hive', 'memory'));
    mkdirSync(path.join(worktree, '.hive', 'memory'));
    writeFileSync(path.join(worktree, '.hive', 'memory', 'notes.md'), 'real\n');
    expect(collectMemoryFiles(worktree).map((f) => f.path)).toEqual([path.join('.hive', 'memory', 'notes.md')]);
  });

  it('a restore never writes through a linked folder or a planted temporary file, and nothing is written at all then', () => {
    mkdirSync(path.join(worktree, '.hive'));
    symlinkSync(host, path.join(worktree, '.hive', 'memory'));
    expect(() => restoreMemoryFiles(worktree, [file('.hive/memory/authorized_keys', 'ssh-ed25519 attacker\n')])).toThrow(/\.hive\/memory in .* is a symbolic link; memory files are never written through one/);
    expect(existsSync(path.join(host, 'authorized_keys'))).toBe(false);

    // A link planted where the temporary file goes, and a link at the target itself: the file is written
    // as a real file in the worktree, the host's file untouched.
    rmSync(path.join(worktree, '.hive', 'memory'));
    mkdirSync(path.join(worktree, '.hive', 'memory'));
    symlinkSync(path.join(host, 'credentials'), path.join(worktree, '.hive', 'memory', 'notes.md.hive-tmp'));
    symlinkSync(path.join(host, 'credentials'), path.join(worktree, 'CLAUDE.md'));
    expect(restoreMemoryFiles(worktree, [file('.hive/memory/notes.md', 'notes\n'), file('CLAUDE.md', 'memory\n')])).toBe(2);
    expect(readFileSync(path.join(host, 'credentials'), 'utf8')).toBe('aws_secret_access_key = SECRET\n');
    expect(readFileSync(path.join(worktree, '.hive', 'memory', 'notes.md'), 'utf8')).toBe('notes\n');
    expect(readFileSync(path.join(worktree, 'CLAUDE.md'), 'utf8')).toBe('memory\n');
  });

  it('a corrupt file anywhere in a snapshot: nothing is restored, not even the files before it', () => {
    const bad = { ...file('.hive/memory/b.md', 'b\n'), sha256: '0'.repeat(64) };
    expect(() => restoreMemoryFiles(worktree, [file('.hive/memory/a.md', 'a\n'), bad])).toThrow(/does not match its checksum/);
    expect(existsSync(path.join(worktree, '.hive', 'memory', 'a.md'))).toBe(false);
  });
});
