// Bad input, in-process through app.request(): each gets a clear error with the right status,
// and a fast-check fuzz of POST bodies never gets a 5xx nor leaves a corrupt record behind.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { Hono } from 'hono';
import { createApp } from '../../src/server/app.ts';
import type { AppEnv } from '../../src/server/context.ts';
import { tinyPng } from './fixtures/media.ts';
import { type Stack, startStack } from './helpers.ts';

let stack: Stack;
let app: Hono<AppEnv>;
const auth = () => ({ authorization: `Bearer ${stack.apiKey}` });

before(async () => {
  // No workers: nothing here should reach generation; small limits make "too large" cheap.
  stack = await startStack({
    workers: 0,
    limits: { maxImageBytes: 4096, maxVideoBytes: 8192, maxJsonBytes: 16_384 },
  });
  app = createApp(stack.options);
});
after(() => stack.close());

async function call(path: string, init: RequestInit = {}) {
  const res = await app.request(path, {
    ...init,
    headers: { ...auth(), ...(init.headers as Record<string, string>) },
  });
  const text = await res.text();
  let body: { error?: { message: string; type: string; param: string | null; code: string | null } } = {};
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, body, res };
}

const json = (value: unknown) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: typeof value === 'string' ? value : JSON.stringify(value),
});

function form(entries: Record<string, string | Blob>): RequestInit {
  const fd = new FormData();
  for (const [k, v] of Object.entries(entries)) fd.append(k, v);
  return { method: 'POST', body: fd };
}

async function expectError(
  path: string,
  init: RequestInit,
  status: number,
  param?: string | null,
  code?: string,
) {
  const { status: got, body } = await call(path, init);
  assert.equal(got, status, `${path}: ${JSON.stringify(body)}`);
  assert.ok(
    body.error && typeof body.error.message === 'string' && body.error.message.length > 5,
    'a clear message',
  );
  if (param !== undefined) assert.equal(body.error.param, param);
  if (code !== undefined) assert.equal(body.error.code, code);
}

