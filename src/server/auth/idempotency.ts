// Idempotency-Key on POSTs: the first request with a key runs and its response is stored; a retry
// with the same key and the same request gets the stored response (no second job); the same key
// with a different request is a 422; while the first is still running, a 409 the client retries.
// The fingerprint is taken over the parsed fields (file contents hashed), not the raw bytes, since
// multipart boundaries differ between retries of the same request.
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Redis } from 'ioredis';

export type IdempotencyBegin =
  | { kind: 'new' }
  | { kind: 'replay'; status: number; body: unknown }
  | { kind: 'mismatch' }
  | { kind: 'pending' };

export interface IdempotencyStore {
  begin(scope: string, key: string, fingerprint: string): Promise<IdempotencyBegin>;
  finish(scope: string, key: string, status: number, body: unknown): Promise<void>;
  /** Forgets a key whose request failed before doing anything, so a retry runs it again. */
  abandon(scope: string, key: string): Promise<void>;
}

/** How long a key is remembered. */
export const IDEMPOTENCY_TTL_S = 24 * 3600;

export async function fingerprint(route: string, fields: Record<string, unknown>): Promise<string> {
  const hash = createHash('sha256').update(route);
  const walk = async (value: unknown, path: string): Promise<void> => {
    if (value instanceof File) {
      hash.update(`${path}=file:`);
      hash.update(new Uint8Array(await value.arrayBuffer()));
    } else if (value && typeof value === 'object') {
      for (const k of Object.keys(value).sort())
        await walk((value as Record<string, unknown>)[k], `${path}.${k}`);
    } else {
      hash.update(`${path}=${JSON.stringify(value)};`);
    }
  };
  await walk(fields, '');
  return hash.digest('hex');
}

interface Row {
  fingerprint: string;
  status: number | null;
  body: string | null;
}

export class SqliteIdempotencyStore implements IdempotencyStore {
  constructor(private readonly db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS idempotency (
      scope TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, status INTEGER, body TEXT,
      created_at INTEGER NOT NULL, PRIMARY KEY (scope, key))`);
  }

  async begin(scope: string, key: string, print: string): Promise<IdempotencyBegin> {
    const now = Math.floor(Date.now() / 1000);
    this.db.prepare('DELETE FROM idempotency WHERE created_at < ?').run(now - IDEMPOTENCY_TTL_S);
    const inserted = this.db
      .prepare('INSERT OR IGNORE INTO idempotency (scope, key, fingerprint, created_at) VALUES (?, ?, ?, ?)')
      .run(scope, key, print, now);
    if (inserted.changes === 1) return { kind: 'new' };
    const row = this.db
      .prepare('SELECT fingerprint, status, body FROM idempotency WHERE scope = ? AND key = ?')
      .get(scope, key) as Row;
    if (row.fingerprint !== print) return { kind: 'mismatch' };
    if (row.status === null) return { kind: 'pending' };
    return { kind: 'replay', status: row.status, body: JSON.parse(row.body!) };
  }

  async finish(scope: string, key: string, status: number, body: unknown): Promise<void> {
    this.db
      .prepare('UPDATE idempotency SET status = ?, body = ? WHERE scope = ? AND key = ?')
      .run(status, JSON.stringify(body), scope, key);
  }

  async abandon(scope: string, key: string): Promise<void> {
    this.db.prepare('DELETE FROM idempotency WHERE scope = ? AND key = ?').run(scope, key);
  }
}

export class RedisIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'kinema',
  ) {}

  private key(scope: string, key: string) {
    return `${this.prefix}:idem:${scope}:${createHash('sha256').update(key).digest('hex')}`;
  }

  async begin(scope: string, key: string, print: string): Promise<IdempotencyBegin> {
    const k = this.key(scope, key);
    const fresh = JSON.stringify({ fingerprint: print, status: null, body: null });
    if ((await this.redis.set(k, fresh, 'EX', IDEMPOTENCY_TTL_S, 'NX')) === 'OK') return { kind: 'new' };
    const raw = await this.redis.get(k);
    if (!raw) return this.begin(scope, key, print); // expired between the two calls
    const row = JSON.parse(raw) as Row;
    if (row.fingerprint !== print) return { kind: 'mismatch' };
    if (row.status === null) return { kind: 'pending' };
    return { kind: 'replay', status: row.status, body: row.body };
  }

  async finish(scope: string, key: string, status: number, body: unknown): Promise<void> {
    const k = this.key(scope, key);
    const raw = await this.redis.get(k);
    if (!raw) return;
    const row = JSON.parse(raw) as Row;
    await this.redis.set(
      k,
      JSON.stringify({ fingerprint: row.fingerprint, status, body }),
      'EX',
      IDEMPOTENCY_TTL_S,
    );
  }

  async abandon(scope: string, key: string): Promise<void> {
    await this.redis.del(this.key(scope, key));
  }
}
