import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRepoFormatter } from '../../../electron/core/conflicts/repo-formatter.js';
import { Resolver } from '../../../electron/core/conflicts/resolver.js';
import { REPO_ROOT } from '../../support/host-process.js';

/**
 * One side ran the repository's formatter over a line the other side changed. With that formatter (real
 * prettier, installed in the repository) the change comes out in the new layout and is applied; where that
 * cannot be verified it stays a proposal in the old layout.
 */
describe('the repository formatter lays out a change the other side kept in the old formatting (real prettier)', () => {
  const dirs: string[] = [];
  let resolver: Resolver;
  beforeAll(() => {
    resolver = new Resolver();
  });
  afterAll(() => {
    resolver.dispose();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** A checkout with this prettier config and prettier installed (linked from this project's node_modules). */
  const checkout = (config: Record<string, unknown>) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hive-fmt-'));
    dirs.push(dir);
    writeFileSync(path.join(dir, '.prettierrc'), JSON.stringify(config));
    mkdirSync(path.join(dir, 'node_modules', '.bin'), { recursive: true });
    symlinkSync(path.join(REPO_ROOT, 'node_modules', 'prettier', 'bin', 'prettier.cjs'), path.join(dir, 'node_modules', '.bin', 'prettier'));
    return dir;
  };

  const base = "export const limits = { alpha: 1, beta: 2, gamma: 3, delta: 4, epsilon: 5, zeta: 6, eta: 7, theta: 8 };\nexport const name = 'x';\n";
  const theirs = base.replace('gamma: 3', 'gamma: 30');

  it('applies the change in the formatter\'s layout when it is verified', async () => {
    const dir = checkout({ trailingComma: 'none', singleQuote: true });
    const formatter = findRepoFormatter(dir, dir)!;
    expect(formatter.name).toBe('prettier');
    const ours = (await formatter.format('src/limits.ts', base))!;
    expect(ours.split('\n').length).toBeGreaterThan(5);
    const r = await resolver.resolveFile({ path: 'src/limits.ts', base, ours, theirs }, { formatter });
    expect(r.status).toBe('resolved');
    expect(r.tier).toBe('applied');
    expect(r.merged).toBe(ours.replace('gamma: 3,', 'gamma: 30,'));
    expect(r.hunks[0]).toMatchObject({ strategy: 'reformat-one-side', situation: 'formatted' });
    expect(r.hunks[0]!.reason).toMatch(/laid out by the repository's prettier/);
  });

  it('stays a proposal in the old layout without a formatter, or when the formatter would change tokens', async () => {
    const dir = checkout({ trailingComma: 'none', singleQuote: true });
    const ours = (await findRepoFormatter(dir, dir)!.format('src/limits.ts', base))!;
    const without = await resolver.resolveFile({ path: 'src/limits.ts', base, ours, theirs });
    expect(without).toMatchObject({ status: 'escalated', tier: 'proposed' });
    expect(without.hunks[0]).toMatchObject({ situation: 'old-formatting' });
    expect(without.proposal).toContain('gamma: 30,');

    // A configuration that adds trailing commas changes tokens: nothing is laid out by it.
    const commas = findRepoFormatter(checkout({ trailingComma: 'all', singleQuote: true }), dirs[0]!)!;
    const r = await resolver.resolveFile({ path: 'src/limits.ts', base, ours, theirs }, { formatter: commas });
    expect(r).toMatchObject({ status: 'escalated', tier: 'proposed' });
    expect(r.hunks[0]).toMatchObject({ situation: 'old-formatting' });
  });

  it('finds no formatter where none is configured or installed', () => {
    const bare = mkdtempSync(path.join(os.tmpdir(), 'hive-fmt-'));
    dirs.push(bare);
    expect(findRepoFormatter(bare, bare)).toBeNull();
    writeFileSync(path.join(bare, '.prettierrc'), '{}');
    expect(findRepoFormatter(bare, bare)).toBeNull();
  });
});
