import type { MergeFileResult, Segment } from './merge-file.js';
import { pushLines, splitLines } from './text-lines.js';

/** One change of a side against base: base [b1, b2) became side [s1, s2). */
interface Change {
  b1: number;
  b2: number;
  s1: number;
  s2: number;
}

// Beyond this edit distance the plain diff stops: the O((N+M)·D) walk and its O(D²) trace cost more than
// a git process past a few hundred edits (mongoose's history: resolver 69 -> 84 hunks/s going from 3000 to
// 400, same answers). The diff then leaves out the lines that occur in only one of the two texts (as git's
// xdiff always does: such a line is an edit in every alignment, so the shortest edit script keeps its
// length) and walks the rest, up to MAX_D_REDUCED edits; past that the caller asks git merge-file.
const MAX_D = 400;
const MAX_D_REDUCED = 1500;

/** Line → integer code, the same code for equal lines across every text it is given (for `myers`). */
export function lineInterner(): (line: string) => number {
  const ids = new Map<string, number>();
  return (l) => {
    let id = ids.get(l);
    if (id === undefined) ids.set(l, (id = ids.size));
    return id;
  };
}

/**
 * Myers' O(ND) line diff on integer-coded lines; null when the edit distance is too large to walk here.
 * `used.reduced` is set when the diff had to leave out the unmatched lines; `maxD` (no fallback then) caps
 * the edit distance for callers that have a cheaper way out.
 */
export function myers(a: Int32Array, b: Int32Array, opts: { used?: { reduced: boolean }; maxD?: number } = {}): Change[] | null {
  const { used, maxD } = opts;
  // Trim the common ends first: most merges touch a small middle.
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const n = a.length - pre - suf;
  const m = b.length - pre - suf;
  if (n === 0 && m === 0) return [];
  if (n === 0 || m === 0) return [{ b1: pre, b2: pre + n, s1: pre, s2: pre + m }];
  const aa = a.subarray(pre, pre + n);
  const bb = b.subarray(pre, pre + m);
  // Every line that the other text never contains is an edit in any alignment: when there are more of
  // them than the walk may take, it would walk MAX_D rounds over both texts for nothing (a quarter of the
  // merge's time on mongoose's history went there). Same answers, found sooner.
  const limit = maxD ?? MAX_D;
  const seen = presence(aa, bb);
  let marks = unmatchedCount(aa, bb, seen) > limit ? null : editMarks(aa, bb, limit);
  if (!marks && maxD === undefined) {
    marks = withoutUnmatched(aa, bb, seen);
    if (used) used.reduced = true;
  }
  if (!marks) return null;
  const { dels, ins } = marks;
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

interface Marks {
  /** 1 where a line of `a` is deleted. */
  dels: Uint8Array;
  /** 1 where a line of `b` is inserted. */
  ins: Uint8Array;
}

/** The shortest edit script from `a` to `b` as per-line marks (forward Myers with a trace); null past `maxD`. */
function editMarks(a: Int32Array, b: Int32Array, maxD: number): Marks | null {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, maxD);
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice(off - d - 1, off + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? v[off + k + 1]! : v[off + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
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
  // Walk the trace back into the deleted and inserted lines.
  const dels = new Uint8Array(n);
  const ins = new Uint8Array(m);
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
    if (x === prevX) ins[prevY] = 1;
    else dels[prevX] = 1;
    x = prevX;
    y = prevY;
  }
  return { dels, ins };
}

interface Presence {
  inA: Uint8Array;
  inB: Uint8Array;
}

/** Which codes occur in `a` and in `b` (indexed by code). */
function presence(a: Int32Array, b: Int32Array): Presence {
  let top = 0;
  for (const id of a) if (id > top) top = id;
  for (const id of b) if (id > top) top = id;
  const inA = new Uint8Array(top + 1);
  const inB = new Uint8Array(top + 1);
  for (const id of a) inA[id] = 1;
  for (const id of b) inB[id] = 1;
  return { inA, inB };
}

/** How many lines of `a` and `b` the other text does not contain: a lower bound of the edit distance. */
function unmatchedCount(a: Int32Array, b: Int32Array, { inA, inB }: Presence): number {
  let n = 0;
  for (const id of a) if (!inB[id]) n++;
  for (const id of b) if (!inA[id]) n++;
  return n;
}

/**
 * The edit script of a large diff: lines of either text that the other never contains are edits whatever
 * the alignment, so they are marked at once and Myers walks only the lines both texts have. Null when
 * nothing can be left out or the rest is still too far apart.
 */
function withoutUnmatched(a: Int32Array, b: Int32Array, { inA, inB }: Presence): Marks | null {
  const keepA: number[] = [];
  const keepB: number[] = [];
  for (let i = 0; i < a.length; i++) if (inB[a[i]!]) keepA.push(i);
  for (let j = 0; j < b.length; j++) if (inA[b[j]!]) keepB.push(j);
  if (keepA.length === a.length && keepB.length === b.length) return null;
  const inner = editMarks(Int32Array.from(keepA, (i) => a[i]!), Int32Array.from(keepB, (j) => b[j]!), MAX_D_REDUCED);
  if (!inner) return null;
  const dels = new Uint8Array(a.length).fill(1);
  const ins = new Uint8Array(b.length).fill(1);
  for (const [k, i] of keepA.entries()) dels[i] = inner.dels[k]!;
  for (const [k, j] of keepB.entries()) ins[j] = inner.ins[k]!;
  return { dels, ins };
}

/**
 * diff3 merge in-process, following git's xdl_merge at the level it uses for diff3 output: changes of
 * the two sides that overlap or touch form one conflict unless they are the very same change. Null when a
 * diff is too large, or a large diff merges cleanly (the caller then runs git merge-file).
 */
export function diff3Merge(base: string, ours: string, theirs: string): MergeFileResult | null {
  const trailingNewline = ours.endsWith('\n') || theirs.endsWith('\n') || (ours === '' && theirs === '' && base.endsWith('\n'));
  const nl = (s: string) => (s === '' || s.endsWith('\n') ? s : s + '\n');
  const [bl, ol, tl] = splitShared(nl(base), nl(ours), nl(theirs));
  const idOf = lineInterner();
  // Lines all three share at the start are stable whatever the diff says (each pairwise diff trims them
  // first too): only the rest is interned and diffed — interning whole files was most of the merge's time
  // on real histories. The shared end is diffed (with it cut off, Myers can pick another of several equally
  // short alignments of repeated lines than git does: a test of random edits found such cases at once), but
  // its lines are interned once for the three texts, not three times.
  let pre = 0;
  const minLen = Math.min(bl.length, ol.length, tl.length);
  while (pre < minLen && bl[pre] === ol[pre] && bl[pre] === tl[pre]) pre++;
  let suf = 0;
  while (suf < minLen - pre && bl[bl.length - 1 - suf] === ol[ol.length - 1 - suf] && bl[bl.length - 1 - suf] === tl[tl.length - 1 - suf]) suf++;
  const end = Int32Array.from(bl.slice(bl.length - suf), idOf);
  const code = (ls: string[]) => {
    const mid = ls.length - pre - suf;
    const out = new Int32Array(mid + suf);
    for (let i = 0; i < mid; i++) out[i] = idOf(ls[pre + i]!);
    out.set(end, mid);
    return out;
  };
  const [bc, oc, tc] = [code(bl), code(ol), code(tl)];
  const shift = (chs: Change[] | null) => chs?.map((c) => ({ b1: c.b1 + pre, b2: c.b2 + pre, s1: c.s1 + pre, s2: c.s2 + pre })) ?? null;
  const used = { reduced: false };
  const co = shift(myers(bc, oc, { used }));
  const ct = shift(myers(bc, tc, { used }));
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
      pushLines(stable, bl, pos, a.b1);
      pushLines(stable, ol, a.s1, a.s2);
      pos = a.b2;
      io++;
      continue;
    }
    if (b && (!a || b.b2 < a.b1)) {
      pushLines(stable, bl, pos, b.b1);
      pushLines(stable, tl, b.s1, b.s2);
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
    pushLines(stable, bl, pos, lo);
    pos = hi;
    if (oSide.length === tSide.length && oSide.every((l, i) => l === tSide[i])) {
      pushLines(stable, oSide);
      continue;
    }
    flush();
    segments.push({ kind: 'conflict', base: bl.slice(lo, hi), ours: oSide, theirs: tSide });
    conflicts++;
  }
  pushLines(stable, bl, pos);
  flush();
  // A large diff walked without its unmatched lines is a shortest edit script, where git's xdiff gives up
  // on shortest past a cost and may line the edits up otherwise. On mongoose's history 12 of 197 such files
  // came out clean here while git conflicts: a clean merge is only claimed where git agrees (null: the
  // caller asks git), so the fallback never merges silently what git would not.
  if (used.reduced && conflicts === 0) return null;
  return { segments, conflicts, trailingNewline };
}

