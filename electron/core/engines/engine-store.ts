import { LOCAL_ENGINE } from '../../../shared/contract/engines.js';
import { HiveError } from '../../../shared/errors.js';
import type { Db } from '../store/database.js';

/** One engine the user added. TLS material is kept here (like a docker context), never logged or evented. */
export interface EngineRecord {
  name: string;
  url: string;
  tlsCa: string | null;
  tlsCert: string | null;
  tlsKey: string | null;
  createdAt: string;
}

interface Row {
  name: string;
  url: string;
  tls_ca: string | null;
  tls_cert: string | null;
  tls_key: string | null;
  created_at: string;
}

/** The `engines` table. `local` is not a row: it is always there and means this machine's engine. */
export class EngineStore {
  constructor(private readonly db: Db) {}

  list(): EngineRecord[] {
    return (this.db.prepare('SELECT * FROM engines ORDER BY created_at, name').all() as Row[]).map(toRecord);
  }

  find(name: string): EngineRecord | null {
    const row = this.db.prepare('SELECT * FROM engines WHERE name = ?').get(name) as Row | undefined;
    return row ? toRecord(row) : null;
  }

  insert(r: EngineRecord): void {
    if (r.name === LOCAL_ENGINE) throw new HiveError('INVALID_INPUT', `"${LOCAL_ENGINE}" is this machine's engine (DOCKER_HOST or the local socket); give the new engine another name.`);
    if (this.find(r.name)) throw new HiveError('ENGINE_EXISTS', `An engine named ${JSON.stringify(r.name)} exists; remove it first (\`hive engines remove ${r.name}\`) or pick another name.`);
    this.db
      .prepare('INSERT INTO engines (name, url, tls_ca, tls_cert, tls_key, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(r.name, r.url, r.tlsCa, r.tlsCert, r.tlsKey, r.createdAt);
  }

  delete(name: string): void {
    this.db.prepare('DELETE FROM engines WHERE name = ?').run(name);
  }
}

function toRecord(r: Row): EngineRecord {
  return { name: r.name, url: r.url, tlsCa: r.tls_ca, tlsCert: r.tls_cert, tlsKey: r.tls_key, createdAt: r.created_at };
}
