import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpawnRequest } from '../../../shared/contract/agents.js';
import { makeCore, type CoreFixture } from '../../support/core-fixture.js';
import { waitFor } from '../../support/host-process.js';
import { hasService } from '../../support/services.js';
import { killAgentProcesses, readText } from './agent-procs.js';

const MARK = `/tmp/pwned-${randomBytes(6).toString('hex')}`;

/** Text typed into an agent reaches it exactly: tmux's ";" separator and shell syntax stay plain text. */
describe.skipIf(!hasService('tmux'))('agents:input on the tmux backend', () => {
  let f: CoreFixture;
  beforeEach(async () => {
    f = await makeCore();
  });
  afterEach(async () => {
    killAgentProcesses(f.dataDir);
    await f.cleanup();
    expect(existsSync(MARK)).toBe(false);
  });

  it('types shell and tmux syntax verbatim, with Enter, and it is never executed', async () => {
    // `cat -v` echoes each line back: the log then holds what the terminal received.
    await f.core.agents.spawn(SpawnRequest.parse({ name: 'echo', repo: f.repo, backend: 'tmux', preset: 'custom', cmd: 'cat -v' }), 'test');
    const texts = ['ends with semicolon;', `x $(touch ${MARK}) \`touch ${MARK}\` ; y`, 'two;;', '\\;', `'"; touch ${MARK}; echo "'`];
    const lines = () => readText(f.core.agents.logPath('echo')).split(/\r?\n/);
    for (const t of texts) {
      expect((await f.core.agents.input('echo', t, true, 'test')).attempts).toBeGreaterThanOrEqual(2);
      // The terminal's echo and cat's answer share one output stream: typing the next text before cat has
      // answered this one (cat starved of CPU on a loaded machine) interleaves them into one line, and then
      // neither line is found whole — a flake of the test, not of the input (the input only knows Enter took).
      await waitFor(() => lines().filter((l) => l === t).length >= 2, 20_000, 20, `${JSON.stringify(t)} typed and echoed back by cat`);
    }
    const inputs = f.core.events.list({ agent: 'echo', limit: 100 }).filter((e) => e.kind === 'input');
    expect(inputs).toHaveLength(texts.length);
  }, 60_000);
});
