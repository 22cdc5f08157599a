import { createHash } from 'node:crypto';
import type { Db } from '../store/database.js';
import type { Strategy, StrategyOutcome } from './strategy.js';
import { normalizeTrailing, splitLines } from './text-lines.js';

/**
 * rerere-like memory: a normalized fingerprint of one hunk's (base, ours, theirs) → the text a person
 * chose. Normalization only drops line-ending and trailing-space noise, so reuse needs an exact match.
 */
export function fingerprintHunk(base: readonly string[], ours: readonly string[], theirs: readonly string[]): string {
  const h = createHash('sha256');
  for (const side of [base, ours, theirs]) {
    h.update(normalizeTrailing(side.join('')));
    h.update('\u0000');
  }
  return h.digest('hex');
}

export interface LearnedRecord {
  fingerprint: string;
  resolution: string;
  path: string;
  source: string;
}

export class LearnedResolutions {
  private readonly get;
  private readonly put;
  private readonly bump;

  constructor(
    db: Db,
    private readonly now: () => string = () => new Date().toISOString(),
  ) {
    this.get = db.prepare('SELECT resolution, disagreements FROM conflict_learned WHERE fingerprint = ?');
    // A different answer to the same conflict is remembered as a disagreement: such answers are not reused.
    this.put = db.prepare(
      `INSERT INTO conflict_learned (fingerprint, resolution, path, source, created_at, uses) VALUES (?, ?, ?, ?, ?, 0)
       ON CONFLICT(fingerprint) DO UPDATE SET
         disagreements = disagreements + (CASE WHEN conflict_learned.resolution = excluded.resolution THEN 0 ELSE 1 END),
         resolution = excluded.resolution, path = excluded.path, source = excluded.source, created_at = excluded.created_at`,
    );
    this.bump = db.prepare('UPDATE conflict_learned SET uses = uses + 1 WHERE fingerprint = ?');
  }

  /** The person's answer, or null when there is none or people answered this conflict differently. */
  lookup(fingerprint: string): string | null {
    const row = this.get.get(fingerprint) as { resolution: string; disagreements: number } | undefined;
    return row && row.disagreements === 0 ? row.resolution : null;
  }

  record(r: LearnedRecord): void {
    this.put.run(r.fingerprint, r.resolution, r.path, r.source, this.now());
  }

  markUsed(fingerprint: string): void {
    this.bump.run(fingerprint);
  }
}

/** Reuses a person's earlier answer to exactly this hunk. */
export class LearnedStrategy implements Strategy {
  readonly name = 'learned';

  constructor(private readonly store: LearnedResolutions) {}

  apply(h: { base: string[]; ours: string[]; theirs: string[] }): StrategyOutcome | null {
    const fp = fingerprintHunk(h.base, h.ours, h.theirs);
    const resolution = this.store.lookup(fp);
    if (resolution === null) return null;
    this.store.markUsed(fp);
    return { kind: 'resolved', lines: splitLines(resolution), reason: `a person resolved exactly this hunk before (fingerprint ${fp.slice(0, 12)})` };
  }
}
