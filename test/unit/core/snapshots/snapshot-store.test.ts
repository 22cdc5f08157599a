import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { encodeSnapshot } from '../../../../electron/core/snapshots/snapshot-codec.js';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SnapshotContents } from '../../../../shared/contract/snapshots.js';
import { HiveError } from '../../../../shared/errors.js';
import type { Clock } from '../../../../electron/core/ports/clock.js';
import { SnapshotStore } from '../../../../electron/core/snapshots/snapshot-store.js';
import { splitMembers, tagMember } from '../../../../electron/core/snapshots/gzip-members.js';
import { openDatabase, type Db } from '../../../../electron/core/store/database.js';
import { tempDir } from '../../../support/git-repo.js';

/** A clock that moves one second per reading, so snapshot order is unambiguous. */
function steppingClock(start = Date.parse('2026-01-01T00:00:00Z')): Clock {
  let t = start;
  return {
    now: () => t,
    iso: () => new Date((t += 1000)).toISOString(),
    setTimeout: () => ({ cancel() {} }),
  };
}

function contents(agent: string, over: Partial<SnapshotContents> = {}): SnapshotContents {
  const mem = Buffer.from([0, 1, 2, 255, 254, 10, 13]);
  return {
    version: 1,
    agent,
    type: 'sleep',
    createdAt: '2026-01-01T00:00:00.000Z',
    task: 'write the parser',
    role: 'dev',
    outputTail: 'line 1\nline 2\n',
    memoryFiles: [{ path: '.hive/memory/bin.dat', contentBase64: mem.toString('base64'), sha256: createHash('sha256').update(mem).digest('hex') }],
    git: { branch: `hive/${agent}`, head: 'a'.repeat(40), status: '## hive/x', patch: '' },
    sessionId: null,
    workingMemory: { k: 'v' },
    pendingMessages: [],
    notes: '',
    ...over,
  };
}

function blobFiles(dataDir: string): string[] {
  const root = path.join(dataDir, 'snapshots');
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name)
    .sort();
}

