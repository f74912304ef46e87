// Trust benchmark: robustness of the invisible watermark to common attacks (detection rate over N
// marked clips per attack), its false-positive rate on N unmarked clips, and its PSNR cost.
// N defaults to 100 (KINEMA_BENCH_TRUST_N overrides). Clips are synthetic, textured, 128x128x8.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { psnr } from '../src/provenance/frames.ts';
import { detectWatermark, embedWatermark } from '../src/provenance/invisibleWatermark.ts';
import { syntheticClip } from '../test/provenance/_clips.ts';
import { decodeFrames, encodeFrames } from '../test/provenance/_ffmpeg.ts';
import { report } from './_report.ts';

const N = Number(process.env.KINEMA_BENCH_TRUST_N ?? 100);
const H264 = ['-c:v', 'libx264', '-pix_fmt', 'yuv420p'];
const ATTACKS: Record<string, { args: string[]; ext: string }> = {
  none_h264_crf18: { args: [...H264, '-crf', '18'], ext: 'mp4' },
  reencode_h264_crf30: { args: [...H264, '-crf', '30'], ext: 'mp4' },
  resize_half: { args: ['-vf', 'scale=iw/2:ih/2', ...H264, '-crf', '18'], ext: 'mp4' },
  crop_10pct: {
    args: ['-vf', 'crop=trunc(iw*0.45)*2:trunc(ih*0.45)*2:X:Y', ...H264, '-crf', '18'],
    ext: 'mp4',
  },
  gif_palette: { args: ['-vf', 'split[a][b];[a]palettegen[p];[b][p]paletteuse'], ext: 'gif' },
};

const dir = mkdtempSync(join(tmpdir(), 'kinema-bench-trust-'));
const payloadOf = (i: number) => Math.imul(i + 1, 0x9e3779b1) >>> 0;

let psnrSum = 0;
for (let i = 0; i < N; i++) psnrSum += psnr(syntheticClip(i), embedWatermark(syntheticClip(i), payloadOf(i)));
report({ name: 'trust.invisible_watermark.psnr', clips: N, meanPsnrDb: +(psnrSum / N).toFixed(2) });

for (const [attack, { args, ext }] of Object.entries(ATTACKS)) {
  let detected = 0;
  let wrongPayload = 0;
  let detectMs = 0;
  for (let i = 0; i < N; i++) {
    const file = join(dir, `a.${ext}`);
    // Crop offsets vary per clip (0..12 px) so the tile grid lands anywhere.
    const clipArgs = args.map((a) => a.replace(':X:Y', `:${(i * 5) % 13}:${(i * 7) % 13}`));
    await encodeFrames(embedWatermark(syntheticClip(i), payloadOf(i)), file, clipArgs);
    const frames = await decodeFrames(file);
    const t0 = performance.now();
    const found = detectWatermark(frames);
    detectMs += performance.now() - t0;
    if (found.found && found.payload === payloadOf(i)) detected++;
    else if (found.found) wrongPayload++;
  }
  report({
    name: `trust.invisible_watermark.${attack}`,
    clips: N,
    detectionRate: detected / N,
    wrongPayload,
    meanDetectMs: Math.round(detectMs / N),
  });
}

let falsePositives = 0;
for (let i = 0; i < N; i++) {
  const file = join(dir, 'u.mp4');
  await encodeFrames(syntheticClip(100_000 + i), file, [...H264, '-crf', '18']);
  if (detectWatermark(await decodeFrames(file)).found) falsePositives++;
}
report({
  name: 'trust.invisible_watermark.unmarked',
  clips: N,
  falsePositives,
  falsePositiveRate: falsePositives / N,
});
rmSync(dir, { recursive: true, force: true });
