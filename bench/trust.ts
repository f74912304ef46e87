// Trust benchmark: robustness of the invisible watermark, measured the way outputs really travel.
// Each clip is a world clip marked exactly as the pipeline marks outputs (markFrames: visible label
// + invisible watermark at the size's strength), written as Kinema writes MP4 (H.264 crf 18), then
// decoded and attacked with real ffmpeg: re-encode at crf 30, resize to half, crop 10 % (offsets
// vary per clip), GIF palette. Reports per attack and size: detections with the right payload,
// wrong payloads, mean detector ms; false positives on unmarked world clips and on synthetic
// textured clips (noise, gradients, shapes); PSNR cost of the invisible watermark alone.
// KINEMA_BENCH_TRUST_N (default 100) clips per attack; KINEMA_BENCH_TRUST_SIZES (default "64,128").
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { psnr } from '../src/provenance/frames.ts';
import { detectWatermark, embedWatermark } from '../src/provenance/invisibleWatermark.ts';
import { markFrames, watermarkPayloadFor, watermarkStrengthFor } from '../src/provenance/mark.ts';
import { syntheticClip, worldClip } from '../test/provenance/_clips.ts';
import { roundTrip } from '../test/provenance/_ffmpeg.ts';
import { report } from './_report.ts';

const N = Number(process.env.KINEMA_BENCH_TRUST_N ?? 100);
const SIZES = (process.env.KINEMA_BENCH_TRUST_SIZES ?? '64,128').split(',').map(Number);
const FRAMES = 17;
const H264 = ['-c:v', 'libx264', '-pix_fmt', 'yuv420p'];
const KINEMA_MP4 = [...H264, '-crf', '18'];
const ATTACKS: Record<string, { args: string[]; ext: string }> = {
  none: { args: KINEMA_MP4, ext: 'mp4' },
  reencode_h264_crf30: { args: [...H264, '-crf', '30'], ext: 'mp4' },
  resize_half: { args: ['-vf', 'scale=trunc(iw/4)*2:trunc(ih/4)*2', ...KINEMA_MP4], ext: 'mp4' },
  crop_10pct: { args: ['-vf', 'crop=trunc(iw*0.45)*2:trunc(ih*0.45)*2:X:Y', ...KINEMA_MP4], ext: 'mp4' },
  gif_palette: { args: ['-vf', 'split[a][b];[a]palettegen[p];[b][p]paletteuse'], ext: 'gif' },
};

const dir = mkdtempSync(join(tmpdir(), 'kinema-bench-trust-'));

for (const size of SIZES) {
  let psnrSum = 0;
  const counts = Object.fromEntries(
    Object.keys(ATTACKS).map((a) => [a, { detected: 0, wrongPayload: 0, detectMs: 0 }]),
  );
  for (let i = 0; i < N; i++) {
    const clip = worldClip(10_000 + i, size);
    const outputId = `bench-trust-${size}-${i}`;
    const payload = watermarkPayloadFor(outputId);
    psnrSum += psnr(
      clip,
      embedWatermark(clip, payload, undefined, { strength: watermarkStrengthFor(size, size) }),
    );
    // The file Kinema writes, then what someone does to it.
    const written = await roundTrip(markFrames(clip, outputId), KINEMA_MP4, 'mp4', dir);
    for (const [attack, { args, ext }] of Object.entries(ATTACKS)) {
      const clipArgs = args.map((a) => a.replace(':X:Y', `:${(i * 5) % 13}:${(i * 7) % 13}`));
      const attacked = attack === 'none' ? written : await roundTrip(written, clipArgs, ext, dir);
      const t0 = performance.now();
      const found = detectWatermark(attacked);
      const c = counts[attack]!;
      c.detectMs += performance.now() - t0;
      if (found.found && found.payload === payload) c.detected++;
      else if (found.found) c.wrongPayload++;
    }
  }
  report({ name: 'trust.invisible_watermark.psnr', size, clips: N, meanPsnrDb: +(psnrSum / N).toFixed(2) });
  for (const [attack, c] of Object.entries(counts)) {
    report({
      name: `trust.invisible_watermark.${attack}`,
      size,
      clips: N,
      detected: c.detected,
      detectionRate: c.detected / N,
      wrongPayload: c.wrongPayload,
      meanDetectMs: Math.round(c.detectMs / N),
    });
  }

  for (const [source, make] of [
    ['world', (i: number) => worldClip(50_000 + i, size)],
    ['synthetic', (i: number) => syntheticClip(100_000 + i, size, FRAMES)],
  ] as const) {
    let falsePositives = 0;
    for (let i = 0; i < N; i++) {
      if (detectWatermark(await roundTrip(make(i), KINEMA_MP4, 'mp4', dir)).found) falsePositives++;
    }
    report({
      name: `trust.invisible_watermark.unmarked_${source}`,
      size,
      clips: N,
      falsePositives,
      falsePositiveRate: falsePositives / N,
    });
  }
}
rmSync(dir, { recursive: true, force: true });
