import Database from 'better-sqlite3';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../shared/contract/agents.js';
import { HiveEvent } from '../../../shared/contract/events.js';
import { HiveError } from '../../../shared/errors.js';
import { AGENT_NAME_PATTERN } from '../../../shared/names.js';
import { AgentRepo, publicAgent } from '../../../electron/core/agents/agent-repo.js';
import { EventLog } from '../../../electron/core/events/event-log.js';
import { MessageStore } from '../../../electron/core/bus/message-store.js';
import { migrateFromClaudeDir } from '../../../electron/core/migrate/migrate-from-claude-dir.js';
import { SnapshotStore } from '../../../electron/core/snapshots/snapshot-store.js';
import { openDatabase, type Db } from '../../../electron/core/store/database.js';
import { systemClock } from '../../../electron/core/ports/clock.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
// CI checks out shared/ beside the clone; the fixture is read-only there, so every test works on a copy.
// A `.claude/` tree in the original system's file-based layout (registry JSON, memory files, state DB).
const FIXTURE = path.resolve(repoRoot, 'test', 'fixtures', 'leanvibe-claude');

const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

beforeAll(() => {
  if (!existsSync(path.join(FIXTURE, 'state', 'agent_hive.db'))) {
    throw new Error(`The LeanVibe fixture is missing: expected ${FIXTURE} (test/fixtures/leanvibe-claude in the repository).`);
  }
});

/** A temp repo holding a writable copy of the fixture as `.claude`, and an empty data dir. */
function setup(): { repo: string; claude: string; dataDir: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'hive-migrate-test-'));
  temps.push(root);
  const repo = path.join(root, 'repo');
  const claude = path.join(repo, '.claude');
  mkdirSync(repo, { recursive: true });
  cpSync(FIXTURE, claude, { recursive: true });
  makeWritable(claude);
  return { repo, claude, dataDir: path.join(root, 'data') };
}

