// Round trips: frames → file → frames, for every output format, with PSNR reported and checked.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeVideo } from '../../src/media/decode.ts';
import { displayUpscale, encodeVideo } from '../../src/media/encode-video.ts';
import { frameAt, type VideoFrames } from '../../src/media/frames.ts';
import { gifDelaysCs, writeGif } from '../../src/media/gif.ts';
import { writePngSequence } from '../../src/media/png.ts';
import { probeMedia } from '../../src/media/probe.ts';
import { psnr } from '../../src/media/psnr.ts';
import { writeSpritesheet } from '../../src/media/spritesheet.ts';
import { writeThumbnail } from '../../src/media/thumbnail.ts';
import { renderTestSource, tempFolder, worldLikeClip } from './fixtures.ts';

let dir: string;
let cleanup: () => Promise<void>;
before(async () => ({ dir, cleanup } = await tempFolder()));
after(() => cleanup());

function log(what: string, db: number): void {
  process.stderr.write(`# PSNR ${what}: ${db.toFixed(2)} dB\n`);
}

/** The top-left width×height region of every frame of a (possibly padded) clip. */
function cropTo(video: VideoFrames, width: number, height: number): Uint8Array {
  const out = new Uint8Array(video.frames * height * width * 3);
  for (let f = 0; f < video.frames; f++) {
    const frame = frameAt(video, f);
    for (let y = 0; y < height; y++) {
      out.set(
        frame.subarray(y * video.width * 3, (y * video.width + width) * 3),
        (f * height + y) * width * 3,
      );
    }
  }
  return out;
}