describe('SnapshotStore (real SQLite + blob files)', () => {
  let dir: string;
  let db: Db;
  let store: SnapshotStore;
  beforeEach(() => {
    dir = tempDir('hive-snap-');
    db = openDatabase(path.join(dir, 'hive.db'));
    store = new SnapshotStore(db, dir, steppingClock());
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('saves a gzip blob named by the sha256 of its encoded contents, mode 0600, and reads back exactly what was saved', () => {
    const c = contents('ada');
    const meta = store.save(c, 'a note');
    const json = encodeSnapshot(c);
    expect(meta).toMatchObject({ agent: 'ada', type: 'sleep', note: 'a note', bytes: json.length });
    expect(meta.sha256).toBe(createHash('sha256').update(json).digest('hex'));
    const file = store.blobPath(meta.sha256);
    expect(gunzipSync(readFileSync(file)).equals(json)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(store.verify(meta)).toBeNull();
    const back = store.read(meta.id);
    expect(back.meta).toEqual(meta);
    expect(back.contents).toEqual(c);
    expect(store.list('ada')).toEqual([meta]);
    // No temp files are left behind.
    expect(blobFiles(dir).every((f) => f.endsWith('.snap.gz'))).toBe(true);
  });

  it('identical contents share one blob (content addressing)', () => {
    const a = store.save(contents('ada'));
    const b = store.save(contents('ada'));
    expect(a.id).not.toBe(b.id);
    expect(a.sha256).toBe(b.sha256);
    expect(blobFiles(dir)).toHaveLength(1);
  });

  it('an unknown id is SNAPSHOT_NOT_FOUND', () => {
    expect(() => store.read('nope')).toThrowError(expect.objectContaining({ code: 'SNAPSHOT_NOT_FOUND' }));
  });

  it('a flipped byte in the blob is SNAPSHOT_CORRUPT, naming the previous good snapshot', () => {
    const good = store.save(contents('ada', { task: 'first' }));
    const bad = store.save(contents('ada', { task: 'second' }));
    const file = store.blobPath(bad.sha256);
    const bytes = readFileSync(file);
    // Flip a byte in the middle of the deflate stream (not the gzip header).
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    writeFileSync(file, bytes);
    expect(store.verify(bad)).not.toBeNull();
    let err: HiveError | undefined;
    try {
      store.read(bad.id);
    } catch (e) {
      err = e as HiveError;
    }
    expect(err?.code).toBe('SNAPSHOT_CORRUPT');
    expect(err?.message).toContain(bad.id);
    expect(err?.message).toContain(`previous good snapshot is ${good.id}`);
    expect(store.previousGood(bad)?.id).toBe(good.id);
    expect(store.latestGood('ada')?.meta.id).toBe(good.id);
    // The good one still reads.
    expect(store.read(good.id).contents.task).toBe('first');
  });

  it('a blob whose bytes decompress but hash differently is SNAPSHOT_CORRUPT too', async () => {
    const good = store.save(contents('ada', { task: 'one' }));
    const bad = store.save(contents('ada', { task: 'two' }));
    const { gzipSync } = await import('node:zlib');
    writeFileSync(store.blobPath(bad.sha256), gzipSync(Buffer.from(JSON.stringify(contents('ada', { task: 'tampered' })))));
    expect(() => store.read(bad.id)).toThrowError(expect.objectContaining({ code: 'SNAPSHOT_CORRUPT', message: expect.stringContaining(good.id) }));
  });

  it('a missing blob is SNAPSHOT_CORRUPT and says there is no earlier good one when there is none', () => {
    const only = store.save(contents('ada'));
    rmSync(store.blobPath(only.sha256));
    expect(() => store.read(only.id)).toThrowError(
      expect.objectContaining({ code: 'SNAPSHOT_CORRUPT', message: expect.stringMatching(/missing.*no earlier good snapshot/) }),
    );
  });

  it('prune keeps the newest N per agent and deletes blobs no row references any more', () => {
    const metas = [1, 2, 3, 4, 5].map((i) => store.save(contents('ada', { task: `t${i}` })));
    // An older snapshot of another agent shares the blob of ada's 1st snapshot: that blob must survive.
    const shared = store.save(contents('ada', { task: 't1' }));
    db.prepare("UPDATE snapshots SET agent = 'bob' WHERE id = ?").run(shared.id);
    const other = store.save(contents('bob', { task: 'bob only' }));
    expect(store.prune('ada', 2)).toBe(3);
    expect(store.list('ada').map((m) => m.id)).toEqual([metas[4]!.id, metas[3]!.id]);
    expect(existsSync(store.blobPath(metas[0]!.sha256))).toBe(true); // still used by bob's row
    expect(existsSync(store.blobPath(metas[1]!.sha256))).toBe(false);
    expect(existsSync(store.blobPath(metas[2]!.sha256))).toBe(false);
    expect(existsSync(store.blobPath(metas[3]!.sha256))).toBe(true);
    expect(existsSync(store.blobPath(metas[4]!.sha256))).toBe(true);
    expect(store.list('bob').map((m) => m.id).sort()).toEqual([shared.id, other.id].sort());
    expect(store.prune('ada', 2)).toBe(0);
    expect(store.prune('ada', 0)).toBe(2);
    expect(store.list('ada')).toEqual([]);
  });

  it('writeBlob + insert lets a caller commit the row inside its own transaction', () => {
    const blob = store.writeBlob(contents('ada'));
    expect(existsSync(store.blobPath(blob.sha256))).toBe(true);
    expect(() =>
      db.transaction(() => {
        store.insert('ada', 'sleep', blob, null);
        throw new Error('rolled back');
      })(),
    ).toThrow('rolled back');
    expect(store.list('ada')).toEqual([]);
  });
  it('saveAsync writes a large context as parallel gzip members that read back whole, by us and by gunzip(1)', async () => {
    // 5 MB of varied text: several 1 MiB members.
    const big = Array.from({ length: 120_000 }, (_, i) => `line ${i} ${createHash('sha1').update(String(i)).digest('hex')}\n`).join('');
    const meta = await store.saveAsync(contents('big', { outputTail: big }), 'large');
    const file = store.blobPath(meta.sha256);
    const gz = readFileSync(file);
    // Each member starts with the gzip magic; more than one member was written.
    let members = 0;
    for (let i = 0; i + 2 < gz.length; i++) if (gz[i] === 0x1f && gz[i + 1] === 0x8b && gz[i + 2] === 8) members++;
    expect(members).toBeGreaterThan(3);
    expect(gunzipSync(gz).equals(encodeSnapshot(contents('big', { outputTail: big })))).toBe(true);
    const zcat = execFileSync('gzip', ['-dc', file], { maxBuffer: 64 << 20 });
    expect(createHash('sha256').update(zcat).digest('hex')).toBe(meta.sha256);
    const { contents: back } = store.read(meta.id);
    expect(back.outputTail).toBe(big);
    expect(back.memoryFiles).toEqual(contents('big').memoryFiles);
    // Every member says its size (the HV extra field), so wake inflates them in parallel; same result.
    const parts = splitMembers(gz);
    expect(parts?.length).toBe(members);
    expect(Buffer.concat(parts!.map((m) => gunzipSync(m))).equals(gunzipSync(gz))).toBe(true);
    expect((await store.readAsync(meta.id)).contents).toEqual(back);
    // The same content again is deduplicated: one blob file.
    const again = await store.saveAsync(contents('big', { outputTail: big }));
    expect(again.sha256).toBe(meta.sha256);
    expect(blobFiles(dir).filter((f) => f.startsWith(meta.sha256))).toHaveLength(1);
    expect(blobFiles(dir).some((f) => f.endsWith('.tmp'))).toBe(false);
  });
  it('readAsync reads blobs whose members do not say their size (earlier versions, one stream) and finds corrupt ones', async () => {
    const big = Array.from({ length: 60_000 }, (_, i) => `row ${i} ${createHash('sha1').update(String(i)).digest('hex')}\n`).join('');
    const meta = await store.saveAsync(contents('old', { outputTail: big }));
    const file = store.blobPath(meta.sha256);
    const raw = encodeSnapshot(contents('old', { outputTail: big }));
    // As an earlier version wrote it: untagged 1 MiB members.
    const untagged = [] as Buffer[];
    for (let at = 0; at < raw.length; at += 1 << 20) untagged.push(gzipSync(raw.subarray(at, at + (1 << 20)), { level: 1 }));
    writeFileSync(file, Buffer.concat(untagged));
    expect(splitMembers(readFileSync(file))).toBeNull();
    expect((await store.readAsync(meta.id)).contents.outputTail).toBe(big);
    // One stream.
    writeFileSync(file, gzipSync(raw));
    expect((await store.readAsync(meta.id)).contents.outputTail).toBe(big);
    // A tagged file with a damaged member: SNAPSHOT_CORRUPT, as read() says.
    const tagged = Buffer.concat(untagged.map(tagMember));
    tagged[tagged.length - 20] ^= 0xff;
    writeFileSync(file, tagged);
    await expect(store.readAsync(meta.id)).rejects.toMatchObject({ code: 'SNAPSHOT_CORRUPT' });
    expect(() => store.read(meta.id)).toThrow(HiveError);
    // A size field that points past the end is not trusted: the file is inflated in one go (and fails here).
    const lying = Buffer.concat(untagged.map(tagMember));
    lying.writeUInt32LE(lying.length * 2, 16);
    expect(splitMembers(lying)).toBeNull();
  });
});
