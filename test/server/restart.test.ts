// Restart: stop the server and its workers with jobs queued and one running, start again on the
// same data folder: every job completes (the running one was handed back on shutdown).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import OpenAI from 'openai';
import type { VideoSeconds, VideoSize } from 'openai/resources/videos';
import { openBackend } from '../../src/server/backend.ts';
import { startStack, waitFor } from './helpers.ts';

test('jobs queued and running when everything stops all complete after a restart', {
  timeout: 120_000,
}, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'kinema-restart-'));
  try {
    const first = await startStack({ dataDir, workers: 1 });
    const client = new OpenAI({ baseURL: `${first.url}/v1`, apiKey: first.apiKey });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const v = await client.videos.create({
        prompt: 'a green car drives left',
        size: '640x360' as VideoSize,
        seconds: '8' as VideoSeconds,
      });
      ids.push(v.id);
    }
    await waitFor('a running job', async () =>
      (await first.options.queue.get(ids[0]!))?.status === 'in_progress' ? true : undefined,
    );
    // Stop with no grace: the running job is handed back, not finished.
    await Promise.all(first.workers.map((w) => w.stop(0)));
    await first.close();
    const offline = openBackend(undefined, dataDir);
    const stopped = await Promise.all(ids.map((id) => offline.queue.get(id)));
    await offline.queue.close();
    assert.ok(stopped.every((r) => r?.status === 'queued' || r?.status === 'completed'));
    assert.ok(
      stopped.some((r) => r?.status === 'queued'),
      'something was left to do',
    );

    const second = await startStack({ dataDir, workers: 1 });
    try {
      for (const id of ids) {
        const done = await waitFor(`job ${id}`, async () => {
          const r = await second.options.queue.get(id);
          return r?.status === 'completed' || r?.status === 'failed' ? r : undefined;
        });
        assert.equal(done.status, 'completed');
      }
    } finally {
      await second.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
