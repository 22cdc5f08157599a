import { execFile } from 'node:child_process';
import { ExecHelper, HelperNotStarted } from './exec-helper.js';

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface ExecOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
  timeoutMs?: number;
  maxBuffer?: number;
  /** Resolve with the exit code instead of rejecting on a non-zero exit. */
  allowFailure?: boolean;
}

let helper: ExecHelper | null = null;
let helperUsers = 0;

/**
 * From now on (until the returned function is called) programs start in a helper process, off this
 * process's event loop (see ExecHelper). For long-lived hosts; a CLI call runs them itself.
 */
export function useExecHelper(): () => void {
  helperUsers++;
  helper ??= new ExecHelper();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--helperUsers > 0) return;
    helper?.dispose();
    helper = null;
  };
}

/** The helper's pid while one runs (for tests). */
export function execHelperPid(): number | null {
  return helper?.pid ?? null;
}

/** Runs a program with an argument array: never a shell, so no user string is ever interpreted. */
export function run(file: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  if (helper && !helper.broken) {
    return helper.run(file, args, opts).then(
      (r) => {
        if (r.message === null) return { stdout: r.stdout, stderr: r.stderr, code: 0 };
        if (opts.allowFailure && r.code !== -1) return { stdout: r.stdout, stderr: r.stderr, code: r.code };
        throw failure(file, args, r.stdout, r.stderr, r.code, r.message);
      },
      (err: unknown) => {
        if (err instanceof HelperNotStarted) return runHere(file, args, opts);
        throw err;
      },
    );
  }
  return runHere(file, args, opts);
}

function failure(file: string, args: readonly string[], stdout: string, stderr: string, code: number, message: string): Error & ExecResult {
  const e = new Error(`${file} ${args.join(' ')} failed: ${stderr.trim() || message}`) as Error & ExecResult;
  e.stdout = stdout;
  e.stderr = stderr;
  e.code = code;
  return e;
}

function runHere(file: string, args: readonly string[], opts: ExecOptions): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args as string[],
      {
        cwd: opts.cwd,
        env: opts.env,
        timeout: opts.timeoutMs ?? 60_000,
        maxBuffer: opts.maxBuffer ?? 256 * 1024 * 1024,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        if (err) {
          const code = typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1;
          if (opts.allowFailure && code !== -1) {
            resolve({ stdout, stderr, code });
            return;
          }
          reject(failure(file, args, stdout, stderr, code, err.message));
          return;
        }
        resolve({ stdout, stderr, code: 0 });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}
