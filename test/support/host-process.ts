import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(REPO_ROOT, 'dist', 'electron', 'cli', 'main.js');

function requireBuild(): void {
  if (!existsSync(CLI)) throw new Error(`The CLI is not built (${CLI}). Run \`npm run build\` first (npm test does).`);
}

export interface HostProcess {
  child: ChildProcess;
  dataDir: string;
  url: string;
  token: string;
  uiUrl: string;
  output: () => string;
  /** SIGTERM and wait for exit (agents keep running). */
  stop(): Promise<void>;
  /** SIGKILL, no cleanup. */
  kill(): Promise<void>;
}

/** Starts `hive serve` as a real child process on a data dir and waits for its URL line. */
export async function startHostProcess(dataDir: string, extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<HostProcess> {
  requireBuild();
  const child = spawn(process.execPath, [CLI, '--data-dir', dataDir, 'serve', '--port', '0', ...extraArgs], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  const uiUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running behind a failed test.
      child.kill('SIGTERM');
      reject(new Error(`hive serve did not print its URL within 20 s (stopped). Output:\n${out}`));
    }, 20_000);
    const check = () => {
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hive serve exited with ${code}. Output:\n${out}`));
    });
  });
  const u = new URL(uiUrl);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    dataDir,
    url: u.origin,
    token: u.searchParams.get('token')!,
    uiUrl,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
    kill: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `hive` CLI with an argument array. */
export function hive(dataDir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  requireBuild();
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, '--data-dir', dataDir, ...args], { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export async function hiveJson<T>(dataDir: string, args: string[]): Promise<T> {
  const r = await hive(dataDir, [...args, '--json']);
  if (r.code !== 0) throw new Error(`hive ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Polls until fn returns truthy or the timeout passes. */
export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs = 10_000, intervalMs = 50, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

export function readHostToken(dataDir: string): string {
  return readFileSync(path.join(dataDir, 'api.token'), 'utf8').trim();
}
