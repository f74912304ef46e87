// API keys. The secret ("kin_" + 32 random bytes, base64url) is shown once, at creation; only its
// SHA-256 is stored, so a leaked database does not leak keys. A key is found by its hash, which
// leaks nothing through timing about the stored secrets.
import { createHash, randomBytes } from 'node:crypto';
import { newId } from '../ids.ts';

export interface ApiKey {
  id: string;
  name: string;
  /** The first characters of the secret, to tell keys apart in listings. */
  prefix: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface KeyStore {
  create(name: string): Promise<{ key: ApiKey; secret: string }>;
  list(): Promise<ApiKey[]>;
  /** True when a key with that id existed and was not already revoked. */
  revoke(id: string): Promise<boolean>;
  /** The active key a bearer secret belongs to. */
  verify(secret: string): Promise<ApiKey | undefined>;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function newKey(name: string): { key: ApiKey; secret: string; hash: string } {
  const secret = `kin_${randomBytes(32).toString('base64url')}`;
  const key: ApiKey = {
    id: newId('key'),
    name,
    prefix: secret.slice(0, 8),
    createdAt: Math.floor(Date.now() / 1000),
    revokedAt: null,
  };
  return { key, secret, hash: hashSecret(secret) };
}
