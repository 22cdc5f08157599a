import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dockerHeldByAnother } from './docker-engine-lock.js';

/**
 * Services the integration tests need. In CI a missing service fails the test run; elsewhere the tests
 * skip with a loud message naming the package to install.
 */
export type Service = 'tmux' | 'redis-server' | 'chromium' | 'docker' | 'git' | 'agent-clis' | 'prometheus';

const INSTALL: Record<Service, string> = {
  tmux: 'apt-get install tmux',
  'redis-server': 'apt-get install redis-server',
  chromium: 'apt-get install chromium',
  docker: 'apt-get install docker.io, then start dockerd',
  git: 'apt-get install git',
  'agent-clis': 'run scripts/install-agent-clis.sh (the real claude, codex and gemini CLIs, pinned)',
  prometheus: 'apt-get install prometheus (the server and promtool)',
};

/** Where scripts/install-agent-clis.sh puts the real agent CLIs. */
export function agentClisBin(): string {
  return process.env.HIVE_AGENT_CLIS_BIN ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '.agent-clis', 'node_modules', '.bin');
}

function probe(service: Service): boolean {
  try {
    switch (service) {
      case 'tmux':
        execFileSync('tmux', ['-V'], { stdio: 'ignore' });
        return true;
      case 'redis-server':
        execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
        return true;
      case 'chromium':
        return existsSync(chromiumPath());
      case 'docker':
        return dockerAnswers();
      case 'git':
        execFileSync('git', ['--version'], { stdio: 'ignore' });
        return true;
      case 'prometheus':
        execFileSync('prometheus', ['--version'], { stdio: 'ignore' });
        execFileSync('promtool', ['--version'], { stdio: 'ignore' });
        return true;
      case 'agent-clis':
        return ['claude', 'codex', 'gemini'].every((c) => existsSync(path.join(agentClisBin(), c)));
    }
  } catch {
    return false;
  }
}

/**
 * `docker info` answers. While another test file holds the engine to itself it may be restarting dockerd
 * (docker-backend.test.ts kills it on purpose): a file collected just then waited for nothing and failed
 * the run with "docker is not available" (seen once in a fresh-clone run). So: asked again until the
 * holder lets go (at most 3 minutes), and a few times more for an engine that is still starting.
 */
function dockerAnswers(): boolean {
  const end = Date.now() + 180_000;
  let lastTries = 3;
  for (;;) {
    try {
      execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 10_000 });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || Date.now() > end) return false;
      if (!dockerHeldByAnother() && --lastTries <= 0) return false;
      execFileSync('sleep', ['1']);
    }
  }
}

export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
}

/**
 * True when the service is present. When it is not: throws in CI (so the suite fails), otherwise warns loudly
 * and returns false so the caller can `describe.skipIf(!has)`.
 */
export function hasService(service: Service): boolean {
  if (probe(service)) return true;
  const msg = `[agent-hive tests] ${service} is not available: ${INSTALL[service]}.`;
  if (process.env.CI) throw new Error(`${msg} CI must provide it (see .ci/run).`);
  console.warn(`\n!!!! ${msg} Skipping the tests that need it. !!!!\n`);
  return false;
}
