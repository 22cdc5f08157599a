import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpawnRequest, type BackendKind } from '../../../shared/contract/agents.js';
import { HiveError } from '../../../shared/errors.js';
import { makeCore, type CoreFixture } from '../../support/core-fixture.js';
import { hasService } from '../../support/services.js';
import { killAgentProcesses, pidRunning, sha256 } from './agent-procs.js';

const backends: { kind: BackendKind; has: boolean }[] = [
  { kind: 'process', has: true },
  { kind: 'tmux', has: hasService('tmux') },
];

/** Memory files of every kind: binary (all 256 byte values, NULs, CRLF), UTF-8, nested, empty, top level. */
function writeMemory(worktree: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>([
    ['.hive/memory/binary.bin', Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(4096)])],
    ['.hive/memory/notes.md', Buffer.from('# Notes\r\nline with CRLF\r\nünïcödé ✓ 🐝\n\ttabbed\n')],
    ['.hive/memory/deep/nested/plan.json', Buffer.from(JSON.stringify({ step: 3, todo: ['a', 'b'] }))],
    ['.hive/memory/empty.txt', Buffer.alloc(0)],
    ['CLAUDE.md', Buffer.from('# Project memory\nAlways run the tests.\n')],
    ['AGENTS.md', Buffer.from('agents file\n')],
  ]);
  for (const [rel, buf] of files) {
    mkdirSync(path.dirname(path.join(worktree, rel)), { recursive: true });
    writeFileSync(path.join(worktree, rel), buf);
  }
  return files;
}

for (const { kind, has } of backends) {
  describe.skipIf(!has)(`memory snapshots on the ${kind} backend`, () => {
    let f: CoreFixture;
    beforeEach(async () => {
      f = await makeCore();
    });
    afterEach(async () => {
      killAgentProcesses(f.dataDir);
      await f.cleanup();
    });

    const spawn = (name: string) =>
      f.core.agents.spawn(SpawnRequest.parse({ name, repo: f.repo, backend: kind, preset: 'custom', cmd: 'while :; do sleep 0.2; done' }), 'test');

    it('wake restores every memory file byte-for-byte after they were deleted or altered', async () => {
      const { core } = f;
      const agent = await spawn('mem');
      const original = writeMemory(agent.worktree);
      await core.agents.sleep('mem', 'test');
      const snap = core.snapshots.read(core.snapshots.list('mem')[0]!.id).contents;
      expect(snap.memoryFiles.map((m) => m.path).sort()).toEqual([...original.keys()].sort());

      // While asleep: delete some, alter others (same length and different length), wipe a folder.
      rmSync(path.join(agent.worktree, '.hive/memory/binary.bin'));
      rmSync(path.join(agent.worktree, '.hive/memory/deep'), { recursive: true });
      rmSync(path.join(agent.worktree, 'CLAUDE.md'));
      writeFileSync(path.join(agent.worktree, '.hive/memory/notes.md'), 'overwritten');
      writeFileSync(path.join(agent.worktree, 'AGENTS.md'), 'AGENTS FILE\n');
      writeFileSync(path.join(agent.worktree, '.hive/memory/empty.txt'), 'not empty any more');

      const woken = await core.agents.wake('mem', 'test');
      expect(woken.status).toBe('running');
      for (const [rel, buf] of original) {
        const got = readFileSync(path.join(agent.worktree, rel));
        expect(got.equals(buf), rel).toBe(true);
        expect(sha256(got)).toBe(sha256(buf));
        expect(sha256(got)).toBe(snap.memoryFiles.find((m) => m.path === rel)!.sha256);
      }
      // No temp files are left next to the restored ones.
      expect(readdirSync(path.join(agent.worktree, '.hive/memory'), { recursive: true }).some((p) => String(p).includes('hive-tmp'))).toBe(false);
      // The agent learns where its resume context is.
      expect(existsSync(path.join(f.dataDir, 'run', 'mem.resume.md'))).toBe(true);
    }, 90_000);

    it('a corrupt snapshot is refused on wake: SNAPSHOT_CORRUPT names the previous good one, nothing starts or is restored', async () => {
      const { core } = f;
      const agent = await spawn('corrupt');
      const original = writeMemory(agent.worktree);
      const good = await core.agents.checkpoint('corrupt', 'before sleep', 'test');
      writeFileSync(path.join(agent.worktree, '.hive/memory/notes.md'), 'changed after the checkpoint\n');
      await core.agents.sleep('corrupt', 'test');
      const newest = core.snapshots.list('corrupt')[0]!;
      expect(newest.type).toBe('sleep');
      expect(newest.sha256).not.toBe(good.sha256);

      // Flip one byte of the newest blob on disk.
      const blob = path.join(f.dataDir, 'snapshots', newest.sha256.slice(0, 2), `${newest.sha256}.snap.gz`);
      const bytes = readFileSync(blob);
      bytes[Math.floor(bytes.length / 2)] ^= 0x01;
      writeFileSync(blob, bytes);

      rmSync(path.join(agent.worktree, '.hive/memory/binary.bin'));
      const eventsBefore = core.events.list({ agent: 'corrupt', limit: 1000 }).length;
      let err: HiveError | undefined;
      try {
        await core.agents.wake('corrupt', 'test');
      } catch (e) {
        err = e as HiveError;
      }
      expect(err).toBeInstanceOf(HiveError);
      expect(err!.code).toBe('SNAPSHOT_CORRUPT');
      expect(err!.message).toContain(newest.id);
      expect(err!.message).toContain(good.id);

      // Not started: still sleeping, no process, no new events, nothing restored from it.
      const after = core.agents.get('corrupt');
      expect(after.status).toBe('sleeping');
      expect(after.pid).toBeNull();
      expect(await core.backends[kind]!.isAlive('corrupt')).toBe(false);
      expect(core.events.list({ agent: 'corrupt', limit: 1000 }).length).toBe(eventsBefore);
      expect(existsSync(path.join(agent.worktree, '.hive/memory/binary.bin'))).toBe(false);
      // The corrupt blob is kept for inspection, not deleted or "repaired".
      expect(readFileSync(blob).equals(bytes)).toBe(true);

      // The named good snapshot restores the memory as it was at the checkpoint ...
      const r = await core.agents.restoreSnapshot(good.id, 'test');
      expect(r.restoredFiles).toBe(original.size);
      for (const [rel, buf] of original) expect(readFileSync(path.join(agent.worktree, rel)).equals(buf), rel).toBe(true);
      expect(pidRunning(after.pid)).toBe(false);
      // ... and becomes the newest snapshot, so wake now resumes from it (no dead end).
      expect(core.snapshots.list('corrupt')[0]).toMatchObject({ type: 'checkpoint', note: `restored from ${good.id}` });
      rmSync(path.join(agent.worktree, '.hive/memory/notes.md'));
      const woken = await core.agents.wake('corrupt', 'test');
      expect(woken.status).toBe('running');
      expect(readFileSync(path.join(agent.worktree, '.hive/memory/notes.md')).equals(original.get('.hive/memory/notes.md')!)).toBe(true);
    }, 90_000);
  });
}
