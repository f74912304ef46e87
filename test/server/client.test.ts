// Acceptance: the official openai client, unchanged but for baseURL and key, drives the whole
// Videos API against a real server, for both queue backends.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI, { NotFoundError, toFile } from 'openai';
import type { Video, VideoCreateParams, VideoSeconds, VideoSize } from 'openai/resources/videos';
import type { VideoObject } from '../../src/server/video.ts';
import { isMp4, isPng, tinyPng } from './fixtures/media.ts';
import { type RedisServer, type Stack, startRedis, startStack, waitFor } from './helpers.ts';

// Kinema sizes and durations are an extension the client's literal types do not list.
const SMALL = { size: '96x64' as VideoSize, seconds: '2' as VideoSeconds };

async function untilDone(client: OpenAI, id: string): Promise<Video> {
  return waitFor(`video ${id}`, async () => {
    const v = await client.videos.retrieve(id);
    assert.ok(v.progress >= 0 && v.progress <= 100);
    return v.status === 'completed' || v.status === 'failed' ? v : undefined;
  });
}

async function bytes(response: Response): Promise<Uint8Array> {
  return new Uint8Array(await response.arrayBuffer());
}

function clientFlow(name: string, queueUrl: () => string | undefined) {
  describe(`openai client against ${name}`, () => {
    let stack: Stack;
    let client: OpenAI;
    before(async () => {
      // as `kinema serve` runs them: each worker's pipeline in a thread of its own
      stack = await startStack({ queueUrl: queueUrl(), workers: 2, threads: true });
      client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: stack.apiKey, maxRetries: 0 });
    });
    after(() => stack.close());

    test('create → poll → download → list → remix → edit → extend → delete', async () => {
      const created = await client.videos.create({
        prompt: 'a red ball bounces on grass',
        ...SMALL,
        input_reference: await toFile(tinyPng(), 'ref.png', { type: 'image/png' }),
      });
      assert.equal(created.object, 'video');
      assert.match(created.id, /^video_[0-9a-f]{32}$/);
      assert.ok(['queued', 'in_progress'].includes(created.status));
      assert.equal(created.size, '96x64');

      const done = await untilDone(client, created.id);
      assert.equal(done.status, 'completed', JSON.stringify(done.error));
      assert.equal(done.progress, 100);
      assert.ok(done.completed_at! >= done.created_at);
      assert.ok(done.expires_at! > done.completed_at!);

      assert.ok(isMp4(await bytes(await client.videos.downloadContent(created.id))));
      assert.ok(
        isPng(await bytes(await client.videos.downloadContent(created.id, { variant: 'thumbnail' }))),
      );
      assert.ok(
        isPng(await bytes(await client.videos.downloadContent(created.id, { variant: 'spritesheet' }))),
      );

      // Provenance, as `kinema verify` reports it: a signed manifest and the visible mark.
      const provenance = (await client.get(`/videos/${created.id}/provenance`)) as {
        c2pa: { state: string };
        visible_watermark: { present?: boolean };
      };
      assert.equal(provenance.c2pa.state, 'trusted');
      assert.equal(provenance.visible_watermark.present, true);

      // The model read the prompt rewritten as a detailed caption of the same scene (Kinema field).
      const modelPrompt = (done as VideoObject).kinema.model_prompt;
      assert.match(modelPrompt!, /red ball.*\. .*grass/i);

      const remix = await client.videos.remix(created.id, { prompt: 'a blue star spins in the sky' });
      assert.equal(remix.remixed_from_video_id, created.id);
      assert.equal(remix.size, '96x64');
      const edit = await client.videos.edit({ prompt: 'a green cat walks left', video: { id: created.id } });
      const extend = await client.videos.extend({
        prompt: 'the ball keeps bouncing',
        seconds: '4',
        video: { id: created.id },
      });
      assert.equal(extend.seconds, '6', 'extensions report the stitched total');
      for (const v of [remix, edit, extend])
        assert.equal((await untilDone(client, v.id)).status, 'completed');
      // expand_prompt: false (a Kinema extra the client passes through) keeps the prompt as written.
      const asWritten: VideoCreateParams & { expand_prompt: boolean } = {
        prompt: 'a red ball bounces on grass',
        ...SMALL,
        expand_prompt: false,
      };
      const kept = await untilDone(client, (await client.videos.create(asWritten)).id);
      assert.equal((kept as VideoObject).kinema.model_prompt, 'a red ball bounces on grass');

      // Cursor pagination: pages of 2 over the 4 videos, newest first, then oldest first.
      const seen: string[] = [];
      await client.videos.delete(kept.id);
      for await (const v of client.videos.list({ limit: 2 })) seen.push(v.id);
      assert.deepEqual(seen, [extend.id, edit.id, remix.id, created.id]);
      const firstPage = await client.videos.list({ limit: 3, order: 'asc' });
      assert.deepEqual(
        firstPage.data.map((v) => v.id),
        [created.id, remix.id, edit.id],
      );
      assert.equal(firstPage.has_more, true);
      const nextPage = await firstPage.getNextPage();
      assert.deepEqual(
        nextPage.data.map((v) => v.id),
        [extend.id],
      );
      assert.equal(nextPage.has_more, false);

      const deleted = await client.videos.delete(remix.id);
      assert.deepEqual(deleted, { id: remix.id, object: 'video.deleted', deleted: true });
      await assert.rejects(client.videos.retrieve(remix.id), NotFoundError);
      await assert.rejects(client.videos.downloadContent(remix.id), NotFoundError);
    });

    test('characters: create from an uploaded clip, then fetch', async () => {
      const v = await client.videos.create({ prompt: 'a yellow square', ...SMALL });
      await untilDone(client, v.id);
      const clip = await bytes(await client.videos.downloadContent(v.id));
      const character = await client.videos.createCharacter({
        name: 'Sq',
        video: await toFile(clip, 'sq.mp4'),
      });
      assert.match(character.id!, /^char_[0-9a-f]{32}$/);
      assert.deepEqual(await client.videos.getCharacter(character.id!), character);
    });

    test('deleting a running job cancels it and leaves nothing on disk', async () => {
      const v = await client.videos.create({
        prompt: 'a purple heart drifts right',
        size: '640x360' as VideoSize,
        seconds: '8',
      });
      await waitFor('in progress', async () =>
        (await client.videos.retrieve(v.id)).status === 'in_progress' ? true : undefined,
      );
      await client.videos.delete(v.id);
      await assert.rejects(client.videos.retrieve(v.id), NotFoundError);
      const { readdir } = await import('node:fs/promises');
      await waitFor(
        'files removed',
        async () => ((await readdir(`${stack.dataDir}/videos`)).includes(v.id) ? undefined : true),
        20_000,
      );
    });
  });
}

let redis: RedisServer | undefined;
before(async () => {
  redis = await startRedis();
});
after(() => redis?.stop());

clientFlow('SQLite', () => undefined);
clientFlow('Redis + BullMQ', () => redis!.url);
