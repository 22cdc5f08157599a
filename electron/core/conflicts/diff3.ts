import type { MergeFileResult, Segment } from './merge-file.js';
import { splitLines } from './text-lines.js';

/** One change of a side against base: base [b1, b2) became side [s1, s2). */
interface Change {
  b1: number;
  b2: number;
  s1: number;
  s2: number;
}

// Beyond this edit distance the in-process diff gives up and the caller falls back to git merge-file: the
// O((N+M)·D) walk and its O(D²) trace cost more than a git process past a few hundred edits (mongoose's
// history: resolver 69 -> 84 hunks/s going from 3000 to 400, same answers).
const MAX_D = 400;

/** Myers' O(ND) line diff on integer-coded lines; null when the edit distance exceeds MAX_D. */
export function myers(a: Int32Array, b: Int32Array): Change[] | null {
  // Trim the common ends first: most merges touch a small middle.
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const n = a.length - pre - suf;
  const m = b.length - pre - suf;
  if (n === 0 && m === 0) return [];
  if (n === 0 || m === 0) return [{ b1: pre, b2: pre + n, s1: pre, s2: pre + m }];
  const max = Math.min(n + m, MAX_D);
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice(off - d - 1, off + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? v[off + k + 1]! : v[off + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[pre + x] === b[pre + y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) return null;
  // Walk the trace back into a list of (base index, side index) steps, then group them into changes.
  const dels: boolean[] = new Array<boolean>(n).fill(false);
  const ins: boolean[] = new Array<boolean>(m).fill(false);
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const vv = trace[d]!;
    const at = (k: number) => vv[k + d + 1]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
    }
    if (x === prevX) ins[prevY] = true;
    else dels[prevX] = true;
    x = prevX;
    y = prevY;
  }
  const out: Change[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && !dels[i] && !ins[j]) {
      i++;
      j++;
      continue;
    }
    const c = { b1: pre + i, b2: pre + i, s1: pre + j, s2: pre + j };
    while (i < n && dels[i]) i++;
    while (j < m && ins[j]) j++;
    c.b2 = pre + i;
    c.s2 = pre + j;
    out.push(c);
  }
  return out;
}

/**
 * diff3 merge in-process, following git's xdl_merge at the level it uses for diff3 output: changes of
 * the two sides that overlap or touch form one conflict unless they are the very same change. Null when a
 * diff is too large (the caller then runs git merge-file).
 */
export function diff3Merge(base: string, ours: string, theirs: string): MergeFileResult | null {
  const trailingNewline = ours.endsWith('\n') || theirs.endsWith('\n') || (ours === '' && theirs === '' && base.endsWith('\n'));
  const nl = (s: string) => (s === '' || s.endsWith('\n') ? s : s + '\n');
  const [bl, ol, tl] = [splitLines(nl(base)), splitLines(nl(ours)), splitLines(nl(theirs))];
  const ids = new Map<string, number>();
  const code = (ls: string[]) => Int32Array.from(ls, (l) => {
    let id = ids.get(l);
    if (id === undefined) ids.set(l, (id = ids.size));
    return id;
  });
  // Lines all three share at the start are stable whatever the diff says (each pairwise diff trims them
  // first too): only the rest is interned and diffed — interning whole files was most of the merge's time
  // on real histories. Not the shared end: with it cut off, Myers can pick another of several equally short
  // alignments of repeated lines than git does (a test of random edits found such cases at once).
  let pre = 0;
  const minLen = Math.min(bl.length, ol.length, tl.length);
  while (pre < minLen && bl[pre] === ol[pre] && bl[pre] === tl[pre]) pre++;
  const rest = (ls: string[]) => ls.slice(pre);
  const [bc, oc, tc] = [code(rest(bl)), code(rest(ol)), code(rest(tl))];
  const shift = (chs: Change[] | null) => chs?.map((c) => ({ b1: c.b1 + pre, b2: c.b2 + pre, s1: c.s1 + pre, s2: c.s2 + pre })) ?? null;
  const co = shift(myers(bc, oc));
  const ct = shift(myers(bc, tc));
  if (!co || !ct) return null;
  const segments: Segment[] = [];
  let stable: string[] = [];
  const flush = () => {
    if (stable.length) segments.push({ kind: 'stable', lines: stable });
    stable = [];
  };
  let pos = 0; // base position emitted so far
  let io = 0;
  let it = 0;
  let conflicts = 0;
  const side = (lines: string[], chs: Change[], lo: number, hi: number, all: Change[], idx: number): string[] => {
    if (chs.length === 0) {
      const d = deltaBefore(all, idx);
      return lines.slice(lo + d, hi + d);
    }
    const f = chs[0]!;
    const l = chs[chs.length - 1]!;
    return lines.slice(f.s1 - (f.b1 - lo), l.s2 + (hi - l.b2));
  };
  while (io < co.length || it < ct.length) {
    const a = co[io];
    const b = ct[it];
    // A change only one side made, strictly before the other side's next change: apply it.
    if (a && (!b || a.b2 < b.b1)) {
      stable.push(...bl.slice(pos, a.b1), ...ol.slice(a.s1, a.s2));
      pos = a.b2;
      io++;
      continue;
    }
    if (b && (!a || b.b2 < a.b1)) {
      stable.push(...bl.slice(pos, b.b1), ...tl.slice(b.s1, b.s2));
      pos = b.b2;
      it++;
      continue;
    }
    // Overlapping or touching: grow the group until neither side has a change touching it.
    const startO = io;
    const startT = it;
    let lo = Math.min(a!.b1, b!.b1);
    let hi = Math.max(a!.b2, b!.b2);
    io++;
    it++;
    for (;;) {
      if (io < co.length && co[io]!.b1 <= hi) hi = Math.max(hi, co[io++]!.b2);
      else if (it < ct.length && ct[it]!.b1 <= hi) hi = Math.max(hi, ct[it++]!.b2);
      else break;
    }
    lo = Math.min(lo, a!.b1, b!.b1);
    const oSide = side(ol, co.slice(startO, io), lo, hi, co, startO);
    const tSide = side(tl, ct.slice(startT, it), lo, hi, ct, startT);
    stable.push(...bl.slice(pos, lo));
    pos = hi;
    if (oSide.length === tSide.length && oSide.every((l, i) => l === tSide[i])) {
      stable.push(...oSide);
      continue;
    }
    flush();
    segments.push({ kind: 'conflict', base: bl.slice(lo, hi), ours: oSide, theirs: tSide });
    conflicts++;
  }
  stable.push(...bl.slice(pos));
  flush();
  return { segments, conflicts, trailingNewline };
}

/** How far a side's line numbers are shifted against base before change `idx`. */
function deltaBefore(all: Change[], idx: number): number {
  let d = 0;
  for (let i = 0; i < idx; i++) d += all[i]!.s2 - all[i]!.s1 - (all[i]!.b2 - all[i]!.b1);
  return d;
}
