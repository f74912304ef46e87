// Decoding real encoded files (ffmpeg test sources and, when installed, Debian's opencv-doc
// footage): resize with crop or letterbox, resample the frame rate, probe, stream in chunks.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { nominalRate } from '../../src/media/container-index.ts';
import { decodeVideo, openVideo, outputSize } from '../../src/media/decode.ts';
import { encodeVideo } from '../../src/media/encode-video.ts';
import { frameAt } from '../../src/media/frames.ts';
import { probeMedia } from '../../src/media/probe.ts';
import { psnr } from '../../src/media/psnr.ts';
import { runFfmpeg } from '../provenance/_ffmpeg.ts';
import { renderTestSource, tempFolder, worldLikeClip } from './fixtures.ts';

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

test('the in-process index probe and the ffmpeg probe agree (MOV, MP4, WebM, odd rates, size tags)', async () => {
  const files = [source];
  for (const [name, fps, format] of [
    ['ntsc.mp4', 29.97, 'mp4'],
    ['small.webm', 12, 'webm'],
  ] as const) {
    const file = join(dir, name);
    await encodeVideo(worldLikeClip(48, 32, 20, fps), file, { format });
    files.push(file);
  }
  for (const file of files) {
    const fast = await probeMedia(file);
    const slow = await probeMedia(file, { readIndex: false });
    // ffmpeg prints durations to 1/100 s; the index has them exactly
    assert.ok(
      Math.abs(fast.durationS - slow.durationS) <= 0.01,
      `${file}: ${fast.durationS} vs ${slow.durationS}`,
    );
    assert.deepEqual({ ...fast, durationS: 0 }, { ...slow, durationS: 0 }, file);
  }
});

test('frame rates measured from millisecond timestamps snap to the nominal rate', () => {
  assert.deepEqual(
    [12.002, 29.97, 30.01, 59.9401, 23.976, 24.3, 7.5].map(nominalRate),
    [12, 29.97, 30, 59.94, 23.976, 24.3, 7.5],
  );
});

test('a rotated (portrait phone) video probes and decodes upright with both probes', async () => {
  const rotated = join(dir, 'portrait.mp4');
  await runFfmpeg(['-v', 'error', '-i', source, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', '-y', rotated]);
  for (const readIndex of [true, false]) {
    const info = await probeMedia(rotated, { readIndex });
    assert.deepEqual([info.width, info.height], [240, 320], `readIndex ${readIndex}`);
    const video = await decodeVideo(rotated, { readIndex });
    assert.deepEqual([video.width, video.height, video.frames], [240, 320, 30]);
    // upright, not squashed: the landscape frame turned a quarter, so its first row is the
    // source's first or last column
    const first = frameAt(video, 0);
    const plain = frameAt(await decodeVideo(source), 0);
    const column = (x: number) => Array.from({ length: 240 }, (_, y) => plain[(y * 320 + x) * 3]!);
    const row = Array.from({ length: 240 }, (_, x) => first[x * 3]!);
    const closeTo = (a: number[], b: number[]) =>
      a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length < 8;
    assert.ok(
      closeTo(row, column(0)) ||
        closeTo(row, column(319)) ||
        closeTo(row, column(0).reverse()) ||
        closeTo(row, column(319).reverse()),
      'first row of the turned frame is a column of the source',
    );
  }
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
