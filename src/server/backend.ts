// Opening a queue backend from its URL: `sqlite:PATH` (default: kinema.db in the data folder) or
// `redis://...`. The API keys and idempotency records live in the same backend, so every API
// server sharing a Redis sees the same keys.
import { join } from 'node:path';
import { type IdempotencyStore, RedisIdempotencyStore, SqliteIdempotencyStore } from './auth/idempotency.ts';
import type { KeyStore } from './auth/keys.ts';
import { RedisKeyStore } from './auth/redisKeys.ts';
import { SqliteKeyStore } from './auth/sqliteKeys.ts';
import { DEFAULT_TIMING, type JobQueue, type QueueTiming } from './queue/queue.ts';
import { RedisQueue } from './queue/redisQueue.ts';
import { SqliteQueue } from './queue/sqliteQueue.ts';

export interface Backend {
  queue: JobQueue;
  keys: KeyStore;
  idempotency: IdempotencyStore;
}

export class QueueUrlError extends Error {
  static userError = true;
  override name = 'QueueUrlError';
}

export function openBackend(
  url: string | undefined,
  dataDir: string,
  timing: QueueTiming = DEFAULT_TIMING,
): Backend {
  const spec = url ?? `sqlite:${join(dataDir, 'kinema.db')}`;
  if (spec.startsWith('sqlite:')) {
    const file = spec.slice('sqlite:'.length);
    if (!file) throw new QueueUrlError('sqlite: needs a file path, e.g. sqlite:./data/kinema.db');
    const queue = new SqliteQueue(file, timing);
    return {
      queue,
      keys: new SqliteKeyStore(queue.database),
      idempotency: new SqliteIdempotencyStore(queue.database),
    };
  }
  if (spec.startsWith('redis://') || spec.startsWith('rediss://')) {
    const queue = new RedisQueue(spec, timing);
    return {
      queue,
      keys: new RedisKeyStore(queue.client),
      idempotency: new RedisIdempotencyStore(queue.client),
    };
  }
  throw new QueueUrlError(`unknown queue "${spec}": use sqlite:PATH or redis://HOST:PORT`);
}
