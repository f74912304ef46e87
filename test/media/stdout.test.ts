// ffmpeg's stdout as Kinema reads it (ffmpeg-process.ts): the same bytes whether assembled into
// whole chunks or handed on as read, a slow consumer pausing ffmpeg (bounded memory), many
// streams at once, and failures that neither hang nor leave a child behind.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ffmpegPath } from '../../src/media/ffmpeg-binary.ts';
import { ffmpegStdout, type StdoutOptions } from '../../src/media/ffmpeg-process.ts';
import { ffmpegChildren } from './fixtures.ts';

const LIMIT = { timeout: 60_000 };
const ffmpeg = ffmpegPath();

/** ffmpeg's test pattern as raw RGB on stdout: `frames` frames of width × height. */
function testPattern(width: number, height: number, frames: number): string[] {
  return [
    ...['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=25`],
    ...['-frames:v', String(frames), '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
  ];
}

async function readBytes(args: string[], options?: StdoutOptions): Promise<Uint8Array[]> {
  const pieces: Uint8Array[] = [];
  for await (const piece of ffmpegStdout({ binary: ffmpeg, args, timeoutMs: 30_000 }, options)) {
    pieces.push(piece);
  }
  return pieces;
}

test('whole chunks, a bigger first chunk, and pieces as read carry the same bytes', LIMIT, async () => {
  const frame = 64 * 48 * 3;
  const args = testPattern(64, 48, 50);
  const bytes = Buffer.concat(await readBytes(args));
  assert.equal(bytes.length, 50 * frame);
  const chunks = await readBytes(args, { chunkBytes: 8 * frame });
  assert.deepEqual(
    chunks.map((c) => c.length / frame),
    [8, 8, 8, 8, 8, 8, 2],
  );
  assert.ok(bytes.equals(Buffer.concat(chunks)));
  // One chunk for the whole output (decodeVideo when the probe's count is exact): one buffer.
  const exact = await readBytes(args, { chunkBytes: 16 * frame, firstChunkBytes: 50 * frame });
  assert.equal(exact.length, 1);
  assert.ok(bytes.equals(exact[0]!));
  // A first chunk shorter than the output: the rest comes in chunks of chunkBytes.
  const first = await readBytes(args, { chunkBytes: 16 * frame, firstChunkBytes: 10 * frame });
  assert.deepEqual(
    first.map((c) => c.length / frame),
    [10, 16, 16, 8],
  );
  assert.ok(bytes.equals(Buffer.concat(first)));
});

test('a consumer that stops reading pauses ffmpeg; memory stays bounded', LIMIT, async () => {
  const frame = 640 * 360 * 3;
  const frames = 300; // 207 MB in all
  const before = process.memoryUsage().arrayBuffers;
  let peak = 0;
  let received = 0;
  const chunks = ffmpegStdout(
    { binary: ffmpeg, args: testPattern(640, 360, frames), timeoutMs: 50_000 },
    { chunkBytes: frame, highWaterBytes: 4 * frame },
  );
  for await (const chunk of chunks) {
    // Unpaused, ffmpeg would go on meanwhile and its frames pile up here (without the pause:
    // all 207 MB).
    if (received === 0) await sleep(1500);
    received += chunk.length;
    peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
  }
  assert.equal(received, frames * frame);
  // Paused: a few frames held, plus read pieces and consumed chunks that wait for the collector
  // (measured 20–34 MB); unpaused it would be all 207 MB.
  assert.ok(peak < 64e6, `peak ${(peak / 1e6).toFixed(1)} MB of frame memory`);
});

test('many streams at once each get their own bytes', LIMIT, async () => {
  const sizes = [
    [32, 32],
    [48, 16],
    [16, 40],
    [64, 64],
  ] as const;
  const results = await Promise.all(
    sizes.map(([w, h]) => readBytes(testPattern(w, h, 20), { chunkBytes: w * h * 3 })),
  );
  for (const [i, [w, h]] of sizes.entries()) {
    const alone = Buffer.concat(await readBytes(testPattern(w, h, 20), undefined));
    assert.equal(results[i]!.length, 20);
    assert.ok(alone.equals(Buffer.concat(results[i]!)), `${w}x${h}`);
  }
});

test('a missing binary rejects, stopping early kills ffmpeg, and no child is left', LIMIT, async () => {
  await assert.rejects(async () => {
    for await (const _ of ffmpegStdout({ binary: '/nonexistent/ffmpeg', args: [], timeoutMs: 10_000 })) {
      // nothing arrives
    }
  }, /ENOENT/);
  for (let i = 0; i < 6; i++) {
    for await (const _ of ffmpegStdout(
      { binary: ffmpeg, args: testPattern(320, 240, 10_000), timeoutMs: 30_000 },
      { chunkBytes: 320 * 240 * 3 },
    )) {
      break;
    }
  }
  assert.deepEqual(ffmpegChildren(), []);
});
