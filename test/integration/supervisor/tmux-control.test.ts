import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CONTROL_SESSION, TmuxControlClient, controlLine, tmuxQuote } from '../../../electron/core/supervisor/tmux-control.js';
import { tempDir } from '../../support/git-repo.js';
import { waitFor } from '../../support/host-process.js';
import { hasService } from '../../support/services.js';

const MARK = `/tmp/pwned-${randomBytes(6).toString('hex')}`;
/** Strings that tmux's command parser, a shell or the control protocol could take for syntax. */
const NASTY = [
  '',
  'plain',
  'a b  c',
  'trailing;',
  ';',
  '\\;',
  'x ; kill-server',
  '" ; kill-server ; "',
  "' ; kill-server ; '",
  '$HOME ${HOME} $(touch MARK) `touch MARK`',
  '#{pane_pid} #{q:@x} ## #',
  '~ ~root %if 1 %endif { } {',
  'back\\slash \\n \\u0041 \\101 \\',
  'line one\nline two\r\n%end 1 2 1\n%exit',
  'tab\there \u0001 \u001b[31m \u007f',
  'ünïcødé ✓ 🐝',
].map((s) => s.replaceAll('MARK', MARK));

describe('tmuxQuote (no tmux needed)', () => {
  it('makes one double-quoted token with no raw control character, newline or unescaped quote, dollar or backslash', () => {
    for (const s of NASTY) {
      const q = tmuxQuote(s);
      expect(q.startsWith('"') && q.endsWith('"')).toBe(true);
      const inner = q.slice(1, -1);
      expect([...inner].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)).toBe(false);
      // Every ", $, ~ and \ inside is preceded by an escaping backslash.
      expect(inner.replace(/\\[\\"$~]|\\[0-3][0-7]{2}/g, '')).not.toMatch(/["$~\\]/);
    }
    expect(controlLine([['a', 'b;'], ['c']])).toBe('"a" "b;" ; "c"');
  });
});

describe.skipIf(!hasService('tmux'))('TmuxControlClient against a real tmux server', () => {
  const socket = `hive-ctl-test-${process.pid}-${randomBytes(3).toString('hex')}`;
  let client: TmuxControlClient | null = null;
  let dir = '';
  afterEach(() => {
    client?.dispose();
    client = null;
    try {
      execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
    } catch {}
    if (dir) rmSync(dir, { recursive: true, force: true });
    expect(existsSync(MARK)).toBe(false);
  });

  it('answers in order, with each command list stopped at its first failing command', async () => {
    client = new TmuxControlClient(['-L', socket, '-f', '/dev/null']);
    await client.ready;
    const [a, b, c] = await Promise.all([
      client.request([['display-message', '-p', 'one'], ['display-message', '-p', 'two']]),
      client.request([['display-message', '-p', 'three'], ['kill-session', '-t', '=no-such-session'], ['display-message', '-p', 'never']]),
      client.request([['list-sessions', '-F', '#{session_name}']]),
    ]);
    expect(a).toEqual({ code: 0, stdout: 'one\ntwo\n', stderr: '' });
    expect(b.code).toBe(1);
    expect(b.stdout).toBe('three\n');
    expect(b.stderr).toMatch(/can't find session/);
    expect(c.stdout.trim()).toBe(CONTROL_SESSION);
  });

  it('passes every argument through verbatim: option values, a pane command line and its environment', async () => {
    dir = tempDir('hive-ctl-');
    client = new TmuxControlClient(['-L', socket, '-f', '/dev/null']);
    await client.ready;
    for (const [i, s] of NASTY.entries()) {
      const set = await client.request([['set-option', '-g', `@hive_t${i}`, s]]);
      expect(set.code, s).toBe(0);
    }
    // show-options prints a value quoted its own way; the pane's argv and environment are the real test.
    const out = path.join(dir, 'argv.json');
    const script = `require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify({ argv: process.argv.slice(1), env: process.env.HIVE_NASTY }))`;
    const joined = NASTY.join('|');
    const r = await client.request([
      ['new-session', '-d', '-s', 'argv', '-e', `HIVE_NASTY=${joined}`, '--', process.execPath, '-e', script, '--', ...NASTY],
    ]);
    expect(r.code, r.stderr).toBe(0);
    const got = await waitFor(() => (existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as { argv: string[]; env: string }) : null), 10_000, 20, 'the pane program');
    expect(got.argv).toEqual(NASTY);
    expect(got.env).toBe(joined);
  });

  it('settles every request when the server goes away, closes, and answers -1 from then on', async () => {
    client = new TmuxControlClient(['-L', socket, '-f', '/dev/null']);
    await client.ready;
    let closed = false;
    client.onDidClose(() => (closed = true));
    const waiting = client.request([['wait-for', 'never-signalled'], ['display-message', '-p', 'after']]);
    execFileSync('tmux', ['-L', socket, 'kill-server']);
    // A dying server wakes its waiters (code 0) or is gone before it answers (-1): either way it settles.
    expect([0, -1]).toContain((await waiting).code);
    await waitFor(() => closed, 5000, 10, 'the client to close');
    expect((await client.request([['display-message', '-p', 'x']])).code).toBe(-1);
  });
});
