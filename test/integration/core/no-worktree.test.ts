import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeCore, type CoreFixture } from '../../support/core-fixture.js';

describe('an agent without a worktree (imported, or its folder deleted) — real SQLite', () => {
  let f: CoreFixture | undefined;
  afterEach(async () => {
    await f?.cleanup();
    f = undefined;
  });

  it('wake refuses with a clear error, goes to errored, and writes nothing into the host working directory', async () => {
    f = await makeCore({ backends: {} }, false);
    const { core } = f;
    core.repo.insert({
      name: 'imported', role: '', task: 't', status: 'sleeping', backend: 'process', preset: 'custom', command: 'true',
      repo: f.repo, worktree: '', branch: 'hive/imported', createdAt: new Date().toISOString(), sleepMode: 'snapshot', image: null, policy: {}, options: {},
    });
    const data = Buffer.from('remember this');
    const rel = `.hive/memory/probe-${process.pid}-${Date.now()}.md`;
    core.snapshots.save({
      version: 1, agent: 'imported', type: 'sleep', createdAt: new Date().toISOString(), task: 't', role: '', outputTail: '',
      memoryFiles: [{ path: rel, contentBase64: data.toString('base64'), sha256: createHash('sha256').update(data).digest('hex') }],
      git: null, sessionId: null, workingMemory: {}, pendingMessages: [], notes: '',
    });
    // The process backend is the only one this core has; give it one so the wake reaches the launch.
    const { ProcessBackend } = await import('../../../electron/core/supervisor/process-backend.js');
    (core.backends as Record<string, unknown>).process = new ProcessBackend(f.dataDir, core.clock);
    await expect(core.agents.wake('imported', 'test')).rejects.toMatchObject({ code: 'SPAWN_FAILED', message: expect.stringContaining('has no worktree') });
    expect(core.repo.get('imported').status).toBe('errored');
    expect(core.repo.get('imported').lastError).toContain('has no worktree');
    expect(existsSync(path.join(process.cwd(), rel))).toBe(false);
  });
});