describe('MP4 (H.264)', () => {
  for (const [size, upscale] of [
    [64, 4],
    [128, 2],
  ] as const) {
    test(`${size}x${size}: exact frame count and timing, PSNR ≥ 35 dB at the default (yuv420p), stored ×${upscale}`, async () => {
      const clip = worldLikeClip(size, size, 17, 8);
      for (const chroma of ['420', '444'] as const) {
        const out = join(dir, `world${size}-${chroma}.mp4`);
        const encoded = await encodeVideo(
          clip,
          out,
          chroma === '420' ? { format: 'mp4' } : { format: 'mp4', chroma },
        );
        assert.equal(encoded.frames, 17);
        // The default plays everywhere: yuv420p, small clips shown k times larger, k even.
        const k = chroma === '420' ? upscale : 1;
        assert.deepEqual(
          [encoded.width, encoded.height, encoded.displayWidth, encoded.displayHeight, encoded.upscale],
          [size, size, k * size, k * size, k],
        );
        const info = await probeMedia(out);
        assert.equal(info.codec, 'h264');
        assert.deepEqual(
          [info.width, info.height, info.displayWidth, info.displayHeight, info.upscale],
          [size, size, k * size, k * size, k],
        );
        assert.equal(info.frames, 17);
        assert.equal(info.fps, 8);
        assert.ok(Math.abs(info.durationS - 17 / 8) < 0.011, `duration ${info.durationS}`);
        const decoded = await decodeVideo(out);
        assert.deepEqual([decoded.width, decoded.height, decoded.frames], [size, size, 17]);
        // Resampling at the source rate must not move a single frame: timestamps are exactly k/8 s.
        const resampled = await decodeVideo(out, { fps: 8 });
        assert.deepEqual(resampled.pixels, decoded.pixels);
        const db = psnr(clip.pixels, decoded.pixels);
        log(`mp4 ${size}x${size} ${chroma}`, db);
        assert.ok(db >= 35, `PSNR ${db}`);
      }
    });
  }

  test('only small clips are stored upscaled: a 320x180 request plays at 320x180', () => {
    assert.equal(displayUpscale('420', 64, 64), 4);
    assert.equal(displayUpscale('420', 128, 128), 2);
    assert.equal(displayUpscale('420', 159, 90), 4);
    assert.equal(displayUpscale('420', 320, 180), 1);
    assert.equal(displayUpscale('420', 1000, 100), 1); // ×2 would pass 1920 wide
    assert.equal(displayUpscale('444', 64, 64), 1);
  });

  test('the displayed (upscaled) frames can be decoded too, and are the picture in blocks', async () => {
    const clip = worldLikeClip(64, 32, 3, 8);
    const out = join(dir, 'blocks.mp4');
    await encodeVideo(clip, out, { format: 'mp4' });
    const shown = await decodeVideo(out, { width: 512, height: 256 });
    assert.deepEqual([shown.width, shown.height, shown.frames], [512, 256, 3]);
    // Nearest-neighbour ×8: shown pixel (8x+3, 8y+4) is close to picture pixel (x, y).
    const small = new Uint8Array(clip.pixels.length);
    for (let f = 0; f < 3; f++)
      for (let y = 0; y < 32; y++)
        for (let x = 0; x < 64; x++)
          for (let c = 0; c < 3; c++)
            small[((f * 32 + y) * 64 + x) * 3 + c] =
              shown.pixels[((f * 256 + 8 * y + 4) * 512 + 8 * x + 3) * 3 + c]!;
    assert.ok(psnr(clip.pixels, small) >= 35);
  });

  test('a size tag that does not match the stored frames is ignored', async () => {
    for (const [tag, name] of [
      ['1000x1000', 'lie-big'],
      ['100x77', 'lie-odd'],
    ] as const) {
      const out = join(dir, `${name}.mp4`);
      await renderTestSource(out, {
        width: 128,
        height: 96,
        fps: 5,
        seconds: 0.4,
        args: ['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-metadata', `comment=kinema:source-size=${tag}`],
      });
      const info = await probeMedia(out);
      assert.deepEqual([info.width, info.height, info.upscale], [128, 96, 1]);
      const decoded = await decodeVideo(out);
      assert.deepEqual([decoded.width, decoded.height, decoded.frames], [128, 96, 2]);
    }
  });

  test('odd sizes: stored ×6 by default (no padding); at upscale 1 padded by repeating the last row/column', async () => {
    const clip = worldLikeClip(63, 47, 5, 10);
    const out = join(dir, 'odd.mp4');
    const encoded = await encodeVideo(clip, out, { format: 'mp4' });
    assert.deepEqual(
      [encoded.width, encoded.height, encoded.displayWidth, encoded.displayHeight],
      [63, 47, 378, 282],
    );
    const decoded = await decodeVideo(out);
    assert.deepEqual([decoded.width, decoded.height, decoded.frames], [63, 47, 5]);
    assert.ok(psnr(clip.pixels, decoded.pixels) >= 35);

    const own = join(dir, 'odd-own.mp4');
    const padded = await encodeVideo(clip, own, { format: 'mp4', upscale: 1 });
    assert.deepEqual([padded.width, padded.height, padded.displayWidth, padded.upscale], [64, 48, 64, 1]);
    const back = await decodeVideo(own);
    assert.deepEqual([back.width, back.height, back.frames], [64, 48, 5]);
    assert.ok(psnr(clip.pixels, cropTo(back, 63, 47)) >= 28);
  });

  test('streams from a frame stream and refuses chunks that are not whole frames, leaving no file', async () => {
    const out = join(dir, 'bad-chunk.mp4');
    async function* chunks() {
      yield new Uint8Array(10);
    }
    await assert.rejects(
      encodeVideo({ width: 8, height: 8, fps: 8, chunks: chunks() }, out, { format: 'mp4' }),
      {
        name: 'UnsupportedMediaError',
      },
    );
    const left = (await readdir(dir)).filter((f) => f.includes('bad-chunk'));
    assert.deepEqual(left, []);
  });
});

test('WebM (VP9) round trip, odd size kept, stored ×6', async () => {
  const clip = worldLikeClip(65, 49, 9, 12);
  const out = join(dir, 'clip.webm');
  const encoded = await encodeVideo(clip, out, { format: 'webm' });
  assert.deepEqual(
    [encoded.width, encoded.height, encoded.displayWidth, encoded.displayHeight],
    [65, 49, 390, 294],
  );
  const info = await probeMedia(out);
  assert.deepEqual(
    [info.codec, info.width, info.height, info.displayWidth, info.frames],
    ['vp9', 65, 49, 390, 9],
  );
  const decoded = await decodeVideo(out);
  assert.equal(decoded.frames, 9);
  const db = psnr(clip.pixels, decoded.pixels);
  log('webm 65x49 420', db);
  assert.ok(db >= 35);
  const own = await encodeVideo(clip, join(dir, 'own.webm'), { format: 'webm', upscale: 1 });
  assert.deepEqual([own.width, own.height, own.displayWidth], [65, 49, 65]);
});

