import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HiveError } from '../../../shared/errors.js';
import { run } from '../ports/exec.js';
import { diff3Merge } from './diff3.js';
import { splitLines } from './text-lines.js';

export type Segment =
  | { kind: 'stable'; lines: string[] }
  | { kind: 'conflict'; base: string[]; ours: string[]; theirs: string[] };

export interface MergeFileResult {
  segments: Segment[];
  conflicts: number;
  /** The inputs had no final newline where git adds one around markers; the caller restores it. */
  trailingNewline: boolean;
}

// Long markers so a line of seven `<` inside a file (Markdown, old merges) is never mistaken for one.
export const MARKER_SIZE = 41;
const OPEN = '<'.repeat(MARKER_SIZE);
const BASE = '|'.repeat(MARKER_SIZE);
const MID = '='.repeat(MARKER_SIZE);
const CLOSE = '>'.repeat(MARKER_SIZE);

/**
 * Three-way line merge with `git merge-file --diff3` (the same algorithm git uses), split into stable
 * segments and conflict hunks that carry all three sides. Reuses one temp dir per instance.
 */
export class MergeFile {
  private dir: string | null = null;
  private seq = 0;

  /**
   * `builtin` (default) runs the same diff3 merge in-process — a process per file would cap the replay
   * at a few dozen hunks a second on a busy machine — and falls back to git for huge diffs; `git` always
   * asks `git merge-file` (the reference the equivalence test compares against).
   */
  constructor(
    private readonly engine: 'builtin' | 'git' = 'builtin',
    private readonly gitBin = 'git',
  ) {}

  async merge(base: string, ours: string, theirs: string): Promise<MergeFileResult> {
    if (this.engine === 'builtin') {
      const r = diff3Merge(base, ours, theirs);
      if (r) return r;
    }
    return this.mergeWithGit(base, ours, theirs);
  }

  async mergeWithGit(base: string, ours: string, theirs: string): Promise<MergeFileResult> {
    const trailingNewline = endsNl(ours) || endsNl(theirs) || (ours === '' && theirs === '' && endsNl(base));
    const dir = (this.dir ??= mkdtempSync(path.join(os.tmpdir(), 'hive-merge-file-')));
    const n = this.seq++;
    const files = ['ours', 'base', 'theirs'].map((s) => path.join(dir, `${n}.${s}`)) as [string, string, string];
    writeFileSync(files[0], nl(ours));
    writeFileSync(files[1], nl(base));
    writeFileSync(files[2], nl(theirs));
    try {
      const r = await run(
        this.gitBin,
        ['merge-file', '-p', '--diff3', `--marker-size=${MARKER_SIZE}`, '-L', 'ours', '-L', 'base', '-L', 'theirs', ...files],
        { allowFailure: true, env: { ...process.env, LC_ALL: 'C' } },
      );
      if (r.code < 0 || r.code > 127) {
        throw new HiveError('MERGE_FAILED', `git merge-file failed (${r.stderr.trim()}). Check that git 2.38 or newer is installed.`);
      }
      const segments = parseDiff3(r.stdout);
      return { segments, conflicts: segments.filter((s) => s.kind === 'conflict').length, trailingNewline };
    } finally {
      for (const f of files) rmSync(f, { force: true });
    }
  }

  dispose(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }
}

function endsNl(s: string): boolean {
  return s.endsWith('\n');
}

function nl(s: string): string {
  return s === '' || s.endsWith('\n') ? s : s + '\n';
}

function isMarker(line: string, marker: string): boolean {
  if (!line.startsWith(marker)) return false;
  const rest = line.slice(marker.length);
  return rest === '' || rest.startsWith(' ') || rest === '\n' || rest === '\r\n';
}

/** Parses diff3-style output written with our marker size. */
export function parseDiff3(output: string): Segment[] {
  const segments: Segment[] = [];
  let stable: string[] = [];
  let state: 'stable' | 'ours' | 'base' | 'theirs' = 'stable';
  let cur = { base: [] as string[], ours: [] as string[], theirs: [] as string[] };
  for (const line of splitLines(output)) {
    if (state === 'stable' && isMarker(line, OPEN)) {
      if (stable.length) segments.push({ kind: 'stable', lines: stable });
      stable = [];
      cur = { base: [], ours: [], theirs: [] };
      state = 'ours';
    } else if (state === 'ours' && isMarker(line, BASE)) state = 'base';
    else if ((state === 'base' || state === 'ours') && isMarker(line, MID)) state = 'theirs';
    else if (state === 'theirs' && isMarker(line, CLOSE)) {
      segments.push({ kind: 'conflict', ...cur });
      state = 'stable';
    } else if (state === 'stable') stable.push(line);
    else cur[state].push(line);
  }
  if (stable.length) segments.push({ kind: 'stable', lines: stable });
  return segments;
}
