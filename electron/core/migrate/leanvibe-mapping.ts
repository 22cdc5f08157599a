import { newAgentNameProblem } from '../../../shared/names.js';
import type { SnapshotType } from '../../../shared/contract/snapshots.js';
import type { AgentStatus } from '../../../shared/lifecycle.js';
import { sha256 } from './leanvibe-source.js';

/**
 * How the old system's values become ours. Kept apart from the import so the rules can be read (and
 * tested) as a table.
 */

export interface MappedStatus {
  status: AgentStatus;
  cause: string;
  /** Shown in `agents list` as lastError when the agent needs the user before it can run. */
  lastError: string | null;
}

/**
 * Old status → ours. An imported agent never has a live process here: we do not adopt the old pids
 * (they may be gone or reused by now, and our supervisor did not start them), so nothing is `running`.
 *
 * - running    → stopped: it was alive in the old system, but no process of ours runs it; `wake`/`restart`
 *                starts it here. Mapping to `running` would make the watchdog chase a pid we never owned.
 * - sleeping   → sleeping: the same meaning as ours (context saved, process gone); its snapshot is
 *                imported, so `wake` can restore it. Only when its worktree exists; see `withWorktree`.
 * - crashed    → crashed: faithful; the user sees it needs a restart and decides.
 * - recovering → crashed: the old system's recovery loop was in flight and died with it. Our `recovering`
 *                means *our* supervisor is restarting it right now, which is not true, so the honest state
 *                is the one recovery starts from.
 * - terminated → stopped: ended on purpose.
 * - completed (registry files) → stopped: the old spawner marks finished agents so.
 * - anything else → stopped, with the original status in the cause.
 */
export function mapStatus(old: string | null | undefined): MappedStatus {
  const s = (old ?? '').trim().toLowerCase();
  switch (s) {
    case 'running':
      return { status: 'stopped', cause: 'migrated: was running in the old system, not started here', lastError: null };
    case 'sleeping':
      return { status: 'sleeping', cause: 'migrated: was sleeping in the old system', lastError: null };
    case 'crashed':
      return { status: 'crashed', cause: 'migrated: had crashed in the old system', lastError: 'crashed in the old system before the migration' };
    case 'recovering':
      return {
        status: 'crashed',
        cause: 'migrated: was recovering in the old system; that recovery ended with it',
        lastError: 'was recovering in the old system when it was migrated; restart it here',
      };
    case 'terminated':
      return { status: 'stopped', cause: 'migrated: was terminated in the old system', lastError: null };
    case 'completed':
      return { status: 'stopped', cause: 'migrated: had completed its task in the old system', lastError: null };
    default:
      return {
        status: 'stopped',
        cause: `migrated: had status ${JSON.stringify(old ?? null)} in the old system, which has no equivalent here`,
        lastError: null,
      };
  }
}

/**
 * An agent whose worktree is gone cannot sleep, crash-restart or wake in place: it is `stopped`, and
 * lastError says what is missing so `agents list` explains it.
 */
export function withWorktree(m: MappedStatus, worktree: string | null, exists: boolean, notLinkedOf: string | null = null): MappedStatus {
  if (exists) return m;
  const why = notLinkedOf
    ? `its old worktree ${worktree} is not a linked worktree of ${notLinkedOf} (its main checkout, or another folder), which an agent never works in; spawn a new agent to continue its work`
    : worktree
      ? `its old worktree ${worktree} does not exist; recreate it or spawn a new agent`
      : 'the old system recorded no worktree for it; spawn a new agent to continue its work';
  return { status: 'stopped', cause: `${m.cause}; stopped because ${why}`, lastError: `migrated: ${why}` };
}

/**
 * Our names become tmux sessions, branches and directories (shared/names.ts). A valid old id is kept as
 * it is; anything else is made valid and given 8 hex digits of the original id's sha256, so two different
 * old ids never sanitize to the same name and the result is the same on every run.
 */
export function sanitizeName(oldId: string): string {
  if (newAgentNameProblem(oldId) === null) return oldId;
  const base = oldId
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-_]+/, '')
    .replace(/[-_]+$/, '')
    .slice(0, 55);
  return `${base || 'agent'}-${sha256(oldId).slice(0, 8)}`;
}

/** Picks `name`, or `name-2`, `name-3`, … when the store (or this import) already uses it. */
export function uniqueName(name: string, taken: (n: string) => boolean): string {
  if (!taken(name)) return name;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const candidate = name.slice(0, 64 - suffix.length) + suffix;
    if (!taken(candidate)) return candidate;
  }
}

/**
 * The old system wrote Python `datetime.isoformat()` text without a zone. We store ISO-8601 UTC; a value
 * without a zone is read as UTC (the original text is kept next to it in the item's migration data).
 */
export function normalizeTime(old: string | null | undefined, fallback: string): string {
  if (!old) return fallback;
  const t = old.trim();
  const hasZone = /([zZ]|[+-]\d{2}:?\d{2})$/.test(t);
  const ms = Date.parse(hasZone ? t : `${t.replace(' ', 'T')}Z`);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : fallback;
}

export function snapshotType(old: string | null | undefined): SnapshotType {
  return old === 'sleep' || old === 'checkpoint' || old === 'crash' ? old : 'migrated';
}

/** SnapshotContents.workingMemory is string → string: nested values are kept as their JSON text. */
export function flattenMemory(raw: string | null): Record<string, string> {
  if (!raw) return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { raw };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { value: raw };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return out;
}

/** JSON text → object for a metadata column; text that is not a JSON object is kept under `original`. */
export function parseObject(raw: string | null): Record<string, unknown> {
  if (!raw) return {};
  try {
    const v = JSON.parse(raw) as unknown;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {}
  return { original: raw };
}
