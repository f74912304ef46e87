// Decoding real encoded files (ffmpeg test sources and, when installed, Debian's opencv-doc
// footage): resize with crop or letterbox, resample the frame rate, probe, stream in chunks.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodeVideo, openVideo, outputSize } from '../../src/media/decode.ts';
import { encodeVideo } from '../../src/media/encode-video.ts';
import { frameAt } from '../../src/media/frames.ts';
import { probeMedia } from '../../src/media/probe.ts';
import { psnr } from '../../src/media/psnr.ts';
import { renderTestSource, tempFolder } from './fixtures.ts';

let dir: string;
let cleanup: () => Promise<void>;
let source: string;
before(async () => {
  ({ dir, cleanup } = await tempFolder());
  source = join(dir, 'testsrc.mov');
  await renderTestSource(source, {
    width: 320,
    height: 240,
    fps: 15,
    seconds: 2,
    args: ['-c:v', 'libx264', '-pix_fmt', 'yuv420p'],
  });
});
after(() => cleanup());

const REAL_FOOTAGE = '/usr/share/doc/opencv-doc/examples/data/tree.avi';

test('probe reports container, codec, size, rate, duration and exact frame count', async () => {
  const info = await probeMedia(source);
  assert.equal(info.format, 'mov');
  assert.deepEqual(
    [info.codec, info.width, info.height, info.fps, info.frames, info.isImage],
    ['h264', 320, 240, 15, 30, false],
  );
  assert.ok(Math.abs(info.durationS - 2) < 0.02);
});

test('decode resizes with centre crop (default) or letterbox, and resamples fps', async () => {
  const cropped = await decodeVideo(source, { width: 64, height: 64, fps: 8 });
  assert.deepEqual([cropped.width, cropped.height, cropped.frames, cropped.fps], [64, 64, 16, 8]);
  const boxed = await decodeVideo(source, { width: 64, height: 64, fit: 'letterbox' });
  assert.equal(boxed.frames, 30);
  // 4:3 into a square: a 64x48 picture with 8-pixel black bars above and below.
  const first = frameAt(boxed, 0);
  const rowMean = (y: number) =>
    first.subarray(y * 64 * 3, (y + 1) * 64 * 3).reduce((a, b) => a + b, 0) / (64 * 3);
  assert.ok(rowMean(0) < 2 && rowMean(63) < 2, 'bars are black');
  assert.ok(rowMean(32) > 20, 'picture in the middle');
  const half = await decodeVideo(source, { width: 160 });
  assert.deepEqual([half.width, half.height], [160, 120]);
  assert.deepEqual(outputSize({ width: 320, height: 240 }, undefined, 60), { width: 80, height: 60 });
});

test('openVideo streams in chunks of whole frames and stopping early ends ffmpeg', async () => {
  const { stream, info } = await openVideo(source, { width: 32, height: 32, framesPerChunk: 4 });
  assert.equal(info.frames, 30);
  const sizes: number[] = [];
  for await (const chunk of stream.chunks) {
    sizes.push(chunk.length / (32 * 32 * 3));
    if (sizes.length === 3) break;
  }
  assert.deepEqual(sizes, [4, 4, 4]);
});

test('real footage (opencv-doc tree.avi) round trips through the default MP4 at ≥ 35 dB', {
  skip: !existsSync(REAL_FOOTAGE),
}, async () => {
  const clip = await decodeVideo(REAL_FOOTAGE, { width: 128, height: 128, fps: 8, durationS: 2 });
  assert.ok(clip.frames >= 16 && clip.frames <= 17);
  const out = join(dir, 'tree.mp4');
  await encodeVideo(clip, out, { format: 'mp4' });
  const back = await decodeVideo(out);
  const db = psnr(clip.pixels, back.pixels);
  process.stderr.write(`# PSNR mp4 128x128 420 real footage: ${db.toFixed(2)} dB\n`);
  assert.ok(db >= 35, `PSNR ${db}`);
});
