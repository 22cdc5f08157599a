import { pushLines } from './text-lines.js';

/** One change of a side against base: base lines [start, end) were replaced by `lines`. */
export interface Edit {
  start: number;
  end: number;
  lines: string[];
}

// Hunks bigger than this are not worth an exact LCS; the strategies that need it decline instead.
const MAX_CELLS = 4_000_000;

/** Line edits turning `a` into `b` from a longest common subsequence; null when the input is too big. */
export function diffLines(a: readonly string[], b: readonly string[]): Edit[] | null {
  const n = a.length;
  const m = b.length;
  if ((n + 1) * (m + 1) > MAX_CELLS) return null;
  const w = m + 1;
  const lcs = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * w + j] = a[i] === b[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
    }
  }
  const edits: Edit[] = [];
  let i = 0;
  let j = 0;
  let open: Edit | null = null;
  const flush = () => {
    if (open) edits.push(open);
    open = null;
  };
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      flush();
      i++;
      j++;
    } else if (j < m && (i >= n || lcs[i * w + j + 1]! >= lcs[(i + 1) * w + j]!)) {
      open ??= { start: i, end: i, lines: [] };
      open.lines.push(b[j]!);
      j++;
    } else {
      open ??= { start: i, end: i, lines: [] };
      open.end = i + 1;
      i++;
    }
  }
  flush();
  return edits;
}

/** Applies edits (sorted, non-overlapping, in base coordinates) to base. */
export function applyEdits(base: readonly string[], edits: readonly Edit[]): string[] {
  const out: string[] = [];
  let pos = 0;
  for (const e of edits) {
    pushLines(out, base, pos, e.start);
    pushLines(out, e.lines);
    pos = e.end;
  }
  pushLines(out, base, pos);
  return out;
}
