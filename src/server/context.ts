// What every route factory gets: the stores and limits of one running API, as typed data.
import type { IdempotencyStore } from './auth/idempotency.ts';
import type { KeyStore } from './auth/keys.ts';
import type { RateLimitOptions, ServerLimits } from './limits.ts';
import type { JobQueue } from './queue/queue.ts';
import type { DataDir } from './storage.ts';

export interface AppOptions {
  queue: JobQueue;
  data: DataDir;
  /** null: no authentication (a local, single-user server). */
  keys: KeyStore | null;
  idempotency: IdempotencyStore;
  /** Model names the generator answers to, the first being the default; Sora names are aliases. */
  models: readonly string[];
  limits: ServerLimits;
  /** null: no rate limiting. */
  rateLimit: RateLimitOptions | null;
  /** How outputs are checked for `GET /v1/videos/{id}/provenance` (the operator's trust anchors and watermark key). */
  verification?: { trustAnchorsPem: string; watermarkKey: string };
}

/** Hono's per-request variables set by the auth middleware. */
export interface AppEnv {
  Variables: { keyId: string };
}

export const SORA_MODELS = [
  'sora-2',
  'sora-2-pro',
  'sora-2-2025-10-06',
  'sora-2-pro-2025-10-06',
  'sora-2-2025-12-08',
] as const;
