import type { SnapshotContents, SnapshotMeta } from '../../../shared/contract/snapshots.js';

type Side = { meta: SnapshotMeta; contents: SnapshotContents };

/**
 * A readable diff of two snapshots: fields that changed, memory files added/removed/changed (with a line
 * diff for text), and the git state. Unified-diff style so it reads like `git diff`.
 */
export function diffSnapshots(a: Side, b: Side): string {
  const out: string[] = [`--- ${a.meta.id} (${a.meta.type}, ${a.meta.createdAt})`, `+++ ${b.meta.id} (${b.meta.type}, ${b.meta.createdAt})`];
  const field = (name: string, x: string, y: string) => {
    if (x !== y) out.push(`@@ ${name} @@`, ...lineDiff(x, y));
  };
  field('task', a.contents.task, b.contents.task);
  field('session', a.contents.sessionId ?? '', b.contents.sessionId ?? '');
  field('notes', a.contents.notes, b.contents.notes);
  field('git', gitText(a.contents), gitText(b.contents));
  const fa = new Map(a.contents.memoryFiles.map((f) => [f.path, f]));
  const fb = new Map(b.contents.memoryFiles.map((f) => [f.path, f]));
  for (const p of [...new Set([...fa.keys(), ...fb.keys()])].sort()) {
    const x = fa.get(p);
    const y = fb.get(p);
    if (x && y && x.sha256 === y.sha256) continue;
    out.push(`@@ memory ${p} ${!x ? '(added)' : !y ? '(removed)' : '(changed)'} @@`);
    for (const l of lineDiff(x ? decode(x.contentBase64) : '', y ? decode(y.contentBase64) : '')) out.push(l);
  }
  const wa = JSON.stringify(a.contents.workingMemory, null, 1);
  const wb = JSON.stringify(b.contents.workingMemory, null, 1);
  field('working memory', wa, wb);
  if (out.length === 2) out.push('(no differences in task, memory files, git state or working memory)');
  return out.join('\n');
}

function gitText(c: SnapshotContents): string {
  return c.git ? `branch ${c.git.branch}\nhead ${c.git.head}\n${c.git.status}` : '';
}

function decode(b64: string): string {
  return Buffer.from(b64, 'base64').toString('utf8');
}

/** A small LCS line diff; memory files are short, and beyond 2,000 lines a side we fall back to replace. */
export function lineDiff(x: string, y: string): string[] {
  const a = x.split('\n');
  const b = y.split('\n');
  if (a.length > 2000 || b.length > 2000) return [...a.map((l) => `-${l}`), ...b.map((l) => `+${l}`)];
  const n = a.length;
  const m = b.length;
  const dp = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) dp[i]![j] = a[i] === b[j] ? dp[i + 1]![j + 1]! + 1 : Math.max(dp[i + 1]![j]!, dp[i]![j + 1]!);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push(` ${a[i]}`);
      i++;
      j++;
    } else if (dp[i + 1]![j]! >= dp[i]![j + 1]!) out.push(`-${a[i++]}`);
    else out.push(`+${b[j++]}`);
  }
  while (i < n) out.push(`-${a[i++]}`);
  while (j < m) out.push(`+${b[j++]}`);
  return out;
}
