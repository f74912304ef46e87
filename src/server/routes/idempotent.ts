// Runs a POST under its Idempotency-Key (when the client sent one); see auth/idempotency.ts.
import type { Context } from 'hono';
import { fingerprint, type IdempotencyStore } from '../auth/idempotency.ts';
import type { AppEnv } from '../context.ts';
import { ApiError, invalidRequest } from '../errors.ts';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export async function idempotent(
  c: Context<AppEnv>,
  store: IdempotencyStore,
  fields: Record<string, unknown>,
  run: () => Promise<unknown>,
): Promise<Response> {
  const key = c.req.header('idempotency-key');
  if (key === undefined) return c.json((await run()) as object, 200);
  if (!KEY_PATTERN.test(key))
    throw invalidRequest('Idempotency-Key must be 1-255 printable ASCII characters', 'Idempotency-Key');
  const scope = c.get('keyId');
  const begin = await store.begin(scope, key, await fingerprint(`${c.req.method} ${c.req.path}`, fields));
  if (begin.kind === 'replay') {
    c.header('idempotent-replayed', 'true');
    return c.json(begin.body as object, begin.status as 200);
  }
  if (begin.kind === 'mismatch') {
    throw new ApiError(
      422,
      'this Idempotency-Key was used with a different request',
      'invalid_request_error',
      'idempotency_key_reused',
      'Idempotency-Key',
    );
  }
  if (begin.kind === 'pending') {
    throw new ApiError(
      409,
      'a request with this Idempotency-Key is still in progress; retry shortly',
      'conflict_error',
      'idempotency_key_in_progress',
      'Idempotency-Key',
      { 'retry-after': '1' },
    );
  }
  try {
    const body = await run();
    await store.finish(scope, key, 200, body);
    return c.json(body as object, 200);
  } catch (err) {
    // Client errors are answers too: a retry with the same key gets the same error.
    if (err instanceof ApiError && err.status < 500) await store.finish(scope, key, err.status, err.body());
    else await store.abandon(scope, key);
    throw err;
  }
}
