import { execFile } from 'node:child_process';

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

/** Runs a program with an argument array: never a shell, so no user string is ever interpreted. */
export function run(file: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
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
          const e = new Error(`${file} ${args.join(' ')} failed: ${stderr.trim() || err.message}`) as Error & ExecResult;
          e.stdout = stdout;
          e.stderr = stderr;
          e.code = code;
          reject(e);
          return;
        }
        resolve({ stdout, stderr, code: 0 });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}
