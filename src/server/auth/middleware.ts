// Bearer API keys and per-key rate limits, as hono middleware over /v1.
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.ts';
import { ApiError } from '../errors.ts';
import type { KeyStore } from './keys.ts';
import type { RateLimiter } from './rateLimit.ts';

const unauthorized = (message: string, code: string) =>
  new ApiError(401, message, 'authentication_error', code);

/** With no key store the server is open (local use) and every request shares one scope. */
export function requireKey(keys: KeyStore | null): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!keys) {
      c.set('keyId', 'local');
      return next();
    }
    const header = c.req.header('authorization');
    if (!header)
      throw unauthorized(
        'no API key: send "Authorization: Bearer <key>" (create one with `kinema keys create`)',
        'missing_api_key',
      );
    const m = /^Bearer ([\x21-\x7e]{1,200})$/.exec(header);
    const key = m ? await keys.verify(m[1]!) : undefined;
    if (!key) throw unauthorized('invalid or revoked API key', 'invalid_api_key');
    c.set('keyId', key.id);
    return next();
  };
}

/** x-ratelimit-* headers on every answer; 429 with retry-after when the key's bucket is empty. */
export function rateLimit(limiter: RateLimiter): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const d = limiter.take(c.get('keyId'));
    const headers = {
      'x-ratelimit-limit-requests': String(d.limit),
      'x-ratelimit-remaining-requests': String(d.remaining),
      'x-ratelimit-reset-requests': `${d.resetS.toFixed(3)}s`,
    };
    if (!d.allowed) {
      throw new ApiError(
        429,
        `rate limit of ${d.limit} requests per minute reached for this key`,
        'rate_limit_error',
        'rate_limit_exceeded',
        null,
        {
          ...headers,
          'retry-after': String(Math.max(1, Math.ceil(d.retryAfterS))),
          'retry-after-ms': String(Math.ceil(d.retryAfterS * 1000)),
        },
      );
    }
    await next();
    for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
  };
}