function makeWritable(p: string): void {
  chmodSync(p, statSync(p).isDirectory() ? 0o755 : 0o644);
  if (statSync(p).isDirectory()) for (const n of readdirSync(p)) makeWritable(path.join(p, n));
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function store(dataDir: string): Db {
  return openDatabase(path.join(dataDir, 'hive.db'));
}

function count(db: Db, table: string): number {
  return (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
}

describe('hive migrate from the LeanVibe .claude fixture', () => {
  it('imports agents, tasks, snapshots, memory and messages after a verified backup', async () => {
    const { repo, claude, dataDir } = setup();
    const report = await migrateFromClaudeDir({ source: claude, dataDir, validate: true });

    expect(report.sourceCounts).toEqual({ agents: 6, tasks: 2, snapshots: 3, memoryFiles: 4, messages: 2 });
    expect(report.imported).toMatchObject({ agent: 6, task: 2, snapshot: 3, 'agent-memory': 6, 'memory-file': 4, message: 2 });
    expect(report.validation?.ok).toBe(true);
    expect(report.validation?.mismatches).toEqual([]);

    // The backup is a byte-for-byte copy with a manifest of checksums.
    expect(report.backup).not.toBeNull();
    const manifest = JSON.parse(readFileSync(path.join(report.backup!.dir, 'manifest.json'), 'utf8')) as { files: { path: string; sha256: string }[] };
    expect(manifest.files.map((f) => f.path).sort()).toEqual(listFiles(claude).map((f) => path.relative(claude, f)).sort());
    for (const f of manifest.files) {
      expect(sha(readFileSync(path.join(claude, f.path)))).toBe(f.sha256);
      expect(sha(readFileSync(path.join(report.backup!.dir, 'claude', f.path)))).toBe(f.sha256);
    }

    const db = store(dataDir);
    try {
      expect(count(db, 'agents')).toBe(6);
      expect(count(db, 'tasks')).toBe(2);
      expect(count(db, 'messages')).toBe(2);
      expect(count(db, 'snapshots')).toBe(3 + 6);
      const agents = db.prepare('SELECT name, status, role, task, repo, worktree, last_error, pid, options, policy FROM agents ORDER BY name').all() as Record<string, string | null>[];
      const byName = Object.fromEntries(agents.map((a) => [a.name, a]));
      // running (old db) → stopped: no live process of ours; its worktree was never recorded either.
      expect(byName['integration-specialist-v2']).toMatchObject({ status: 'stopped', pid: null, task: 'Replace API gateway simulation with a real HTTP server' });
      expect(byName['service-mesh-v2']!.status).toBe('stopped');
      // sleeping, but without a worktree it cannot wake in place: stopped, and lastError says why.
      expect(byName['frontend-v2']!.status).toBe('stopped');
      expect(byName['frontend-v2']!.last_error).toMatch(/no worktree/);
      // Registry files: completed → stopped; role, task, worktree relative to the repo holding .claude.
      const fe = byName['frontend-Jul-16-0208']!;
      expect(fe).toMatchObject({ status: 'stopped', role: 'frontend', repo });
      expect(fe.worktree).toBe(path.join(repo, 'new-worktrees', 'frontend-Jul-16-0208'));
      expect(fe.last_error).toMatch(/does not exist/);
      const options = JSON.parse(fe.options!) as { migratedFrom: { id: string; registry: Record<string, unknown> } };
      expect(options.migratedFrom.id).toBe('frontend-Jul-16-0208');
      expect(options.migratedFrom.registry).toEqual(JSON.parse(readFileSync(path.join(claude, 'agents', 'frontend-Jul-16-0208.json'), 'utf8')));
      expect(JSON.parse(fe.policy!)).toMatchObject({ autorestart: false });

      const task = db.prepare('SELECT * FROM tasks WHERE id = ?').get('task-101') as Record<string, string>;
      expect(task).toMatchObject({ agent: 'integration-specialist-v2', status: 'in_progress', priority: 1 });
      expect(JSON.parse(task.metadata!)).toMatchObject({ timeline: '3 days', pr: 106 });

      const msgs = db.prepare('SELECT * FROM messages ORDER BY seq').all() as Record<string, string | null>[];
      expect(msgs.map((m) => m.body)).toEqual(['Please report progress on PR #106', 'Gateway exposes /api/agents now; wire the cards to it']);
      expect(msgs[0]).toMatchObject({ from_agent: 'pm-agent', to_agent: 'integration-specialist-v2', type: 'task_update' });
      expect(msgs[0]!.acked_at).not.toBeNull();
      expect(msgs[1]!.delivered_at).toBeNull();
      // The message the old system had not delivered is in its recipient's inbox here (it was imported
      // without a delivery row, and the bus never handed it out); the delivered one is not.
      const bus = new MessageStore(db);
      expect(bus.unacked(msgs[1]!.to_agent!).map((m) => m.body)).toEqual([msgs[1]!.body]);
      expect(bus.unacked(msgs[0]!.to_agent!)).toEqual([]);

      const events = db.prepare("SELECT kind, agent, to_status, cause, actor, data FROM events ORDER BY id").all() as Record<string, string | null>[];
      const migrated = events.filter((e) => e.kind === 'migrated');
      expect(migrated.map((e) => (JSON.parse(e.data!) as { class: string }).class).sort()).toEqual(['agent', 'agent-memory', 'memory-file', 'message', 'snapshot', 'task']);
      const status = events.find((e) => e.kind === 'status' && e.agent === 'integration-specialist-v2')!;
      expect(status).toMatchObject({ to_status: 'stopped', actor: 'migrate' });
      expect(status.cause).toMatch(/^migrated: was running in the old system, not started here/);
      // What the API hands out for these rows satisfies the contract the GUI and CLI parse.
      expect(Agent.array().parse(new AgentRepo(db).list().map(publicAgent))).toHaveLength(6);
      expect(new EventLog(db, systemClock).list({ limit: 1000 }).map((e) => HiveEvent.parse(e))).toHaveLength(12);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  });

  it('carries every memory file byte-for-byte (sha256 each) and the old snapshots with their types', async () => {
    const { claude, dataDir } = setup();
    await migrateFromClaudeDir({ source: claude, dataDir });
    const db = store(dataDir);
    try {
      const snapshots = new SnapshotStore(db, dataDir, systemClock);
      const memoryDir = path.join(claude, 'memory');
      const names = readdirSync(memoryDir).sort();
      expect(names).toEqual(['DEEP_CONSOLIDATION_20250716_1231.md', 'ESSENTIAL_WORKFLOW_KNOWLEDGE.md', 'LATEST_MEMORY_SNAPSHOT.json', 'LIGHT_CONSOLIDATION.md']);
      for (const agent of ['frontend-Jul-16-0208', 'frontend-v2', 'service-mesh-v2']) {
        const migrated = snapshots.list(agent).find((m) => m.type === 'migrated')!;
        const { contents } = snapshots.read(migrated.id);
        const own = contents.memoryFiles.filter((f) => f.path.startsWith('.hive/memory/leanvibe-')).map((f) => f.path);
        expect(contents.memoryFiles.map((f) => f.path).filter((p) => !own.includes(p)).sort()).toEqual(names.map((n) => `.hive/memory/${n}`));
        // frontend-v2 and service-mesh-v2 had old snapshots of their own: those come along for wake.
        expect(own).toEqual(agent === 'frontend-v2' ? ['.hive/memory/leanvibe-sleep-frontend-v2_sleep_1752833564.json'] : agent === 'service-mesh-v2' ? ['.hive/memory/leanvibe-crash-service-mesh-v2_crash_1752836462.json'] : []);
        for (const n of names) {
          const original = readFileSync(path.join(memoryDir, n));
          const f = contents.memoryFiles.find((x) => x.path === `.hive/memory/${n}`)!;
          const bytes = Buffer.from(f.contentBase64, 'base64');
          expect(bytes.equals(original)).toBe(true);
          expect(f.sha256).toBe(sha(original));
        }
      }
      const old = new Database(path.join(claude, 'state', 'agent_hive.db'), { readonly: true });
      const rows = old.prepare('SELECT * FROM memory_snapshots').all() as { snapshot_id: string; agent_id: string; snapshot_type: string; memory_data: string; created_at: string }[];
      old.close();
      for (const r of rows) {
        const meta = snapshots.list(r.agent_id).find((m) => m.type === r.snapshot_type)!;
        expect(meta.createdAt).toBe(new Date(`${r.created_at}Z`).toISOString());
        const { contents } = snapshots.read(meta.id);
        expect(Buffer.from(contents.memoryFiles[0]!.contentBase64, 'base64').toString('utf8')).toBe(r.memory_data);
        expect(contents.notes).toBe(r.memory_data);
      }
    } finally {
      db.close();
    }
  });

  it('is idempotent: a second run imports nothing and says "already imported"', async () => {
    const { claude, dataDir } = setup();
    await migrateFromClaudeDir({ source: claude, dataDir });
    const db1 = store(dataDir);
    const before = ['agents', 'tasks', 'snapshots', 'messages', 'events', 'migrate_imports'].map((t) => count(db1, t));
    db1.close();
    const second = await migrateFromClaudeDir({ source: claude, dataDir, validate: true });
    expect(second.alreadyImported).toBe(true);
    expect(second.summary).toMatch(/Already imported/);
    expect(Object.values(second.imported).every((n) => n === 0)).toBe(true);
    expect(second.validation?.ok).toBe(true);
    expect(second.backup).toBeNull(); // a run that writes nothing keeps no second backup
    expect(readdirSync(path.join(dataDir, 'backups'))).toHaveLength(1);
    const db2 = store(dataDir);
    expect(['agents', 'tasks', 'snapshots', 'messages', 'events', 'migrate_imports'].map((t) => count(db2, t))).toEqual(before);
    db2.close();
  });

  it('--dry-run writes nothing and reports what it would import', async () => {
    const { claude, dataDir } = setup();
    const report = await migrateFromClaudeDir({ source: claude, dataDir, dryRun: true });
    expect(report.dryRun).toBe(true);
    expect(report.imported).toMatchObject({ agent: 6, task: 2, snapshot: 3, message: 2, 'memory-file': 4 });
    expect(report.summary).toMatch(/^Dry run: would import 6 agents, 2 tasks, 3 snapshots/);
    expect(existsSync(dataDir)).toBe(false);
    // Against an existing store too: nothing changes.
    await migrateFromClaudeDir({ source: claude, dataDir });
    const files = listFiles(dataDir).filter((f) => !/-(wal|shm)$/.test(f)).sort();
    const db = store(dataDir);
    const rows = count(db, 'events');
    db.close();
    writeFileSync(path.join(claude, 'agents', 'late.json'), JSON.stringify({ agent_id: 'late-agent', status: 'running' }));
    const dry = await migrateFromClaudeDir({ source: claude, dataDir, dryRun: true, validate: true });
    expect(dry.imported.agent).toBe(1);
    expect(dry.validation?.ok).toBe(false);
    expect(dry.validation?.mismatches).toContain('agent "late-agent": not imported');
    expect(listFiles(dataDir).filter((f) => !/-(wal|shm)$/.test(f)).sort()).toEqual(files);
    const db2 = store(dataDir);
    expect(count(db2, 'events')).toBe(rows);
    db2.close();
  });

  it('--validate detects a tampered store and lists the mismatches', async () => {
    const { claude, dataDir } = setup();
    await migrateFromClaudeDir({ source: claude, dataDir });
    const db = store(dataDir);
    db.prepare("UPDATE tasks SET description = 'changed' WHERE id = 'task-102'").run();
    db.prepare("DELETE FROM messages WHERE body LIKE 'Gateway%'").run();
    const meta = db.prepare("SELECT sha256 FROM snapshots WHERE type = 'crash'").get() as { sha256: string };
    db.close();
    const blob = path.join(dataDir, 'snapshots', meta.sha256.slice(0, 2), `${meta.sha256}.snap.gz`);
    writeFileSync(blob, Buffer.from('not a gzip file'));
    const report = await migrateFromClaudeDir({ source: claude, dataDir, validate: true });
    expect(report.validation?.ok).toBe(false);
    const m = report.validation!.mismatches;
    expect(m).toContain('task task-102: description differs from the source');
    expect(m.some((x) => /^message 2: imported as .* missing from the store$/.test(x))).toBe(true);
    expect(m.some((x) => /^snapshot service-mesh-v2_crash_1752836462: .*checksum|decompress/.test(x))).toBe(true);
    expect(m).toContain('count of tasks: source 2, store 1');
  });

  it('--from a repository with an agents/ folder of its own takes the repository\'s .claude', async () => {
    const { repo, dataDir } = setup();
    mkdirSync(path.join(repo, 'agents'), { recursive: true });
    writeFileSync(path.join(repo, 'agents', 'config.json'), JSON.stringify({ agent_id: 'config', note: 'part of the code, not the old registry' }));
    const report = await migrateFromClaudeDir({ source: repo, dataDir, dryRun: true });
    expect(report.sourceCounts.agents).toBe(6);
    expect(report.agents.map((a) => a.sourceId)).not.toContain('config');
  });

  it('an old snapshot id or type that is a path becomes a plain file name under .hive/memory', async () => {
    const { claude, dataDir } = setup();
    const old = new Database(path.join(claude, 'state', 'agent_hive.db'));
    const agent = (old.prepare('SELECT agent_id FROM memory_snapshots LIMIT 1').get() as { agent_id: string }).agent_id;
    old.prepare('INSERT INTO memory_snapshots (snapshot_id, agent_id, snapshot_type, memory_data, created_at) VALUES (?, ?, ?, ?, ?)').run('../../../../package', agent, '../x', '{"name":"pwned"}', '2025-07-18T12:00:00');
    old.close();
    await migrateFromClaudeDir({ source: claude, dataDir });
    const db = store(dataDir);
    try {
      const snapshots = new SnapshotStore(db, dataDir, systemClock);
      const files = snapshots.list(agent).flatMap((m) => snapshots.read(m.id).contents.memoryFiles.map((f) => f.path));
      const evil = [...new Set(files.filter((p) => p.startsWith('.hive/memory/leanvibe-') && p.includes('package')))];
      expect(evil).toHaveLength(1);
      expect(evil[0]).toMatch(/^\.hive\/memory\/leanvibe-_x-[0-9a-f]{8}-_package-[0-9a-f]{8}\.json$/);
      for (const p of files) expect(p).toMatch(/^\.hive\/memory\/[^/]+$/);
    } finally {
      db.close();
    }
  });

  it('stores injection-looking names and text verbatim, never executing them', async () => {
    const { repo, claude, dataDir } = setup();
    const evilId = "x; rm -rf ~ $(touch PWNED1) `touch PWNED2` 'q\" \nnext";
    const evilTask = "$(touch PWNED3); echo `id` > PWNED4 \"quoted\" 'single'\nsecond line";
    writeFileSync(path.join(claude, 'agents', 'evil.json'), JSON.stringify({ agent_id: evilId, agent_type: 'role; ls', task: evilTask, worktree_path: '../$(touch PWNED5)', status: 'running' }));
    const old = new Database(path.join(claude, 'state', 'agent_hive.db'));
    old.prepare('INSERT INTO agent_communications (from_agent, to_agent, message_type, message_content, timestamp, delivered) VALUES (?, ?, ?, ?, ?, 0)').run(evilId, 'frontend-v2', 'text', evilTask, '2025-07-18T12:00:00');
    old.close();
    const report = await migrateFromClaudeDir({ source: claude, dataDir, validate: true });
    expect(report.validation?.ok).toBe(true);
    const evil = report.agents.find((a) => a.sourceId === evilId)!;
    expect(evil.name).toMatch(AGENT_NAME_PATTERN);
    expect(evil.name).toMatch(/^x-rm-rf-touch-PWNED1-touch-PWNED2-q-next-[0-9a-f]{8}$/);
    const again = await migrateFromClaudeDir({ source: claude, dataDir });
    expect(again.alreadyImported).toBe(true);
    const db = store(dataDir);
    try {
      const row = db.prepare('SELECT task, role, options FROM agents WHERE name = ?').get(evil.name) as { task: string; role: string; options: string };
      expect(row.task).toBe(evilTask);
      expect(row.role).toBe('role; ls');
      expect((JSON.parse(row.options) as { migratedFrom: { id: string } }).migratedFrom.id).toBe(evilId);
      const msg = db.prepare('SELECT from_agent, body FROM messages WHERE body = ?').get(evilTask) as { from_agent: string };
      expect(msg.from_agent).toBe(evil.name);
    } finally {
      db.close();
    }
    for (const dir of [repo, path.dirname(repo), process.cwd(), os.homedir()]) {
      for (const n of [1, 2, 3, 4, 5]) expect(existsSync(path.join(dir, `PWNED${n}`))).toBe(false);
    }
  });

  it('imports rows whose columns the old database left empty (NULL) with defaults, and says which agent was unknown', async () => {
    const { claude, dataDir } = setup();
    const old = new Database(path.join(claude, 'state', 'agent_hive.db'));
    old.prepare('INSERT INTO tasks (task_id, agent_id, description, status, priority, created_at, updated_at, metadata) VALUES (?, ?, NULL, NULL, NULL, NULL, NULL, NULL)').run('bare-task', 'ghost');
    old.prepare('INSERT INTO memory_snapshots (snapshot_id, agent_id, snapshot_type, memory_data, created_at) VALUES (?, NULL, NULL, NULL, NULL)').run('bare-snap');
    old.prepare('INSERT INTO agent_communications (from_agent, to_agent, message_type, message_content, timestamp, delivered) VALUES (NULL, ?, NULL, NULL, NULL, NULL)').run('nobody');
    old.close();
    const report = await migrateFromClaudeDir({ source: claude, dataDir, validate: true });
    expect(report.validation?.ok).toBe(true);
    expect(report.warnings.join('\n')).toMatch(/Task bare-task belongs to "ghost", which is not among the old agents/);
    const db = store(dataDir);
    try {
      expect(db.prepare('SELECT agent, description, status, priority FROM tasks WHERE id = ?').get('bare-task')).toEqual({ agent: null, description: '', status: 'pending', priority: 5 });
      const msg = db.prepare("SELECT from_agent, to_agent, type, body, delivered_at FROM messages WHERE to_agent = 'nobody'").get();
      expect(msg).toEqual({ from_agent: 'unknown', to_agent: 'nobody', type: 'text', body: '', delivered_at: null });
      const snaps = db.prepare("SELECT agent, note FROM snapshots WHERE note LIKE '%bare-snap%'").all() as { agent: string; note: string }[];
      expect(snaps).toHaveLength(1);
      expect(snaps[0]!.agent).toBe('unknown');
      expect(snaps[0]!.note).toMatch(/bare-snap \(no type, no time\)/);
    } finally {
      db.close();
    }
  });

  it('a corrupt source database is a clear error and imports nothing', async () => {
    const { claude, dataDir } = setup();
    const dbFile = path.join(claude, 'state', 'agent_hive.db');
    const bytes = readFileSync(dbFile);
    bytes.fill(0x41, 100, 4096 * 3); // header page and the first tables' pages overwritten
    writeFileSync(dbFile, bytes);
    await expect(migrateFromClaudeDir({ source: claude, dataDir })).rejects.toMatchObject({
      code: 'MIGRATION_FAILED',
      message: expect.stringMatching(/old state database .*agent_hive\.db cannot be read .*nothing was imported/),
    });
    const db = store(dataDir);
    for (const t of ['agents', 'tasks', 'snapshots', 'messages', 'events', 'migrate_imports']) expect(count(db, t)).toBe(0);
    db.close();
    expect(listFiles(path.join(dataDir, 'backups'))).toEqual([]);
  });

  it('a failure in the middle of the transaction leaves the store exactly as it was', async () => {
    const { claude, dataDir } = setup();
    const db = store(dataDir);
    // A real failure late in the transaction: the messages are written after agents, tasks and snapshots.
    db.exec("CREATE TRIGGER fail_messages BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'disk says no'); END;");
    db.close();
    await expect(migrateFromClaudeDir({ source: claude, dataDir })).rejects.toThrow(/disk says no/);
    const after = store(dataDir);
    for (const t of ['agents', 'tasks', 'snapshots', 'messages', 'events', 'migrate_imports']) expect(count(after, t)).toBe(0);
    after.close();
    expect(listFiles(path.join(dataDir, 'snapshots'))).toEqual([]);
    expect(listFiles(path.join(dataDir, 'backups'))).toEqual([]);
  });

  it('a worktree_path that is not a linked worktree (the repository itself, any other folder) is not imported as one', async () => {
    const { repo, claude, dataDir } = setup();
    gitRepoWithWorktree(repo, path.join(repo, 'wt', 'frontend'));
    mkdirSync(path.join(repo, 'plain'), { recursive: true });
    // The repository's own checkout (".") for the sleeping frontend-v2 and a plain folder for another agent:
    // a wake started the agent there and a forced removal deleted the folder (with "." the whole repository).
    writeFileSync(path.join(claude, 'agents', 'frontend-v2.json'), JSON.stringify({ agent_id: 'frontend-v2', agent_type: 'frontend', worktree_path: '.', status: 'completed' }));
    writeFileSync(path.join(claude, 'agents', 'plain-one.json'), JSON.stringify({ agent_id: 'plain-one', agent_type: 'backend', worktree_path: 'plain', status: 'active' }));
    const report = await migrateFromClaudeDir({ source: claude, dataDir });
    for (const id of ['frontend-v2', 'plain-one']) {
      const a = report.agents.find((x) => x.sourceId === id)!;
      expect(a).toMatchObject({ status: 'stopped', worktree: '', worktreeExists: false });
      expect(a.lastError).toMatch(/is not a linked worktree of .*; spawn a new agent/);
    }
    expect(report.warnings.filter((w) => /is not a linked worktree of/.test(w))).toHaveLength(2);
    const db = store(dataDir);
    try {
      expect(db.prepare("SELECT worktree FROM agents WHERE name IN ('frontend-v2', 'plain-one')").all()).toEqual([{ worktree: '' }, { worktree: '' }]);
    } finally {
      db.close();
    }
    expect(existsSync(path.join(repo, 'README.md'))).toBe(true);
  });

  it('keeps a sleeping agent sleeping when its worktree exists, and refuses while a host runs', async () => {
    const { repo, claude, dataDir } = setup();
    gitRepoWithWorktree(repo, path.join(repo, 'wt', 'frontend'));
    // Same id as the db row: the registry file gives the worktree, the db the live status (sleeping).
    writeFileSync(path.join(claude, 'agents', 'frontend-v2.json'), JSON.stringify({ agent_id: 'frontend-v2', agent_type: 'frontend', worktree_path: 'wt/frontend', status: 'completed' }));
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path.join(dataDir, 'host.json'), JSON.stringify({ url: 'http://127.0.0.1:1', port: 1, pid: process.pid, startedAt: new Date().toISOString() }));
    await expect(migrateFromClaudeDir({ source: claude, dataDir })).rejects.toMatchObject({ code: 'HOST_LOCKED', message: expect.stringMatching(/Stop it first/) });
    expect(existsSync(path.join(dataDir, 'hive.db'))).toBe(false);
    rmSync(path.join(dataDir, 'host.json'));
    // The host lock (the CLI passes HostLock): a held lock refuses, a free one is held for the import only.
    const held = () => Promise.reject(new HiveError('HOST_LOCKED', 'Another Agent Hive host is already running.'));
    await expect(migrateFromClaudeDir({ source: claude, dataDir, acquireLock: held })).rejects.toMatchObject({ code: 'HOST_LOCKED', message: expect.stringMatching(/Stop it first/) });
    const lockLog: string[] = [];
    const free = async (d: string) => {
      lockLog.push(`acquire ${d === dataDir}`);
      return { release: () => void lockLog.push('release') };
    };
    const report = await migrateFromClaudeDir({ source: repo, dataDir, acquireLock: free }); // the repo holding .claude works too
    expect(lockLog).toEqual(['acquire true', 'release']);
    expect(report.sourceCounts.agents).toBe(6);
    expect(report.agents.find((a) => a.sourceId === 'frontend-v2')).toMatchObject({ status: 'sleeping', worktreeExists: true, lastError: null });
  });
});

/** `repo` as a git repository with one commit, and a linked worktree at `worktree`. */
function gitRepoWithWorktree(repo: string, worktree: string): void {
  const git = (...args: string[]) => spawnSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  writeFileSync(path.join(repo, 'README.md'), 'hello\n');
  git('add', 'README.md');
  git('commit', '-q', '-m', 'first');
  const r = git('worktree', 'add', '-q', '-b', 'old-agent', worktree);
  if (r.status !== 0) throw new Error(r.stderr);
}

function distIsStale(): boolean {
  const built = path.join(repoRoot, 'dist', 'electron', 'core', 'migrate', 'migrate-from-claude-dir.js');
  if (!existsSync(built) || !existsSync(path.join(repoRoot, 'dist', 'electron', 'cli', 'main.js'))) return true;
  const builtAt = statSync(built).mtimeMs;
  const sources = ['electron/cli', 'electron/core/migrate', 'electron/core/store', 'electron/core/snapshots', 'electron/core/agents', 'electron/host', 'shared'];
  return sources.some((dir) =>
    readdirSync(path.join(repoRoot, dir), { recursive: true, withFileTypes: true }).some(
      (d) => d.isFile() && d.name.endsWith('.ts') && statSync(path.join(d.parentPath, d.name)).mtimeMs > builtAt,
    ),
  );
}

describe('the built CLI: hive migrate', () => {
  beforeAll(() => {
    // `npm test` builds first; build here only when the compiled CLI is older than its sources. Type errors
    // in files still being written by others must not stop the emit we need, so the exit code is ignored.
    if (distIsStale()) spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: repoRoot, stdio: 'ignore' });
    if (!existsSync(path.join(repoRoot, 'dist', 'electron', 'cli', 'main.js'))) throw new Error('npx tsc -p tsconfig.build.json did not produce dist/electron/cli/main.js');
  }, 240_000);

  it('migrates with --json --validate, exits 1 with the mismatches after tampering, refuses while the host lock is held', async () => {
    const { claude, dataDir } = setup();
    const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'electron', 'cli', 'main.js'), '--data-dir', dataDir, 'migrate', '--from', claude, ...args], { encoding: 'utf8' });
    const dry = cli('--dry-run');
    expect(dry.status).toBe(0);
    expect(dry.stdout).toMatch(/Dry run: would import 6 agents/);
    const first = cli('--json', '--validate');
    expect(first.status, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout) as { imported: { agent: number }; validation: { ok: boolean } };
    expect(report.imported.agent).toBe(6);
    expect(report.validation.ok).toBe(true);
    const db = store(dataDir);
    db.prepare("UPDATE tasks SET description = 'x' WHERE id = 'task-101'").run();
    db.close();
    const second = cli('--validate');
    expect(second.status).toBe(1);
    expect(second.stdout).toMatch(/Already imported/);
    expect(second.stdout).toMatch(/Validation FAILED: 2 mismatches:\n {2}- task task-101: description differs from the source\n {2}- count of tasks: source 2, store 1/);
    // A host holding the data dir's lock (what `hive serve` takes) makes an import refuse.
    const holder = spawn('flock', ['-n', path.join(dataDir, 'host.lock'), 'sh', '-c', 'echo locked; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'ignore'] });
    await new Promise((r) => holder.stdout.once('data', r));
    try {
      writeFileSync(path.join(claude, 'agents', 'new.json'), JSON.stringify({ agent_id: 'new-agent', status: 'running' }));
      const locked = cli();
      expect(locked.status).toBe(1);
      expect(locked.stderr).toMatch(/already running.*Stop it first.*\[HOST_LOCKED\]/s);
    } finally {
      holder.stdin.end();
      holder.kill();
    }
    const bad = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'electron', 'cli', 'main.js'), '--data-dir', dataDir, 'migrate', '--from', path.join(dataDir, 'nope')], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/is not a directory.*\[MIGRATION_FAILED\]/);
  });
});
