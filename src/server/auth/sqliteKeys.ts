// API keys in the embedded SQLite database.
import type Database from 'better-sqlite3';
import { type ApiKey, hashSecret, type KeyStore, newKey } from './keys.ts';

interface Row {
  id: string;
  name: string;
  prefix: string;
  created_at: number;
  revoked_at: number | null;
}

const toKey = (r: Row): ApiKey => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
});

export class SqliteKeyStore implements KeyStore {
  constructor(private readonly db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS api_keys (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, prefix TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
      created_at INTEGER NOT NULL, revoked_at INTEGER)`);
  }

  async create(name: string) {
    const { key, secret, hash } = newKey(name);
    this.db
      .prepare('INSERT INTO api_keys (id, name, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(key.id, key.name, key.prefix, hash, key.createdAt);
    return { key, secret };
  }

  async list(): Promise<ApiKey[]> {
    return (this.db.prepare('SELECT * FROM api_keys ORDER BY created_at, id').all() as Row[]).map(toKey);
  }

  async revoke(id: string): Promise<boolean> {
    const now = Math.floor(Date.now() / 1000);
    return (
      this.db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now, id)
        .changes === 1
    );
  }

  async verify(secret: string): Promise<ApiKey | undefined> {
    const row = this.db
      .prepare('SELECT * FROM api_keys WHERE hash = ? AND revoked_at IS NULL')
      .get(hashSecret(secret)) as Row | undefined;
    return row && toKey(row);
  }
}
