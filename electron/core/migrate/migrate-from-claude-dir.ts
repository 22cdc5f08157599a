import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HOST_FILE } from '../../../shared/contract/wire.js';
import { HiveError } from '../../../shared/errors.js';
import { Git } from '../git/git.js';
import { systemClock, type Clock } from '../ports/clock.js';
import { SnapshotStore } from '../snapshots/snapshot-store.js';
import { openDatabase, type Db } from '../store/database.js';
import { applyImport } from './apply-import.js';
import { backupSource, copyTreeVerified, type BackupResult } from './backup.js';
import { IMPORT_KINDS, ImportRecords, type ImportKind } from './import-records.js';
import { readSource, resolveClaudeDir } from './leanvibe-source.js';
import { planImport, type PlannedAgent } from './plan-import.js';
import { validateImport, type Counts, type Validation } from './validate-import.js';

export interface MigrateOptions {
  /** `<repo>/.claude` (or the repository that contains it). */
  source: string;
  dataDir: string;
  /** Reads and plans only: no backup, no rows, no blobs. */
  dryRun?: boolean;
  /** Compares the source with the store afterwards (with dryRun: only compares). */
  validate?: boolean;
  clock?: Clock;
  git?: Git;
  /**
   * Takes the data dir's host lock for the length of an import, so no host can start on the store while
   * it is written (the CLI passes the host's HostLock). Not taken for a dry run, which writes nothing.
   */
  acquireLock?: (dataDir: string) => Promise<{ release(): void }>;
}

export interface MigrateReport {
  source: string;
  repo: string;
  dataDir: string;
  dryRun: boolean;
  backup: { dir: string; files: number; bytes: number; verified: true } | null;
  /** The source had items and every one of them was imported by an earlier run. */
  alreadyImported: boolean;
  /** What was imported (or, in a dry run, would be). */
  imported: Record<ImportKind, number>;
  /** Items an earlier run imported already. */
  skipped: Record<ImportKind, number>;
  sourceCounts: Counts;
  agents: Array<Pick<PlannedAgent, 'sourceId' | 'name' | 'status' | 'oldStatus' | 'cause' | 'lastError' | 'worktree' | 'worktreeExists'>>;
  warnings: string[];
  validation: Validation | null;
  summary: string;
}

/**
 * `hive migrate`: imports the original LeanVibe `.claude/` tree into the store. Runs without a host,
 * directly on `<dataDir>/hive.db`. Order: back the source up (and verify the copy) → read everything
 * from the verified copy → plan → write it all in one transaction → optionally validate.
 */
export async function migrateFromClaudeDir(opts: MigrateOptions): Promise<MigrateReport> {
  const clock = opts.clock ?? systemClock;
  const dryRun = opts.dryRun ?? false;
  const dataDir = path.resolve(opts.dataDir);
  const claudeDir = resolveClaudeDir(opts.source);
  const sourceRoot = realpathSync(claudeDir);
  const repo = path.dirname(sourceRoot);
  // A dry run only reads (SQLite WAL lets it read beside a live host); an import must own the store.
  if (!dryRun) refuseIfHostRunning(dataDir);
  let lock: { release(): void } | null = null;
  if (!dryRun && opts.acquireLock) {
    mkdirSync(dataDir, { recursive: true });
    try {
      lock = await opts.acquireLock(dataDir);
    } catch (err) {
      if (err instanceof HiveError && err.code === 'HOST_LOCKED') {
        throw new HiveError('HOST_LOCKED', `${err.message} Stop it first, then run \`hive migrate\` again; the migration writes the store directly.`);
      }
      throw err;
    }
  }

  const now = clock.iso();
  let backup: BackupResult | null = null;
  let staging: string | null = null;
  let db: Db | null = null;
  let committed = false;
  try {
    // Everything is read from a verified copy, so what is imported is exactly what was backed up.
    let readFrom: string;
    if (dryRun) {
      staging = mkdtempSync(path.join(os.tmpdir(), 'hive-migrate-dry-'));
      readFrom = copyTreeVerified(claudeDir, path.join(staging, 'claude')).copy;
    } else {
      backup = backupSource(sourceRoot, dataDir, now);
      readFrom = backup.copy;
    }
    const source = readSource(readFrom, sourceRoot);
    db = openStore(dataDir, dryRun);
    const records = new ImportRecords(db, sourceRoot);
    const plan = await planImport({ db, source, records, sourceRoot, repo, now, git: opts.git ?? new Git() });

    const imported = Object.fromEntries(IMPORT_KINDS.map((k) => [k, 0])) as Record<ImportKind, number>;
    if (dryRun) for (const item of plan.items) imported[item.kind]++;
    else if (plan.items.length === 0 && backup) {
      // Everything was imported before: this run writes nothing, so it keeps no second backup either.
      rmSync(backup.dir, { recursive: true, force: true });
      backup = null;
    } else if (plan.items.length > 0) {
      Object.assign(imported, applyImport({ db, dataDir, clock, plan, records, sourceRoot, backupDir: backup?.dir ?? null }));
      committed = true;
    }

    let validation: Validation | null = null;
    if (opts.validate) {
      const snapshotsDir = path.join(dataDir, 'snapshots');
      // SnapshotStore creates its directory; a dry run must not, so it gets no store when there is none.
      const store = !dryRun || existsSync(snapshotsDir) ? new SnapshotStore(db, dataDir, clock) : null;
      validation = validateImport({ db, snapshots: store, source, records: new ImportRecords(db, sourceRoot), memorySetId: plan.memorySetId });
    }

    const total = Object.values(plan.skipped).reduce((a, b) => a + b, 0);
    const alreadyImported = plan.items.length === 0 && total > 0;
    const report: MigrateReport = {
      source: sourceRoot,
      repo,
      dataDir,
      dryRun,
      backup: backup ? { dir: backup.dir, files: backup.files, bytes: backup.bytes, verified: true } : null,
      alreadyImported,
      imported,
      skipped: plan.skipped,
      sourceCounts: {
        agents: source.agents.length,
        tasks: source.tasks.length,
        snapshots: source.snapshots.length,
        memoryFiles: source.memoryFiles.length,
        messages: source.messages.length,
      },
      agents: plan.agents.map(({ sourceId, name, status, oldStatus, cause, lastError, worktree, worktreeExists }) => ({
        sourceId,
        name,
        status,
        oldStatus,
        cause,
        lastError,
        worktree,
        worktreeExists,
      })),
      warnings: [...source.warnings, ...plan.warnings, ...(backup?.skipped ?? []).map((p) => `${p} is not a regular file and was not backed up.`)],
      validation,
      summary: '',
    };
    report.summary = summarize(report);
    return report;
  } catch (err) {
    if (err instanceof HiveError) throw err;
    throw new HiveError('MIGRATION_FAILED', `The migration from ${sourceRoot} failed (${(err as Error).message}). Nothing was imported.`);
  } finally {
    db?.close();
    lock?.release();
    if (staging) rmSync(staging, { recursive: true, force: true });
    // A failed import leaves no trace in the data dir (the source itself is never touched).
    if (backup && !committed) rmSync(backup.dir, { recursive: true, force: true });
  }
}

