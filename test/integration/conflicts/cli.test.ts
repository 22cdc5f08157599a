import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConflictItem, ConflictSettings, ConflictSummary, MergeResult, PreflightReport } from '../../../shared/contract/conflicts.js';
import { makeGitRepo, tempDir } from '../../support/git-repo.js';
import { hive, hiveJson, startHostProcess, type HostProcess } from '../../support/host-process.js';
import { hasService } from '../../support/services.js';
import { TestRepo } from './git-fixture.js';

let dataDir: string;
let repo: string;
let host: HostProcess;

describe.skipIf(!hasService('git'))('hive conflicts / merge / intent through a real host', () => {
  beforeAll(async () => {
    dataDir = tempDir('hive-conflicts-cli-');
    repo = makeGitRepo({ 'src/lim.ts': 'export const limit = 1;\n' });
    host = await startHostProcess(dataDir);
    for (const name of ['a', 'b']) {
      const r = await hive(dataDir, ['agents', 'spawn', '--name', name, '--repo', repo, '--backend', 'process', '--cmd', 'sleep 600', '--task', `task ${name}`, '--json']);
      expect(r.code, r.stderr).toBe(0);
    }
  });

  afterAll(async () => {
    for (const name of ['a', 'b']) await hive(dataDir, ['agents', 'stop', name]);
    await host?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(repo, { recursive: true, force: true });
  });

  it('pre-flight → claim → merge → escalated → show → resolve with trailers', { timeout: 180_000 }, async () => {
    const wt = (name: string) => path.join(dataDir, 'worktrees', name);
    const a = new TestRepo(wt('a'));
    const b = new TestRepo(wt('b'));
    a.git('config', 'user.email', 'a@example.com');
    b.git('config', 'user.email', 'b@example.com');
    a.commit({ 'src/lim.ts': 'export const limit = 2;\n' }, 'a raises the limit');
    b.commit({ 'src/lim.ts': 'export const limit = 3;\n' }, 'b raises it more');
    // The hook installed at spawn added the trailers.
    expect(a.git('log', '-1', '--format=%B')).toContain('Hive-Agent: a');

    const claim = await hiveJson<{ overlaps: unknown[] }>(dataDir, ['intent', 'claim', 'src/lim.ts', '--agent', 'a', '--reason', 'limits']);
    expect(claim.overlaps).toEqual([]);
    const pre = await hiveJson<PreflightReport>(dataDir, ['conflicts', 'preflight']);
    expect(pre.pairs.find((p) => p.kind === 'agents')).toMatchObject({ a: 'a', b: 'b', files: [{ path: 'src/lim.ts' }] });

    expect((await hiveJson<MergeResult>(dataDir, ['merge', 'a'])).status).toBe('clean');
    // Files waiting for a person: exit code 2 (a script's `hive merge b && git push` stops), JSON still printed.
    const escalated = await hive(dataDir, ['merge', 'b', '--json']);
    expect(escalated.code).toBe(2);
    const m = JSON.parse(escalated.stdout) as MergeResult;
    expect(m.status).toBe('escalated');
    const [item] = await hiveJson<ConflictSummary[]>(dataDir, ['conflicts', 'list', '--status', 'escalated']);
    const shown = await hive(dataDir, ['conflicts', 'show', item!.id]);
    expect(shown.stdout).toContain('src/lim.ts');
    expect(shown.stdout).toContain('theirs: b');
    const full = await hiveJson<ConflictItem>(dataDir, ['conflicts', 'show', item!.id]);
    expect(full.intents.theirs.agent).toBe('b');

    const bad = await hive(dataDir, ['conflicts', 'resolve', item!.id]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--take');
    const done = await hiveJson<{ merge: MergeResult }>(dataDir, ['conflicts', 'resolve', item!.id, '--take', 'both']);
    expect(done.merge.status).toBe('resolved');
    const msg = execFileSync('git', ['log', '-1', '--format=%B', 'hive/integration/main'], { cwd: repo, encoding: 'utf8' });
    expect(msg).toContain('Hive-Resolution: src/lim.ts:');
    expect(execFileSync('git', ['show', 'hive/integration/main:src/lim.ts'], { cwd: repo, encoding: 'utf8' })).toBe('export const limit = 2;\nexport const limit = 3;\n');
    expect((await hiveJson<unknown[]>(dataDir, ['intent', 'list'])).length).toBe(1);
  });

  it('conflicts settings: a model detail alone changes that detail; without a model set it is refused', { timeout: 60_000 }, async () => {
    const refused = await hive(dataDir, ['conflicts', 'settings', '--llm-model', 'm1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/No language model is set: give --llm anthropic\|openai-compatible\|command/);
    await hiveJson(dataDir, ['conflicts', 'settings', '--llm', 'command', '--llm-command', '/bin/cat', '--llm-model', 'm1']);
    const changed = await hiveJson<ConflictSettings>(dataDir, ['conflicts', 'settings', '--llm-model', 'm2']);
    expect(changed.llm).toMatchObject({ kind: 'command', command: '/bin/cat', model: 'm2' });
    // The same kind again keeps its details; another kind starts from what is given.
    expect((await hiveJson<ConflictSettings>(dataDir, ['conflicts', 'settings', '--llm', 'command'])).llm).toMatchObject({ command: '/bin/cat', model: 'm2' });
    const other = await hiveJson<ConflictSettings>(dataDir, ['conflicts', 'settings', '--llm', 'openai-compatible', '--llm-url', 'http://127.0.0.1:9/v1', '--llm-model', 'x']);
    expect(other.llm).toMatchObject({ kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1', model: 'x' });
    expect(other.llm).not.toHaveProperty('command');
    expect((await hive(dataDir, ['conflicts', 'settings', '--llm', 'off', '--llm-model', 'y'])).code).toBe(1);
    expect((await hiveJson<ConflictSettings>(dataDir, ['conflicts', 'settings', '--llm', 'off'])).llm).toBeNull();
  });

  it('replay runs without a host on any repository and prints the report as JSON', { timeout: 60_000 }, async () => {
    const r = new TestRepo();
    r.commit({ 'x.json': '{\n  "a": 1\n}\n' }, 'base');
    r.git('checkout', '-q', '-b', 'f');
    r.commit({ 'x.json': '{\n  "a": 1,\n  "c": 3\n}\n' }, 'f');
    r.git('checkout', '-q', 'main');
    r.commit({ 'x.json': '{\n  "a": 1,\n  "b": 2\n}\n' }, 'm');
    r.merge('f', { 'x.json': '{\n  "a": 1,\n  "b": 2,\n  "c": 3\n}\n' });
    const out = await hive(tempDir('hive-nodata-'), ['conflicts', 'replay', '--repo', r.dir, '--json']);
    expect(out.code, out.stderr).toBe(0);
    const report = JSON.parse(out.stdout) as { mergesScanned: number; outcomes: Record<string, number>; classes: Record<string, unknown>; byStrategy: Record<string, unknown>; baseline: unknown; noiseFloor: number };
    expect(report.mergesScanned).toBe(1);
    expect(report.classes).toEqual({
      applied: { files: 0, exact: 0, formatEquivalent: 0, orderEquivalent: 0, humanEdited: 0, wrong: 0 },
      proposed: { files: 1, exact: 1, formatEquivalent: 0, orderEquivalent: 0, humanEdited: 0, wrong: 0 },
      escalated: 0,
    });
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['mergesScanned', 'conflictingMerges', 'files', 'hunks', 'outcomes', 'classes', 'byStrategy', 'baseline', 'noiseFloor']));
    expect(out.stderr).toBe('');
    rmSync(r.dir, { recursive: true, force: true });
  });
});