/**
 * The three texts split into lines, the text all three share at the start and at the end split once and
 * the same line strings used for all three (splitting three whole files was a third of the merge's time on
 * real histories, and lines that are one string compare at once). Same lines as `splitLines` of each.
 */
function splitShared(b: string, o: string, t: string): [string[], string[], string[]] {
  const min = Math.min(b.length, o.length, t.length);
  let p = commonPrefix(b, o, min);
  p = commonPrefix(b, t, p);
  // Back to a line start, so the shared part is whole lines.
  p = p === 0 ? 0 : b.lastIndexOf('\n', p - 1) + 1;
  const rest = min - p;
  let q = commonSuffix(b, o, rest);
  q = commonSuffix(b, t, q);
  // The shared end starts at a line start in all three: right after a line end of each, else after its own first one.
  let start = b.length - q;
  const atLineStart = (x: string) => x.length - q === p || x.charCodeAt(x.length - q - 1) === 10;
  if (q > 0 && !(atLineStart(b) && atLineStart(o) && atLineStart(t))) {
    const k = b.indexOf('\n', start);
    start = k < 0 ? b.length : k + 1;
  }
  q = b.length - start;
  const head = splitLines(b.slice(0, p));
  const tail = splitLines(b.slice(b.length - q));
  const mid = (x: string) => head.concat(splitLines(x.slice(p, x.length - q)), tail);
  return [mid(b), mid(o), mid(t)];
}

/** Length of the common prefix of `a` and `b`, at most `max`: compared a block at a time, then char by char. */
function commonPrefix(a: string, b: string, max: number): number {
  let i = 0;
  for (let step = 4096; step >= 1; step >>= 4) while (i + step <= max && a.slice(i, i + step) === b.slice(i, i + step)) i += step;
  return i;
}

/** Length of the common suffix of `a` and `b`, at most `max`. */
function commonSuffix(a: string, b: string, max: number): number {
  let i = 0;
  for (let step = 4096; step >= 1; step >>= 4) while (i + step <= max && a.slice(a.length - i - step, a.length - i) === b.slice(b.length - i - step, b.length - i)) i += step;
  return i;
}

/** How far a side's line numbers are shifted against base before change `idx`. */
function deltaBefore(all: Change[], idx: number): number {
  let d = 0;
  for (let i = 0; i < idx; i++) d += all[i]!.s2 - all[i]!.s1 - (all[i]!.b2 - all[i]!.b1);
  return d;
}
