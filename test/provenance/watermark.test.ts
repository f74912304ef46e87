import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { psnr } from '../../src/provenance/frames.ts';
import { detectWatermark, embedWatermark } from '../../src/provenance/invisibleWatermark.ts';
import { applyVisibleWatermark, detectVisibleWatermark } from '../../src/provenance/visibleWatermark.ts';
import { decodeCodeword, encodeCodeword } from '../../src/provenance/watermarkCode.ts';
import { syntheticClip, worldClip } from './_clips.ts';
import { roundTrip } from './_ffmpeg.ts';

const dir = mkdtempSync(join(tmpdir(), 'kinema-wm-'));
const H264 = ['-c:v', 'libx264', '-crf', '18', '-pix_fmt', 'yuv420p'];

test('codewords round-trip and reject a single flipped bit', () => {
  const bits = encodeCodeword(0xdeadbeef);
  assert.equal(decodeCodeword(bits), 0xdeadbeef);
  bits[20] = 1 - bits[20]!;
  assert.equal(decodeCodeword(bits), null);
  assert.throws(() => encodeCodeword(2 ** 32), RangeError);
});

test('the invisible watermark is found with its payload, and costs little PSNR', () => {
  const clip = worldClip(1, 128);
  const marked = embedWatermark(clip, 0x0badcafe);
  // bench/trust.ts measures 39.7 dB on average over 100 world clips of this size.
  assert.ok(psnr(clip, marked) > 37, `PSNR ${psnr(clip, marked)}`);
  const found = detectWatermark(marked);
  assert.equal(found.found, true);
  assert.equal(found.payload, 0x0badcafe);
  assert.equal(detectWatermark(clip).found, false, 'unmarked clip');
  assert.equal(detectWatermark(marked, 'another-key').found, false, 'wrong key');
});

// Each attack starts from the file Kinema writes (H.264 crf 18), as a real copy would.
for (const [name, args, ext] of [
  ['re-encoding at H.264 crf 30', ['-c:v', 'libx264', '-crf', '30', '-pix_fmt', 'yuv420p'], 'mp4'],
  ['resize to half', ['-vf', 'scale=iw/2:ih/2', ...H264], 'mp4'],
  ['crop 10 %', ['-vf', 'crop=trunc(iw*0.45)*2:trunc(ih*0.45)*2:9:5', ...H264], 'mp4'],
  ['GIF palette', ['-vf', 'split[a][b];[a]palettegen[p];[b][p]paletteuse'], 'gif'],
] as const) {
  test(`the invisible watermark survives ${name}`, async () => {
    for (const [seed, payload] of [
      [2, 123456789],
      [3, 0xfeedf00d],
    ] as const) {
      const written = await roundTrip(embedWatermark(worldClip(seed, 128), payload), H264, 'mp4', dir);
      const found = detectWatermark(await roundTrip(written, args, ext, dir));
      assert.equal(found.payload, payload, `world clip ${seed}: ${JSON.stringify(found)}`);
    }
  });
}

test('unmarked clips, written as MP4, carry no watermark', async () => {
  for (const clip of [worldClip(4, 64), worldClip(5, 128), syntheticClip(6, 64, 17)]) {
    assert.equal(detectWatermark(await roundTrip(clip, H264, 'mp4', dir)).found, false);
  }
});

test('the visible label is drawn in a corner, moves, and is detected; plain frames have none', () => {
  const clip = syntheticClip(3, 128, 8);
  const marked = applyVisibleWatermark(clip, { dwellFrames: 2 });
  assert.notDeepEqual(marked.pixels, clip.pixels);
  assert.equal(detectVisibleWatermark(marked).present, true);
  assert.equal(detectVisibleWatermark(clip).present, false);
  // With a dwell of 2 frames the label is top-left in frame 0 and elsewhere in frame 2.
  const changedTopLeft = (f: number) => {
    let changed = 0;
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 40; x++) {
        const p = ((f * 128 + y) * 128 + x) * 3;
        if (marked.pixels[p] !== clip.pixels[p]) changed++;
      }
    }
    return changed;
  };
  assert.ok(changedTopLeft(0) > 50);
  assert.equal(changedTopLeft(2), 0);
});
