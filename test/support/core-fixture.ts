import { rmSync } from 'node:fs';
import { HiveCore, type CoreOptions } from '../../electron/core/hive-core.js';
import { TmuxBackend } from '../../electron/core/supervisor/tmux-backend.js';
import { makeGitRepo, tempDir } from './git-repo.js';

export interface CoreFixture {
  core: HiveCore;
  dataDir: string;
  repo: string;
  /** Disposes the core, kills this data dir's tmux server and every agent process, removes temp dirs. */
  cleanup(): Promise<void>;
}

/** A real core on a temp data dir (its own tmux server) and a temp git repo. */
export async function makeCore(opts: Partial<CoreOptions> = {}, start = true): Promise<CoreFixture> {
  const dataDir = opts.dataDir ?? tempDir('hive-data-');
  const repo = makeGitRepo();
  const core = new HiveCore({ dataDir, checkIntervalMs: 250, ...opts });
  if (start) await core.start();
  return {
    core,
    dataDir,
    repo,
    cleanup: async () => {
      const pids = core.repo.list().map((a) => a.pid).filter((p): p is number => !!p);
      const tmux = core.backends.tmux;
      await core.dispose();
      if (tmux instanceof TmuxBackend) await tmux.killServer();
      for (const pid of pids) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {}
      }
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(repo, { recursive: true, force: true });
    },
  };
}
