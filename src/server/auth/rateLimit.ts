// Per-key rate limits: a token bucket per API key that refills continuously and holds one
// minute's worth of requests. Kept in this process's memory: with several API servers each
// enforces the limit on its own share of the traffic (documented; a shared limit would need Redis).
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetS: number;
  /** When refused: seconds until one request is allowed. */
  retryAfterS: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly perMinute: number) {}

  take(key: string, now = Date.now()): RateDecision {
    const rate = this.perMinute / 60_000; // tokens per ms
    const bucket = this.buckets.get(key) ?? { tokens: this.perMinute, at: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * rate);
    bucket.at = now;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    return {
      allowed,
      limit: this.perMinute,
      remaining: Math.floor(bucket.tokens),
      resetS: (this.perMinute - bucket.tokens) / rate / 1000,
      retryAfterS: allowed ? 0 : (1 - bucket.tokens) / rate / 1000,
    };
  }
}
