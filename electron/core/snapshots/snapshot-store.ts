import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { decodeSnapshot, encodeSnapshot, sha256Hex } from './snapshot-codec.js';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync, existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gunzipSync, gzip, gzipSync, constants as zc, type ZlibOptions } from 'node:zlib';
import {
  type SnapshotContents,
  type SnapshotMeta,
  type SnapshotType,
} from '../../../shared/contract/snapshots.js';
import { HiveError } from '../../../shared/errors.js';
import type { Clock } from '../ports/clock.js';
import type { Db } from '../store/database.js';
import { splitMembers, tagMember } from './gzip-members.js';

const gzipAsync = promisify<Buffer, ZlibOptions, Buffer>(gzip);
const gunzipAsync = promisify<Buffer, ZlibOptions, Buffer>(gunzip);
const GZIP_OPTIONS: ZlibOptions = { level: 1, strategy: zc.Z_DEFAULT_STRATEGY };
/**
 * Blobs above this size are compressed as several gzip members in parallel on libuv's threadpool (a
 * multi-member gzip file is still one valid .gz: `gunzip`, `zcat` and Node's gunzip read it whole). With
 * 1 MiB members the ratio is within a fraction of a percent of one stream (deflate's window is 32 KiB).
 */
const GZIP_MEMBER_BYTES = 1 << 20;
/**
 * Output buffer of the threadpool (de)compressors: zlib's 16 KiB default makes a 1 MiB member ~64 hops
 * between the threadpool and the event loop, which cost more than the parallelism won (measured: async
 * gunzip of 10 MB 77–109 ms vs 45–65 ms sync; with 2 MiB chunks, members in parallel 27–37 ms).
 */
const ZLIB_CHUNK = 2 << 20;

interface SnapshotRow {
  id: string;
  agent: string;
  type: SnapshotType;
  created_at: string;
  sha256: string;
  bytes: number;
  stored_bytes: number;
  note: string | null;
}

/**
 * Snapshots: metadata in SQLite, contents as content-addressed gzip blobs under `<dataDir>/snapshots`,
 * named by the sha256 of the uncompressed JSON. A blob is fsynced and renamed into place before its row is
 * committed, so a row never points at a half-written blob.
 */
export class SnapshotStore {
  private readonly blobDir: string;

  constructor(
    private readonly db: Db,
    dataDir: string,
    private readonly clock: Clock,
  ) {
    this.blobDir = path.join(dataDir, 'snapshots');
    mkdirSync(this.blobDir, { recursive: true });
  }

  /**
   * Writes the blob and returns the row to insert; call `insert` inside the transition's transaction.
   * Synchronous (one gzip stream on this thread) for callers inside a SQLite transaction, such as `hive
   * migrate`; the agent service uses `writeBlobAsync`.
   */
  writeBlob(contents: SnapshotContents): BlobRef {
    const raw = encodeSnapshot(contents);
    const sha256 = sha256Hex(raw);
    const file = this.blobPath(sha256);
    if (existsSync(file)) return { sha256, bytes: raw.length, storedBytes: 0 };
    const gz = gzipSync(raw, GZIP_OPTIONS);
    this.writeAtomically(file, gz);
    return { sha256, bytes: raw.length, storedBytes: gz.length };
  }

  /** Told how long each async write and read took (seconds) and its size on disk: the snapshot metrics. */
  observer: ((op: 'write' | 'read', seconds: number, bytes: number) => void) | null = null;

  /** As `writeBlob`, compressing large blobs in parallel members off the event loop. */
  async writeBlobAsync(contents: SnapshotContents): Promise<BlobRef> {
    const started = performance.now();
    const blob = await this.writeBlobParallel(contents);
    this.observer?.('write', (performance.now() - started) / 1000, blob.storedBytes);
    return blob;
  }