describe('bad input', () => {
  test('malformed JSON and multipart', async () => {
    await expectError('/v1/videos', json('{"prompt": '), 400, null, 'invalid_json');
    await expectError('/v1/videos', json('[1,2]'), 400, null, 'invalid_json');
    await expectError(
      '/v1/videos',
      {
        method: 'POST',
        headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
        body: '--xyz\r\nbroken',
      },
      400,
      null,
      'invalid_multipart',
    );
    await expectError(
      '/v1/videos',
      { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' },
      415,
    );
  });

  test('wrong types, unknown fields, bad values', async () => {
    await expectError('/v1/videos', json({}), 400, 'prompt');
    await expectError('/v1/videos', json({ prompt: 42 }), 400, 'prompt');
    await expectError('/v1/videos', json({ prompt: '   ' }), 400, 'prompt');
    await expectError('/v1/videos', json({ prompt: 'a ball', seconds: 4 }), 400, 'seconds');
    await expectError('/v1/videos', json({ prompt: 'a ball', seconds: '99' }), 400, 'seconds');
    await expectError('/v1/videos', json({ prompt: 'a ball', size: '1280x721' }), 400, 'size');
    await expectError('/v1/videos', json({ prompt: 'a ball', size: '99999x1' }), 400, 'size');
    await expectError('/v1/videos', json({ prompt: 'a ball', seed: 'abc' }), 400, 'seed');
    await expectError('/v1/videos', json({ prompt: 'a ball', expand_prompt: 'maybe' }), 400, 'expand_prompt');
    for (const guidance_interval of [[0.9, 0.5], [0.5, 1.5], [0.5], 'soon', '0.5;0.9'])
      await expectError(
        '/v1/videos',
        json({ prompt: 'a ball', guidance_interval }),
        400,
        'guidance_interval',
      );
    await expectError(
      '/v1/videos',
      json({ prompt: 'a ball', model: 'dall-e-3' }),
      400,
      'model',
      'model_not_found',
    );
    await expectError(
      '/v1/videos',
      json({ prompt: 'a ball', colour: 'red' }),
      400,
      'colour',
      'unknown_parameter',
    );
    await expectError('/v1/videos', form({ prompt: 'a ball', 'x[y]': 'z' }), 400, 'x', 'unknown_parameter');
    await expectError(
      '/v1/videos',
      json({ prompt: 'a ball', input_reference: { image_url: 'https://example.com/a.png' } }),
      400,
      'input_reference.image_url',
      'unsupported_value',
    );
  });

  test('list query validation', async () => {
    await expectError('/v1/videos?limit=0', { method: 'GET' }, 400, 'limit');
    await expectError('/v1/videos?limit=abc', { method: 'GET' }, 400, 'limit');
    await expectError('/v1/videos?order=sideways', { method: 'GET' }, 400, 'order');
    await expectError('/v1/videos?cursor=1', { method: 'GET' }, 400, 'cursor', 'unknown_parameter');
  });

  test('a field named __proto__ cannot pollute prototypes', async () => {
    await expectError(
      '/v1/videos',
      form({ prompt: 'a ball', '__proto__[polluted]': 'yes' }),
      400,
      '__proto__',
    );
    await expectError('/v1/videos', json('{"prompt":"a ball","__proto__":{"polluted":"yes"}}'), 400);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('uploads: non-image, oversized, too-large bodies', async () => {
    const text = new Blob(['hello, I am not an image'], { type: 'image/png' });
    await expectError(
      '/v1/videos',
      form({ prompt: 'a ball', input_reference: new File([text], 'a.png') }),
      400,
      'input_reference',
      'invalid_file_format',
    );
    const big = new Uint8Array(5000);
    big.set(tinyPng().subarray(0, 8));
    await expectError(
      '/v1/videos',
      form({ prompt: 'a ball', input_reference: new File([big], 'big.png') }),
      413,
      'input_reference',
    );
    const dataUrl = `data:text/plain;base64,${Buffer.from('not an image').toString('base64')}`;
    await expectError(
      '/v1/videos',
      json({ prompt: 'a ball', input_reference: { image_url: dataUrl } }),
      400,
      'input_reference.image_url',
      'invalid_file_format',
    );
    await expectError('/v1/videos', json({ prompt: 'x'.repeat(20_000) }), 413);
    await expectError(
      '/v1/videos',
      form({ prompt: 'a ball', blob: new File([new Uint8Array(2_000_000)], 'x') }),
      413,
    );
    await expectError(
      '/v1/videos/edits',
      form({ prompt: 'edit', video: new File([tinyPng()], 'v.mp4') }),
      400,
      'video',
      'invalid_file_format',
    );
    // A valid image is accepted.
    const ok = await call(
      '/v1/videos',
      form({ prompt: 'a ball', input_reference: new File([tinyPng()], 'a.png') }),
    );
    assert.equal(ok.status, 200);
  });

  test('ids with path tricks are not found, and touch nothing', async () => {
    for (const id of [
      '..%2F..%2Fetc%2Fpasswd',
      '%2e%2e',
      'video_../../x',
      `video_${'0'.repeat(31)}g`,
      'VIDEO_' + '0'.repeat(32),
      'video_%00',
    ]) {
      await expectError(`/v1/videos/${id}`, { method: 'GET' }, 404);
      await expectError(`/v1/videos/${id}/content`, { method: 'GET' }, 404);
      await expectError(`/v1/videos/${id}`, { method: 'DELETE' }, 404);
    }
    await expectError('/v1/videos/../../etc/passwd', { method: 'GET' }, 404);
    await expectError('/v1/videos?after=..%2Fx', { method: 'GET' }, 404);
    await expectError(`/v1/videos/video_${'a'.repeat(32)}`, { method: 'GET' }, 404, null, 'not_found');
    await expectError('/v1/videos/characters/..%2Fx', { method: 'GET' }, 404);
  });

  test('a guidance interval is taken as a JSON array or as "low,high" in multipart, and shown on the video', async () => {
    const asJson = await call('/v1/videos', json({ prompt: 'a ball', guidance_interval: [0.5, 0.9] }));
    assert.equal(asJson.status, 200, JSON.stringify(asJson.body));
    const asForm = await call('/v1/videos', form({ prompt: 'a ball', guidance_interval: '0.5,0.9' }));
    assert.equal(asForm.status, 200, JSON.stringify(asForm.body));
    const plain = await call('/v1/videos', json({ prompt: 'a ball' }));
    const intervalOf = (body: unknown) =>
      (body as { kinema: { guidance_interval: unknown } }).kinema.guidance_interval;
    assert.deepEqual(intervalOf(asJson.body), [0.5, 0.9]);
    assert.deepEqual(intervalOf(asForm.body), [0.5, 0.9]);
    assert.equal(intervalOf(plain.body), null, 'not asked for: the default applies');
  });

  test('content of an unfinished video is a 409 the client will not retry', async () => {
    const { body } = await call('/v1/videos', json({ prompt: 'a ball' }));
    const { status, res } = await call(`/v1/videos/${(body as { id: string }).id}/content`);
    assert.equal(status, 409);
    assert.equal(res.headers.get('x-should-retry'), 'false');
    await expectError(
      `/v1/videos/${(body as { id: string }).id}/remix`,
      json({ prompt: 'again' }),
      409,
      'video_id',
    );
  });

  test('missing, malformed and invalid keys', async () => {
    const noKey = await app.request('/v1/videos');
    assert.equal(noKey.status, 401);
    assert.equal(((await noKey.json()) as { error: { code: string } }).error.code, 'missing_api_key');
    for (const header of ['Bearer nope', 'Basic abc', `Bearer ${stack.apiKey}x`, 'Bearer']) {
      const res = await app.request('/v1/videos', { headers: { authorization: header } });
      assert.equal(res.status, 401, header);
    }
    const openapi = await app.request('/openapi.json');
    assert.equal(openapi.status, 200);
    assert.ok(((await openapi.json()) as { paths: object }).paths);
  });
});

describe('fuzz', () => {
  const field = fc.oneof(
    fc.string(),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom('4', '8', '12', '0', '-1', '1e3', '720x1280', '96x64', '0x0', 'sora-2', 'kinema-world'),
    fc.array(fc.string(), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), { maxKeys: 3 }),
  );
  const keys = fc.constantFrom(
    'prompt',
    'model',
    'seconds',
    'size',
    'seed',
    'steps',
    'guidance_scale',
    'guidance_interval',
    'fps',
    'negative_prompt',
    'input_reference',
    'video',
    'name',
    '__proto__',
    'constructor',
    'extra',
  );
  const body = fc.dictionary(keys, field, { maxKeys: 6 });
  const path = fc.constantFrom(
    '/v1/videos',
    '/v1/videos/edits',
    '/v1/videos/extensions',
    '/v1/videos/characters',
  );

  test('JSON bodies: never a 5xx; whatever is accepted is a well-formed queued video', async () => {
    await fc.assert(
      fc.asyncProperty(path, body, async (p, b) => {
        const { status, body: res } = await call(p, json(b));
        assert.ok(status < 500, `${status} for ${JSON.stringify(b)}`);
        if (status === 200 && p !== '/v1/videos/characters') {
          const video = res as unknown as { id: string; status: string; prompt: string };
          assert.equal(video.status, 'queued');
          const stored = await stack.options.queue.get(video.id);
          assert.equal(stored?.input.prompt, video.prompt);
        } else if (status !== 200) {
          assert.ok(res.error?.message);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('multipart bodies: never a 5xx', async () => {
    const part = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.uint8Array({ maxLength: 64 }).map((b) => new File([b], 'f.bin')),
    );
    const name = fc.oneof(
      keys,
      fc.string({ maxLength: 12 }),
      keys.map((k) => `${k}[image_url]`),
      keys.map((k) => `${k}[id]`),
    );
    await fc.assert(
      fc.asyncProperty(path, fc.array(fc.tuple(name, part), { maxLength: 6 }), async (p, entries) => {
        const fd = new FormData();
        for (const [k, v] of entries) fd.append(k, v);
        const { status } = await call(p, { method: 'POST', body: fd });
        assert.ok(status < 500, `${status} for ${JSON.stringify(entries.map(([k]) => k))}`);
      }),
      { numRuns: 1000 },
    );
  });
});