test('GIF round trip: frame count, total length exact, colours close', async () => {
  const clip = worldLikeClip(64, 64, 17, 8);
  const out = join(dir, 'clip.gif');
  await writeGif(clip, out);
  const info = await probeMedia(out);
  assert.equal(info.frames, 17);
  assert.equal(
    gifDelaysCs(17, 8).reduce((a, b) => a + b, 0),
    Math.round((17 * 100) / 8),
  );
  const decoded = await decodeVideo(out);
  assert.equal(decoded.frames, 17);
  const db = psnr(clip.pixels, decoded.pixels);
  log('gif 64x64', db);
  assert.ok(db >= 30);
});

test('PNG sequence is lossless and indexed', async () => {
  const clip = worldLikeClip(32, 24, 4, 8);
  const out = join(dir, 'frames');
  const { files } = await writePngSequence(clip, out);
  assert.equal(files.length, 4);
  const index = JSON.parse(await readFile(join(out, 'frames.json'), 'utf8'));
  assert.equal(index.frames[2].timeS, 0.25);
  for (let f = 0; f < 4; f++) {
    const frame = await decodeVideo(join(out, files[f]!));
    assert.deepEqual(frame.pixels, frameAt(clip, f));
  }
  await writePngSequence(worldLikeClip(32, 24, 2, 8), out); // replaces the folder whole
  assert.equal((await readdir(out)).length, 3);
  // Over a file of the same name (`-o clip.png` after a thumbnail there): the file is replaced.
  const overFile = join(dir, 'was-a-file.png');
  await writeThumbnail(clip, overFile);
  await writePngSequence(clip, overFile);
  assert.equal((await readdir(overFile)).length, 5);
  assert.deepEqual(
    (await readdir(dir)).filter((name) => name.startsWith('.')),
    [],
  );
});

test('thumbnails: PNG exact, JPEG and WebP close', async () => {
  const clip = worldLikeClip(64, 48, 5, 8);
  const middle = frameAt(clip, 2);
  for (const ext of ['png', 'jpg', 'webp']) {
    const out = join(dir, `thumb.${ext}`);
    const written = await writeThumbnail(clip, out);
    assert.equal(written.frame, 2);
    const decoded = await decodeVideo(out);
    assert.equal(decoded.frames, 1);
    const db = psnr(middle, decoded.pixels);
    log(`thumbnail ${ext}`, db);
    assert.ok(ext === 'png' ? db === Number.POSITIVE_INFINITY : db >= 30, `${ext} ${db}`);
  }
});

test('spritesheet: grid PNG whose tiles are the sampled frames, JSON with times', async () => {
  const clip = worldLikeClip(16, 12, 10, 5);
  const out = join(dir, 'sheet.png');
  const { index, indexFile } = await writeSpritesheet(clip, out, { maxTiles: 4 });
  assert.deepEqual(
    index.tiles.map((t) => [t.frame, t.timeS]),
    [
      [0, 0],
      [3, 0.6],
      [6, 1.2],
      [9, 1.8],
    ],
  );
  assert.deepEqual([index.columns, index.rows, index.width, index.height], [2, 2, 32, 24]);
  assert.deepEqual(JSON.parse(await readFile(indexFile, 'utf8')), index);
  const sheet = await decodeVideo(out);
  const tile = index.tiles[3]!;
  for (let y = 0; y < 12; y++) {
    const row = sheet.pixels.subarray(
      ((tile.y + y) * 32 + tile.x) * 3,
      ((tile.y + y) * 32 + tile.x + 16) * 3,
    );
    assert.deepEqual(row, frameAt(clip, 9).subarray(y * 16 * 3, (y + 1) * 16 * 3));
  }
});
