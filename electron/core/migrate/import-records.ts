import type { Db } from '../store/database.js';

/** Kinds of source items `hive migrate` imports; one `migrated` event is appended per kind. */
export const IMPORT_KINDS = ['agent', 'task', 'snapshot', 'agent-memory', 'memory-file', 'message'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

export interface ImportRecord {
  kind: ImportKind;
  sourceId: string;
  targetId: string;
  sha256: string;
}

/** The `migrate_imports` rows of one source tree, keyed by `kind` + source id. */
export class ImportRecords {
  private readonly rows = new Map<string, ImportRecord>();

  constructor(
    private readonly db: Db,
    readonly sourceRoot: string,
  ) {
    // A dry run on a store opened read-only may predate the table: then nothing was imported yet.
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrate_imports'").get();
    if (!hasTable) return;
    const all = db
      .prepare('SELECT kind, source_id AS sourceId, target_id AS targetId, sha256 FROM migrate_imports WHERE source_root = ?')
      .all(sourceRoot) as ImportRecord[];
    for (const r of all) this.rows.set(key(r.kind, r.sourceId), r);
  }

  get(kind: ImportKind, sourceId: string): ImportRecord | undefined {
    return this.rows.get(key(kind, sourceId));
  }

  all(kind: ImportKind): ImportRecord[] {
    return [...this.rows.values()].filter((r) => r.kind === kind);
  }

  /** Inside the import's transaction. */
  write(records: ImportRecord[], at: string): void {
    const ins = this.db.prepare(
      'INSERT INTO migrate_imports (source_root, kind, source_id, target_id, sha256, imported_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    for (const r of records) ins.run(this.sourceRoot, r.kind, r.sourceId, r.targetId, r.sha256, at);
  }
}

function key(kind: string, sourceId: string): string {
  return `${kind}\u0000${sourceId}`;
}
