// API keys in Redis, so every API server of a scaled-out deployment sees the same keys.
import type { Redis } from 'ioredis';
import { type ApiKey, hashSecret, type KeyStore, newKey } from './keys.ts';

export class RedisKeyStore implements KeyStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'kinema',
  ) {}

  private get keysKey() {
    return `${this.prefix}:keys`;
  }

  private hashKey(hash: string) {
    return `${this.prefix}:keyhash:${hash}`;
  }

  async create(name: string) {
    const { key, secret, hash } = newKey(name);
    await this.redis
      .multi()
      .hset(this.keysKey, key.id, JSON.stringify({ ...key, hash }))
      .set(this.hashKey(hash), key.id)
      .exec();
    return { key, secret };
  }

  async list(): Promise<ApiKey[]> {
    const all = await this.redis.hvals(this.keysKey);
    return all
      .map((raw) => {
        const { hash: _hash, ...key } = JSON.parse(raw) as ApiKey & { hash: string };
        return key;
      })
      .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  async revoke(id: string): Promise<boolean> {
    const raw = await this.redis.hget(this.keysKey, id);
    if (!raw) return false;
    const stored = JSON.parse(raw) as ApiKey & { hash: string };
    if (stored.revokedAt !== null) return false;
    stored.revokedAt = Math.floor(Date.now() / 1000);
    await this.redis
      .multi()
      .hset(this.keysKey, id, JSON.stringify(stored))
      .del(this.hashKey(stored.hash))
      .exec();
    return true;
  }

  async verify(secret: string): Promise<ApiKey | undefined> {
    const id = await this.redis.get(this.hashKey(hashSecret(secret)));
    if (!id) return undefined;
    const raw = await this.redis.hget(this.keysKey, id);
    if (!raw) return undefined;
    const { hash: _hash, ...key } = JSON.parse(raw) as ApiKey & { hash: string };
    return key.revokedAt === null ? key : undefined;
  }
}
