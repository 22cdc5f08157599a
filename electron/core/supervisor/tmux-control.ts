import { spawn, type ChildProcess } from 'node:child_process';
import type { ExecResult } from '../ports/exec.js';

/** The session a control client attaches to (tmux keeps an unattached control client only briefly). Agent names start with a letter or digit, so it never collides with one. */
export const CONTROL_SESSION = '_hive-ctl';

/**
 * One argument for tmux's command parser (what a control client sends), as a double-quoted string:
 * `"`, `\`, `$` (environment expansion) and `~` (home expansion, even inside quotes at their start) are
 * escaped, control characters become octal escapes (a raw newline would end the command line).
 * `;`, `#{…}`, `{` and `%` are plain text inside the quotes.
 * Every argument a control command carries goes through this, the user's strings included.
 */
export function tmuxQuote(arg: string): string {
  let out = '"';
  for (const ch of arg) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\' || ch === '$' || ch === '~') out += `\\${ch}`;
    else if (c < 0x20 || c === 0x7f) out += `\\${c.toString(8).padStart(3, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** A command list as one control-mode line. */
export function controlLine(commands: readonly (readonly string[])[]): string {
  return commands.map((c) => c.map(tmuxQuote).join(' ')).join(' ; ');
}

interface Pending {
  /** Commands in the list: tmux answers each with its own %begin/%end block, and stops at the first %error. */
  remaining: number;
  stdout: string[];
  resolve: (r: ExecResult) => void;
}

const BEGIN = /^%begin (\d+) (\d+) (\d+)$/;
const END = /^%(end|error) (\d+) (\d+) (\d+)$/;

/**
 * A persistent tmux control-mode client (`tmux -C`): commands go to the server over its connection, so a
 * command costs no process start (a tmux client start is ~3.5 ms before it does anything, most of a
 * restart). Answers come back in order, one %begin…%end (or %error) block per command; notifications
 * between blocks are ignored. A command line that fails stops at the failing command, as with the CLI.
 */
export class TmuxControlClient {
  private readonly child: ChildProcess;
  private readonly queue: Pending[] = [];
  private buffered = '';
  private block: { num: string; fromUs: boolean; lines: string[] } | null = null;
  private closedFlag = false;
  private readonly closeListeners: (() => void)[] = [];
  /** Resolves once the client is attached and answering (rejects if it exits first). */
  readonly ready: Promise<void>;

  /** `tmuxArgs` select the server (`-L socket -f conf`); `env` is the client's environment (a server it starts inherits it). */
  constructor(tmuxArgs: readonly string[], env?: NodeJS.ProcessEnv) {
    // The session's pane runs `true` and stays as a dead pane (no process kept): remain-on-exit is set for
    // it in the same command list, before the server can notice the exit, whatever the server's options.
    const attach = ['new-session', '-A', '-s', CONTROL_SESSION, '--', 'true', ';', 'set-option', '-w', '-t', `=${CONTROL_SESSION}:`, 'remain-on-exit', 'on'];
    this.child = spawn('tmux', [...tmuxArgs, '-C', ...attach], {
      stdio: ['pipe', 'pipe', 'ignore'],
      env,
    });
    this.child.stdin!.on('error', () => {});
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (d: string) => this.onData(d));
    let readyResolve!: () => void;
    let readyReject!: (e: Error) => void;
    this.ready = new Promise<void>((res, rej) => {
      readyResolve = res;
      readyReject = rej;
    });
    // The attach command's own answer is the first block; a request sent now is answered after it.
    void this.request([['display-message', '-p', 'ready']]).then((r) => (r.code === 0 ? readyResolve() : readyReject(new Error(r.stderr))));
    this.ready.catch(() => {}); // a waiter never awaits it; its close is handled through onDidClose
    this.child.once('error', () => this.onClose());
    this.child.once('close', () => this.onClose());
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Commands sent and not yet answered. */
  get busy(): boolean {
    return this.queue.length > 0;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  onDidClose(listener: () => void): void {
    if (this.closedFlag) queueMicrotask(listener);
    else this.closeListeners.push(listener);
  }

  /**
   * Runs a command list; resolves like `run` with allowFailure: code 0 and every block's output, or code 1
   * and the failing command's message. A client that exits first answers code -1 ("not sent or lost").
   */
  request(commands: readonly (readonly string[])[]): Promise<ExecResult> {
    if (this.closedFlag) return Promise.resolve({ code: -1, stdout: '', stderr: 'tmux control client exited' });
    return new Promise((resolve) => {
      this.queue.push({ remaining: commands.length, stdout: [], resolve });
      this.child.stdin!.write(`${controlLine(commands)}\n`);
    });
  }

  private onData(d: string): void {
    this.buffered += d;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      this.onLine(line);
    }
  }

  private onLine(line: string): void {
    if (this.block === null) {
      const m = BEGIN.exec(line);
      // Flags 1: the command came from this client's input (not the attach command on its command line).
      if (m) this.block = { num: m[2]!, fromUs: m[3] === '1', lines: [] };
      // The server is going away (killed, or its last session gone): leave at once. A control client that
      // stays attached keeps a tmux 3.3 server in its exiting state — alive, refusing every new client with
      // "server exited unexpectedly" — so no new server can start on the socket (seen in the soak: after a
      // server kill, no tmux agent came back for the rest of the run).
      else if (line.startsWith('%exit')) this.leave();
      return; // otherwise a notification (%sessions-changed, …)
    }
    const end = END.exec(line);
    if (!end || end[3] !== this.block.num) {
      this.block.lines.push(line);
      return;
    }
    const block = this.block;
    this.block = null;
    if (!block.fromUs) return;
    const p = this.queue[0];
    if (!p) return;
    if (end[1] === 'error') {
      this.queue.shift();
      p.resolve({ code: 1, stdout: p.stdout.join(''), stderr: block.lines.join('\n') });
      return;
    }
    p.stdout.push(block.lines.map((l) => `${l}\n`).join(''));
    if (--p.remaining <= 0) {
      this.queue.shift();
      p.resolve({ code: 0, stdout: p.stdout.join(''), stderr: '' });
    }
  }

  private onClose(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const p of this.queue.splice(0)) p.resolve({ code: -1, stdout: p.stdout.join(''), stderr: 'tmux control client exited' });
    for (const l of this.closeListeners.splice(0)) l();
  }

  dispose(): void {
    if (this.closedFlag) return;
    this.child.stdin!.end();
    this.child.kill();
  }

  private leave(): void {
    this.child.stdin!.end();
    const t = setTimeout(() => {
      if (!this.closedFlag) this.child.kill('SIGKILL');
    }, 200);
    t.unref();
    this.child.once('close', () => clearTimeout(t));
  }
}