  private async writeBlobParallel(contents: SnapshotContents): Promise<BlobRef> {
    const raw = encodeSnapshot(contents);
    // The members compress on the threadpool while this thread hashes (the hash names the file; content
    // seen before is not written again, and then the compression was for nothing: rare for large blobs).
    const members: Promise<Buffer>[] = [];
    for (let at = 0; at < raw.length; at += GZIP_MEMBER_BYTES) members.push(gzipAsync(raw.subarray(at, at + GZIP_MEMBER_BYTES), { ...GZIP_OPTIONS, chunkSize: ZLIB_CHUNK }));
    const sha256 = sha256Hex(raw);
    const file = this.blobPath(sha256);
    if (existsSync(file)) {
      await Promise.allSettled(members);
      return { sha256, bytes: raw.length, storedBytes: 0 };
    }
    // Each member of a multi-member blob says its size (gzip-members.ts): a reader inflates them in parallel.
    const gz = members.length === 1 ? await members[0]! : Buffer.concat((await Promise.all(members)).map(tagMember));
    // Another save of the same content may have landed while we compressed; the rename below is atomic
    // either way, and both wrote identical bytes.
    this.writeAtomically(file, gz);
    return { sha256, bytes: raw.length, storedBytes: gz.length };
  }

  /** fsync a temp file, then rename it into place: a reader never sees a half-written blob. */
  private writeAtomically(file: string, data: Buffer): void {
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomUUID()}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  }

  insert(agent: string, type: SnapshotType, blob: BlobRef, note: string | null): SnapshotMeta {
    const createdAt = this.clock.iso();
    const id = `${agent}-${type}-${createdAt.replace(/[-:.TZ]/g, '')}-${randomUUID().slice(0, 8)}`;
    this.db
      .prepare('INSERT INTO snapshots (id, agent, type, created_at, sha256, bytes, stored_bytes, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(id, agent, type, createdAt, blob.sha256, blob.bytes, blob.storedBytes, note);
    return { id, agent, type, createdAt, sha256: blob.sha256, bytes: blob.bytes, note };
  }

  /** Blob + row in one go (the row in its own transaction). */
  save(contents: SnapshotContents, note: string | null = null): SnapshotMeta {
    return this.insert(contents.agent, contents.type, this.writeBlob(contents), note);
  }

  /** As `save`, with the blob compressed off the event loop (`writeBlobAsync`). */
  async saveAsync(contents: SnapshotContents, note: string | null = null): Promise<SnapshotMeta> {
    return this.insert(contents.agent, contents.type, await this.writeBlobAsync(contents), note);
  }

  list(agent: string): SnapshotMeta[] {
    return (this.db.prepare('SELECT * FROM snapshots WHERE agent = ? ORDER BY created_at DESC, rowid DESC').all(agent) as SnapshotRow[]).map(toMeta);
  }

  get(id: string): SnapshotMeta {
    const row = this.db.prepare('SELECT * FROM snapshots WHERE id = ?').get(id) as SnapshotRow | undefined;
    if (!row) throw new HiveError('SNAPSHOT_NOT_FOUND', `No snapshot with id ${id}. List them with \`hive snapshots list NAME\`.`);
    return toMeta(row);
  }

  /** Reads and verifies a snapshot. A checksum mismatch is SNAPSHOT_CORRUPT, naming the previous good one. */
  read(id: string): { meta: SnapshotMeta; contents: SnapshotContents } {
    const meta = this.get(id);
    return this.decoded(meta, this.load(meta));
  }

  private decoded(meta: SnapshotMeta, checked: Buffer | string): { meta: SnapshotMeta; contents: SnapshotContents } {
    if (typeof checked === 'string') {
      const previous = this.previousGood(meta);
      throw new HiveError(
        'SNAPSHOT_CORRUPT',
        `Snapshot ${meta.id} is corrupt (${checked}) and will not be restored. ` +
          (previous ? `The previous good snapshot is ${previous.id} (${previous.createdAt}); restore it with \`hive snapshots restore ${previous.id}\`.` : 'There is no earlier good snapshot for this agent.'),
      );
    }
    try {
      return { meta, contents: decodeSnapshot(checked) };
    } catch (err) {
      throw new HiveError('SNAPSHOT_CORRUPT', `Snapshot ${meta.id} matches its checksum but cannot be read (${(err as Error).message}); it was written by an incompatible version.`);
    }
  }

  /**
   * As `read`, inflating the members of a large blob in parallel on the threadpool (what wake uses: the
   * event loop stays free and a 10 MB context restores in about half the time on two cores).
   */
  async readAsync(id: string): Promise<{ meta: SnapshotMeta; contents: SnapshotContents }> {
    const meta = this.get(id);
    const started = performance.now();
    const loaded = await this.loadAsync(meta);
    const result = this.decoded(meta, loaded);
    this.observer?.('read', (performance.now() - started) / 1000, typeof loaded === 'string' ? 0 : loaded.length);
    return result;
  }

  /** Null when the blob is present and its sha256 matches; otherwise what is wrong. */
  verify(meta: SnapshotMeta): string | null {
    const checked = this.load(meta);
    return typeof checked === 'string' ? checked : null;
  }

  /** The verified, decompressed blob, or what is wrong with it. One read, one gunzip, one hash. */
  private load(meta: SnapshotMeta): Buffer | string {
    const raw = this.readRaw(meta);
    if (typeof raw === 'string') return raw;
    let data: Buffer;
    try {
      data = gunzipSync(raw);
    } catch {
      return 'its content file does not decompress';
    }
    return this.checked(meta, data);
  }

  private async loadAsync(meta: SnapshotMeta): Promise<Buffer | string> {
    const raw = this.readRaw(meta);
    if (typeof raw === 'string') return raw;
    let data: Buffer;
    try {
      const members = splitMembers(raw);
      data = members && members.length > 1 ? Buffer.concat(await Promise.all(members.map((m) => gunzipAsync(m, { chunkSize: ZLIB_CHUNK })))) : gunzipSync(raw);
    } catch {
      return 'its content file does not decompress';
    }
    return this.checked(meta, data);
  }

  private readRaw(meta: SnapshotMeta): Buffer | string {
    try {
      return readFileSync(this.blobPath(meta.sha256));
    } catch {
      return 'its content file is missing';
    }
  }

  private checked(meta: SnapshotMeta, data: Buffer): Buffer | string {
    const actual = sha256Hex(data);
    return actual === meta.sha256 ? data : `checksum ${actual.slice(0, 12)}… does not match ${meta.sha256.slice(0, 12)}…`;
  }

  latestGood(agent: string): { meta: SnapshotMeta; contents: SnapshotContents } | null {
    for (const meta of this.list(agent)) {
      if (this.verify(meta) === null) return this.read(meta.id);
    }
    return null;
  }

  previousGood(meta: SnapshotMeta): SnapshotMeta | null {
    const older = this.list(meta.agent).filter((m) => m.createdAt < meta.createdAt || (m.createdAt === meta.createdAt && m.id !== meta.id));
    return older.find((m) => m.id !== meta.id && this.verify(m) === null) ?? null;
  }

  /** Files an agent's snapshots under another name (an agent removed: a new one of the same name starts clean). */
  retire(agent: string, as: string): number {
    return this.db.prepare('UPDATE snapshots SET agent = ? WHERE agent = ?').run(as, agent).changes;
  }

  /** Keeps the newest `keep` snapshots of an agent; deletes older rows and blobs no other row uses. */
  prune(agent: string, keep: number): number {
    const old = this.list(agent).slice(Math.max(0, keep));
    if (old.length === 0) return 0;
    const del = this.db.prepare('DELETE FROM snapshots WHERE id = ?');
    this.db.transaction(() => {
      for (const m of old) del.run(m.id);
    })();
    const stillUsed = this.db.prepare('SELECT 1 FROM snapshots WHERE sha256 = ? LIMIT 1');
    for (const m of old) {
      if (!stillUsed.get(m.sha256)) rmSync(this.blobPath(m.sha256), { force: true });
    }
    return old.length;
  }

  blobPath(sha256: string): string {
    return path.join(this.blobDir, sha256.slice(0, 2), `${sha256}.snap.gz`);
  }
}

export interface BlobRef {
  sha256: string;
  bytes: number;
  storedBytes: number;
}

function toMeta(r: SnapshotRow): SnapshotMeta {
  return { id: r.id, agent: r.agent, type: r.type, createdAt: r.created_at, sha256: r.sha256, bytes: r.bytes, note: r.note };
}
