// API keys from the CLI, per-key rate limits, and Idempotency-Key, against a real server.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import OpenAI, { AuthenticationError, RateLimitError } from 'openai';
import { createApp } from '../../src/server/app.ts';
import { openBackend } from '../../src/server/backend.ts';
import { listen, type RunningServer } from '../../src/server/httpServer.ts';
import { DEFAULT_LIMITS } from '../../src/server/limits.ts';
import { DataDir } from '../../src/server/storage.ts';
import { type Stack, startStack } from './helpers.ts';

const run = promisify(execFile);
const cli = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'test/server/fixtures/cli.ts', ...args]);

let stack: Stack;
before(async () => {
  stack = await startStack({ workers: 0, rateLimitPerMinute: 5 });
});
after(() => stack.close());

test('kinema keys create | list | revoke, and the server honours them', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kinema-keys-'));
  let server: RunningServer | undefined;
  const backend = openBackend(undefined, dir);
  try {
    const created = JSON.parse((await cli('keys', 'create', 'alice', '--data', dir, '--json')).stdout) as {
      id: string;
      secret: string;
    };
    assert.match(created.secret, /^kin_[A-Za-z0-9_-]{43}$/);
    const listed = (await cli('keys', 'list', '--data', dir)).stdout;
    assert.match(listed, new RegExp(`${created.id}.*alice.*active`));
    assert.ok(!listed.includes(created.secret), 'secrets are never listed');

    const data = new DataDir(dir);
    await data.init();
    const app = createApp({
      queue: backend.queue,
      data,
      keys: backend.keys,
      idempotency: backend.idempotency,
      models: ['kinema-world'],
      limits: DEFAULT_LIMITS,
      rateLimit: null,
    });
    server = await listen(app, 0);
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: created.secret, maxRetries: 0 });
    assert.equal((await client.videos.list()).data.length, 0);

    await cli('keys', 'revoke', created.id, '--data', dir);
    assert.match((await cli('keys', 'list', '--data', dir)).stdout, /revoked/);
    await assert.rejects(client.videos.list(), AuthenticationError);
    await assert.rejects(cli('keys', 'revoke', '../etc', '--data', dir), /not a key id/);
  } finally {
    await server?.close();
    await backend.queue.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('rate limit: x-ratelimit-* headers, then 429 with retry-after', async () => {
  const res = await fetch(`${stack.url}/v1/videos`, { headers: { authorization: `Bearer ${stack.apiKey}` } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-ratelimit-limit-requests'), '5');
  assert.equal(res.headers.get('x-ratelimit-remaining-requests'), '4');
  assert.match(res.headers.get('x-ratelimit-reset-requests')!, /^\d+(\.\d+)?s$/);
  const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: stack.apiKey, maxRetries: 0 });
  let limited: unknown;
  for (let i = 0; i < 10 && !limited; i++) await client.videos.list().catch((e) => (limited = e));
  assert.ok(limited instanceof RateLimitError);
  assert.ok(Number(limited.headers?.get('retry-after')) >= 1);
});

test('Idempotency-Key: a retry returns the same video, a different body is refused', async () => {
  const { secret } = await stack.options.keys!.create('idem');
  const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: secret, maxRetries: 0 });
  const headers = { 'Idempotency-Key': 'req-123' };
  const first = await client.videos.create({ prompt: 'a red ball' }, { headers });
  const again = await client.videos.create({ prompt: 'a red ball' }, { headers });
  assert.equal(again.id, first.id);
  const other = await client.videos.create(
    { prompt: 'a red ball' },
    { headers: { 'Idempotency-Key': 'req-456' } },
  );
  assert.notEqual(other.id, first.id);
  await assert.rejects(
    client.videos.create({ prompt: 'a blue ball' }, { headers }),
    (e: { status?: number }) => e.status === 422,
  );
  // Keys are per API key: another key may use the same Idempotency-Key.
  const mine = await new OpenAI({
    baseURL: `${stack.url}/v1`,
    apiKey: (await stack.options.keys!.create('x')).secret,
  }).videos.create({ prompt: 'a red ball' }, { headers });
  assert.notEqual(mine.id, first.id);
});
