import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { makeCore, type CoreFixture } from '../../support/core-fixture.js';
import { waitFor } from '../../support/host-process.js';
import { hasService } from '../../support/services.js';

describe.skipIf(!hasService('tmux'))('HiveCore wires bus pane delivery to the tmux backend (real tmux)', () => {
  let f: CoreFixture | undefined;
  afterEach(async () => {
    await f?.cleanup();
    f = undefined;
  });

  it('types a message into an opted-in agent pane and acknowledges it; a removed agent loses its queue', async () => {
    f = await makeCore();
    const { core, repo } = f;
    // `cat` echoes what is typed, so the log shows the delivered line.
    await core.agents.spawn({ name: 'reader', repo, role: '', task: '', backend: 'tmux', preset: 'custom', cmd: 'cat' }, 'test');
    core.bus.setPaneDelivery('reader', true);
    await core.bus.send({ from: 'lead', to: 'reader', body: 'please review PR 7' });
    const log = core.agents.logPath('reader');
    await waitFor(() => readFileSync(log, 'utf8').includes('please review PR 7'), 10_000, 100, 'the message in the pane');
    await waitFor(async () => (await core.bus.inbox('reader', { ack: false })).length === 0, 5000, 100, 'the message acknowledged');

    await core.agents.stop('reader', 'test');
    await core.bus.send({ from: 'lead', to: 'reader', body: 'are you there?' });
    expect((await core.bus.inbox('reader', { ack: false })).map((m) => m.body)).toEqual(['are you there?']);
    await core.agents.remove('reader', true, 'test');
    await waitFor(async () => (await core.bus.inbox('reader', { ack: false })).length === 0, 5000, 100, 'the queue closed on removal');
  });
});
