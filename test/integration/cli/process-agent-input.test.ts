import { readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeGitRepo, tempDir } from '../../support/git-repo.js';
import { hive, hiveJson, startHostProcess, waitFor, type HostProcess } from '../../support/host-process.js';
import { killAgentProcesses } from '../core/agent-procs.js';

/**
 * A process-backend agent reads its input through a named pipe it holds open itself: input typed from the
 * CLI reaches it, stopping the host does not hand it end-of-file (an agent reading stdin would quit), and
 * the next host, which adopts it, can type into it too.
 */
describe('input to a process agent across a host restart (real hosts, real named pipe)', () => {
  const dataDir = tempDir('hive-pinput-');
  const repo = makeGitRepo();
  let host: HostProcess | undefined;
  afterAll(async () => {
    await host?.stop();
    killAgentProcesses(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(repo, { recursive: true, force: true });
  });

  const log = () => {
    try {
      return readFileSync(path.join(dataDir, 'logs', 'reader.log'), 'utf8');
    } catch {
      return '';
    }
  };
  const pidOf = async () => (await hiveJson<{ name: string; pid: number | null; status: string }[]>(dataDir, ['agents', 'list'])).find((a) => a.name === 'reader')!;

  it('types into the agent, keeps it alive when the host stops, and types into it again from the next host', async () => {
    host = await startHostProcess(dataDir);
    await hiveJson(dataDir, ['agents', 'spawn', '--name', 'reader', '--repo', repo, '--backend', 'process', '--cmd', 'while read -r line; do echo "got:$line"; done; echo STDIN-CLOSED']);
    await waitFor(async () => (await pidOf()).status === 'running', 15_000, 100, 'running');
    const first = await pidOf();
    expect(statSync(path.join(dataDir, 'run', 'reader.stdin')).isFIFO()).toBe(true);
    expect(statSync(path.join(dataDir, 'run', 'reader.stdin')).mode & 0o777).toBe(0o600);

    const sent = await hive(dataDir, ['agents', 'send', 'reader', 'hello; $(touch /tmp/never) `x`']);
    expect(sent.code, sent.stderr).toBe(0);
    await waitFor(() => log().includes('got:hello; $(touch /tmp/never) `x`'), 10_000, 50, 'the first line in the log');

    await host.stop();
    await new Promise((r) => setTimeout(r, 700));
    expect(log()).not.toContain('STDIN-CLOSED');
    expect(() => process.kill(first.pid!, 0)).not.toThrow();

    host = await startHostProcess(dataDir);
    await waitFor(async () => (await pidOf()).status === 'running', 15_000, 100, 'adopted');
    expect((await pidOf()).pid).toBe(first.pid);
    const again = await hive(dataDir, ['agents', 'send', 'reader', 'after restart']);
    expect(again.code, again.stderr).toBe(0);
    await waitFor(() => log().includes('got:after restart'), 10_000, 50, 'the second line in the log');
    expect(log()).not.toContain('STDIN-CLOSED');
    await hive(dataDir, ['agents', 'stop', 'reader']);
  }, 120_000);
});
