import { HiveError } from '../../../shared/errors.js';

const P1 = 1;
const P2 = 2;
const STALE = 4;

/**
 * A repository's commit graph from one `git rev-list --parents REV`, answering `git merge-base --all`
 * in-process: the replay needs the merge bases of every merge, and a git process per merge cost more
 * than resolving its conflicts. Same algorithm as git's paint_down_to_common, walked in generation
 * order (a commit always after all of its descendants), which makes every common ancestor it reports
 * a best one: no remove_redundant pass is needed. Checked against git on random histories in the tests.
 */
export class CommitGraph {
  private readonly index = new Map<string, number>();
  private readonly ids: string[] = [];
  private readonly parents: number[][] = [];
  private readonly gen: Int32Array;

  /** `text`: the output of `git rev-list --parents REV` (one commit per line, then its parents). */
  constructor(text: string) {
    const rows: string[][] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      const row = line.split(' ');
      rows.push(row);
      this.id(row[0]!);
    }
    for (const row of rows) this.parents[this.index.get(row[0]!)!] = row.slice(1).map((p) => this.id(p));
    for (let i = 0; i < this.ids.length; i++) this.parents[i] ??= [];
    this.gen = generations(this.parents);
  }

  private id(oid: string): number {
    let i = this.index.get(oid);
    if (i === undefined) {
      i = this.ids.length;
      this.ids.push(oid);
      this.index.set(oid, i);
    }
    return i;
  }

  /** What `git merge-base --all a b` prints (in no particular order), or null when a commit is not in the graph. */
  mergeBases(a: string, b: string): string[] | null {
    const ia = this.index.get(a);
    const ib = this.index.get(b);
    if (ia === undefined || ib === undefined) return null;
    const flags = new Map<number, number>();
    const heap = new MaxHeap(this.gen);
    let nonStale = 0;
    const mark = (c: number, f: number) => {
      const old = flags.get(c) ?? 0;
      const now = old | f;
      if (now === old) return;
      flags.set(c, now);
      if (heap.has(c)) {
        if (!(old & STALE) && now & STALE) nonStale--;
      } else {
        heap.push(c);
        if (!(now & STALE)) nonStale++;
      }
    };
    mark(ia, P1);
    mark(ib, P2);
    const result: number[] = [];
    while (nonStale > 0) {
      const c = heap.pop();
      let f = flags.get(c)!;
      if (!(f & STALE)) nonStale--;
      if ((f & (P1 | P2 | STALE)) === (P1 | P2)) {
        result.push(c);
        // Everything below a common ancestor is a worse one.
        f |= STALE;
      }
      f &= P1 | P2 | STALE;
      for (const p of this.parents[c]!) mark(p, f);
    }
    return result.filter((c) => !(flags.get(c)! & STALE)).map((c) => this.ids[c]!);
  }
}

/** 1 for a root, else 1 + the highest generation of its parents (iterative: histories are deep). */
function generations(parents: number[][]): Int32Array {
  const gen = new Int32Array(parents.length);
  const stack: number[] = [];
  // Every parent edge pushes at most once per child visit: more than this means a cycle (a broken graft).
  let budget = 2 * (parents.length + parents.reduce((n, ps) => n + ps.length, 0)) + 16;
  for (let start = 0; start < parents.length; start++) {
    if (gen[start]) continue;
    stack.push(start);
    while (stack.length > 0) {
      const c = stack[stack.length - 1]!;
      if (gen[c]! > 0) {
        stack.pop();
        continue;
      }
      let ready = true;
      let g = 0;
      for (const p of parents[c]!) {
        if (gen[p]! > 0) {
          if (gen[p]! > g) g = gen[p]!;
        } else {
          ready = false;
          stack.push(p);
          if (--budget < 0) throw new HiveError('INTERNAL', 'The commit graph has a cycle (a graft or replace ref?); merge bases must come from git merge-base.');
        }
      }
      if (!ready) continue;
      gen[c] = g + 1;
      stack.pop();
    }
  }
  return gen;
}

/** Binary max-heap of commit indexes keyed by generation. */
class MaxHeap {
  private readonly items: number[] = [];
  private readonly members = new Set<number>();

  constructor(private readonly key: Int32Array) {}

  has(c: number): boolean {
    return this.members.has(c);
  }

  push(c: number): void {
    this.members.add(c);
    const a = this.items;
    a.push(c);
    let i = a.length - 1;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (this.key[a[up]!]! >= this.key[c]!) break;
      a[i] = a[up]!;
      i = up;
    }
    a[i] = c;
  }

  pop(): number {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    this.members.delete(top);
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const big = r < a.length && this.key[a[r]!]! > this.key[a[l]!]! ? r : l;
        if (this.key[a[big]!]! <= this.key[last]!) break;
        a[i] = a[big]!;
        i = big;
      }
      a[i] = last;
    }
    return top;
  }
}
