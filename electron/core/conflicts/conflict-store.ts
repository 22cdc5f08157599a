import type { ConflictAttempt, ConflictHunk, ConflictItem, ConflictStatus, ConflictSummary, IntentClaim, MergeResult, SideIntent } from '../../../shared/contract/conflicts.js';
import { HiveError } from '../../../shared/errors.js';
import type { Db } from '../store/database.js';

export interface MergeRow {
  id: string;
  agent: string;
  repo: string;
  branch: string;
  into_branch: string;
  worktree: string;
  status: string;
  commit_sha: string | null;
  ours_head: string;
  theirs_head: string;
  created_at: string;
  updated_at: string;
}

interface ItemRow {
  id: string;
  merge_id: string;
  agent: string;
  path: string;
  status: ConflictStatus;
  reason: string;
  base: string | null;
  ours: string | null;
  theirs: string | null;
  with_markers: string;
  auto_result: string | null;
  proposal: string | null;
  hunks: string;
  intents: string;
  resolution: string | null;
  resolved_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface NewItem {
  id: string;
  mergeId: string;
  agent: string;
  path: string;
  status: ConflictStatus;
  reason: string;
  base: string | null;
  ours: string | null;
  theirs: string | null;
  withMarkers: string;
  autoResult: string | null;
  proposal: string | null;
  hunks: ConflictHunk[];
  intents: { ours: SideIntent; theirs: SideIntent };
}

/** SQL for the escalation queue, integration merges and intent claims. */
export class ConflictStore {
  constructor(
    readonly db: Db,
    private readonly now: () => string,
  ) {}

  insertMerge(m: Omit<MergeRow, 'created_at' | 'updated_at'>): void {
    const at = this.now();
    this.db
      .prepare(
        'INSERT INTO conflict_merges (id, agent, repo, branch, into_branch, worktree, status, commit_sha, ours_head, theirs_head, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)',
      )
      .run(m.id, m.agent, m.repo, m.branch, m.into_branch, m.worktree, m.status, m.commit_sha, m.ours_head, m.theirs_head, at, at);
  }

  updateMerge(id: string, status: string, commit: string | null = null): void {
    this.db.prepare('UPDATE conflict_merges SET status = ?, commit_sha = COALESCE(?, commit_sha), updated_at = ? WHERE id = ?').run(status, commit, this.now(), id);
  }

  findMerge(id: string): MergeRow | null {
    return (this.db.prepare('SELECT * FROM conflict_merges WHERE id = ?').get(id) as MergeRow | undefined) ?? null;
  }

  merge(id: string): MergeRow {
    const row = this.db.prepare('SELECT * FROM conflict_merges WHERE id = ?').get(id) as MergeRow | undefined;
    if (!row) throw new HiveError('CONFLICT_NOT_FOUND', `No integration merge ${id}. List them with \`hive conflicts list\`.`);
    return row;
  }

  merges(limit: number): MergeRow[] {
    return this.db.prepare('SELECT * FROM conflict_merges ORDER BY created_at DESC, rowid DESC LIMIT ?').all(limit) as MergeRow[];
  }

  insertItem(i: NewItem): void {
    const at = this.now();
    this.db
      .prepare(
        `INSERT INTO conflict_items (id, merge_id, agent, path, status, reason, base, ours, theirs, with_markers, auto_result, proposal, hunks, intents, created_at, updated_at)
         VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
      )
      .run(i.id, i.mergeId, i.agent, i.path, i.status, i.reason, i.base, i.ours, i.theirs, i.withMarkers, i.autoResult, i.proposal, JSON.stringify(i.hunks), JSON.stringify(i.intents), at, at);
  }

  addAttempt(itemId: string, hunk: number | null, strategy: string, result: string, reason: string): void {
    this.db.prepare('INSERT INTO conflict_attempts (item_id, at, hunk, strategy, result, reason) VALUES (?,?,?,?,?,?)').run(itemId, this.now(), hunk, strategy, result, reason);
  }

  setItemStatus(id: string, status: ConflictStatus, reason: string | null, extra: { resolution?: string; resolvedBy?: string } = {}): void {
    this.db
      .prepare('UPDATE conflict_items SET status = ?, reason = COALESCE(?, reason), resolution = COALESCE(?, resolution), resolved_by = COALESCE(?, resolved_by), updated_at = ? WHERE id = ?')
      .run(status, reason, extra.resolution ?? null, extra.resolvedBy ?? null, this.now(), id);
  }

  /**
   * A proposal offered (or withdrawn, null) after the item was queued, with the reason that says why. Only
   * while the item is still open (false: it was resolved or abandoned meanwhile, nothing written).
   */
  setProposal(id: string, proposal: string | null, reason: string): boolean {
    return this.db.prepare("UPDATE conflict_items SET proposal = ?, reason = ?, updated_at = ? WHERE id = ? AND status IN ('open', 'escalated')").run(proposal, reason, this.now(), id).changes > 0;
  }

  itemsOfMerge(mergeId: string): ItemRow[] {
    return this.db.prepare('SELECT * FROM conflict_items WHERE merge_id = ? ORDER BY path').all(mergeId) as ItemRow[];
  }

  row(id: string): ItemRow {
    const row = this.db.prepare('SELECT * FROM conflict_items WHERE id = ?').get(id) as ItemRow | undefined;
    if (!row) throw new HiveError('CONFLICT_NOT_FOUND', `No conflict ${id}. List them with \`hive conflicts list\`.`);
    return row;
  }

