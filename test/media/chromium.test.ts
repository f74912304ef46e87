// The MP4 we write plays in a real browser: Debian's Chromium (headless, via playwright-core)
// loads it from a local HTTP server, a <video> element reaches `ended`, and videoWidth matches
// the displayed size the encoder reports.
// Debian's Chromium decodes H.264 (checked: canPlayType says "probably"), so MP4 is tested
// directly; WebM too.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { basename, join } from 'node:path';
import { after, before, test } from 'node:test';
import { encodeVideo } from '../../src/media/encode-video.ts';
import { hasChromium, launchChromium } from '../_chromium.ts';
import { tempFolder, worldLikeClip } from './fixtures.ts';

let dir: string;
let cleanup: () => Promise<void>;
let server: Server;
let origin: string;

before(async () => {
  ({ dir, cleanup } = await tempFolder());
  // Serves only the files of the temp folder, by base name.
  server = createServer(async (req, res) => {
    const name = basename(decodeURIComponent(req.url ?? '/'));
    if (name === 'page') return res.end('<!doctype html><title>play</title>');
    const body = await readFile(join(dir, name)).catch(() => undefined);
    if (!body) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': name.endsWith('.webm') ? 'video/webm' : 'video/mp4' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
after(async () => {
  server.close();
  await cleanup();
});

test('MP4 and WebM play to the end in headless Chromium at the encoded size', {
  skip: !hasChromium(),
  timeout: 60_000,
}, async () => {
  // A small clip is stored ×4 (short side ≥ 256, see encode-video.ts): the browser shows 384x256.
  const clip = worldLikeClip(96, 64, 12, 8);
  const mp4 = await encodeVideo(clip, join(dir, 'clip.mp4'), { format: 'mp4' });
  const webm = await encodeVideo(clip, join(dir, 'clip.webm'), { format: 'webm' });
  for (const encoded of [mp4, webm])
    assert.deepEqual([encoded.displayWidth, encoded.displayHeight, encoded.upscale], [384, 256, 4]);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`${origin}/page`);
    for (const name of ['clip.mp4', 'clip.webm']) {
      const result = await page.evaluate(async (src) => {
        const video = document.createElement('video');
        video.muted = true;
        const h264 = video.canPlayType('video/mp4; codecs="avc1.64001E"');
        return new Promise<{ ended: boolean; width: number; height: number; h264: string; error?: string }>(
          (resolve) => {
            video.onended = () =>
              resolve({ ended: true, width: video.videoWidth, height: video.videoHeight, h264 });
            video.onerror = () =>
              resolve({ ended: false, width: 0, height: 0, h264, error: video.error?.message });
            video.src = src;
            video
              .play()
              .catch((err) => resolve({ ended: false, width: 0, height: 0, h264, error: String(err) }));
          },
        );
      }, `${origin}/${name}`);
      assert.deepEqual(result, { ended: true, width: 384, height: 256, h264: 'probably' }, name);
    }
  } finally {
    await browser.close();
  }
});