function openStore(dataDir: string, dryRun: boolean): Db {
  const file = path.join(dataDir, 'hive.db');
  if (!dryRun) return openDatabase(file);
  // A dry run writes nothing: an existing store is opened read-only, a missing one is planned against an
  // empty in-memory store with the same schema.
  return existsSync(file) ? openDatabase(file, { readonly: true }) : openDatabase(':memory:');
}

/** Refuses while a host (app or `hive serve`) has the store open: it would not see our writes coherently. */
export function refuseIfHostRunning(dataDir: string): void {
  let pid: number;
  try {
    pid = (JSON.parse(readFileSync(path.join(dataDir, HOST_FILE), 'utf8')) as { pid: number }).pid;
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0) return;
  let alive = false;
  try {
    process.kill(pid, 0);
    alive = true;
  } catch (err) {
    alive = (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (alive) {
    throw new HiveError(
      'HOST_LOCKED',
      `An Agent Hive host (pid ${pid}) is running for ${dataDir}. Stop it first (Ctrl-C on \`hive serve\`, or quit the app), then run \`hive migrate\` again; the migration writes the store directly.`,
    );
  }
}

function summarize(r: MigrateReport): string {
  const parts = (c: Record<ImportKind, number>) =>
    `${c.agent} agents, ${c.task} tasks, ${c.snapshot} snapshots, ${c['memory-file']} memory files (in ${c['agent-memory']} memory snapshots), ${c.message} messages`;
  const lines: string[] = [];
  if (r.alreadyImported) lines.push(`Already imported: every item of ${r.source} is in the store (${parts(r.skipped)}). Nothing new was written.`);
  else if (r.dryRun) lines.push(`Dry run: would import ${parts(r.imported)} from ${r.source}. Nothing was written.`);
  else lines.push(`Imported ${parts(r.imported)} from ${r.source}.`);
  if (!r.alreadyImported && Object.values(r.skipped).some((n) => n > 0)) lines.push(`Already imported before: ${parts(r.skipped)}.`);
  if (r.backup) lines.push(`Backup: ${r.backup.dir} (${r.backup.files} files, checksums verified).`);
  for (const a of r.agents) lines.push(`  ${a.sourceId} → ${a.name}: ${a.oldStatus ?? '?'} → ${a.status}${a.lastError ? ` (${a.lastError})` : ''}`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  if (r.validation) {
    lines.push(r.validation.ok ? 'Validation: source and store match (counts and checksums).' : `Validation FAILED: ${r.validation.mismatches.length} mismatch${r.validation.mismatches.length === 1 ? '' : 'es'}:`);
    for (const m of r.validation.mismatches) lines.push(`  - ${m}`);
  }
  return lines.join('\n');
}