  list(opts: { status?: ConflictStatus; agent?: string; limit: number }): ConflictSummary[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (opts.status) {
      where.push('i.status = ?');
      args.push(opts.status);
    }
    if (opts.agent) {
      where.push('i.agent = ?');
      args.push(opts.agent);
    }
    const rows = this.db
      .prepare(
        `SELECT i.*, m.branch AS m_branch, m.into_branch AS m_into FROM conflict_items i JOIN conflict_merges m ON m.id = i.merge_id
         ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY i.created_at DESC, i.rowid DESC LIMIT ?`,
      )
      .all(...args, opts.limit) as (ItemRow & { m_branch: string; m_into: string })[];
    return rows.map((r) => summary(r, r.m_branch, r.m_into));
  }

  summary(id: string): ConflictSummary {
    const r = this.row(id);
    const m = this.merge(r.merge_id);
    return summary(r, m.branch, m.into_branch);
  }

  item(id: string): ConflictItem {
    const r = this.row(id);
    const m = this.merge(r.merge_id);
    const attempts = (this.db.prepare('SELECT at, hunk, strategy, result, reason FROM conflict_attempts WHERE item_id = ? ORDER BY id').all(id) as ConflictAttempt[]);
    return {
      ...summary(r, m.branch, m.into_branch),
      base: r.base,
      ours: r.ours,
      theirs: r.theirs,
      withMarkers: r.with_markers,
      proposal: r.proposal,
      autoResult: r.auto_result,
      resolution: r.resolution,
      resolvedBy: r.resolved_by,
      hunkList: JSON.parse(r.hunks) as ConflictHunk[],
      intents: JSON.parse(r.intents) as ConflictItem['intents'],
      attempts,
    };
  }

  mergeResult(m: MergeRow, message: string): MergeResult {
    const files = this.itemsOfMerge(m.id).map((r) => ({
      path: r.path,
      status: (r.status === 'auto-resolved' ? 'auto-resolved' : 'escalated') as 'auto-resolved' | 'escalated',
      strategies: [...new Set((JSON.parse(r.hunks) as ConflictHunk[]).map((h) => h.strategy).filter((s): s is string => !!s))],
      reason: r.reason,
      itemId: r.id,
    }));
    return { id: m.id, agent: m.agent, branch: m.branch, into: m.into_branch, status: m.status as MergeResult['status'], commit: m.commit_sha, worktree: m.worktree, files, message };
  }

  claim(agent: string, repo: string, p: string, reason: string): IntentClaim {
    const at = this.now();
    const existing = this.db.prepare('SELECT id FROM intent_claims WHERE agent = ? AND repo = ? AND path = ? AND released_at IS NULL').get(agent, repo, p) as { id: number } | undefined;
    if (existing) {
      this.db.prepare('UPDATE intent_claims SET reason = ?, created_at = ? WHERE id = ?').run(reason, at, existing.id);
      return { id: existing.id, agent, repo, path: p, reason, createdAt: at };
    }
    const info = this.db.prepare('INSERT INTO intent_claims (agent, repo, path, reason, created_at) VALUES (?,?,?,?,?)').run(agent, repo, p, reason, at);
    return { id: Number(info.lastInsertRowid), agent, repo, path: p, reason, createdAt: at };
  }

  release(agent: string, paths?: string[]): number {
    const at = this.now();
    if (!paths || paths.length === 0) return this.db.prepare('UPDATE intent_claims SET released_at = ? WHERE agent = ? AND released_at IS NULL').run(at, agent).changes;
    let n = 0;
    for (const p of paths) n += this.db.prepare('UPDATE intent_claims SET released_at = ? WHERE agent = ? AND path = ? AND released_at IS NULL').run(at, agent, p).changes;
    return n;
  }

  claims(agent?: string): IntentClaim[] {
    const rows = (agent
      ? this.db.prepare('SELECT * FROM intent_claims WHERE released_at IS NULL AND agent = ? ORDER BY id').all(agent)
      : this.db.prepare('SELECT * FROM intent_claims WHERE released_at IS NULL ORDER BY id').all()) as { id: number; agent: string; repo: string; path: string; reason: string; created_at: string }[];
    return rows.map((r) => ({ id: r.id, agent: r.agent, repo: r.repo, path: r.path, reason: r.reason, createdAt: r.created_at }));
  }
}

function summary(r: ItemRow, branch: string, into: string): ConflictSummary {
  return {
    id: r.id,
    mergeId: r.merge_id,
    agent: r.agent,
    path: r.path,
    status: r.status,
    reason: r.reason,
    hunks: (JSON.parse(r.hunks) as unknown[]).length,
    branch,
    into,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
