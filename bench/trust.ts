// Trust benchmark: robustness of the invisible watermark, measured on the files users actually
// have. Each clip is a world clip marked exactly as the pipeline marks outputs (markFrames: visible
// label + invisible watermark at the size's strength), written as writeOutput writes MP4
// (encodeVideo's defaults: H.264 crf 18, clips under 160 px stored upscaled with a size tag), then
// attacked with real ffmpeg on that file: re-encode at crf 30, resize to half, crop 10 % (offsets
// vary per clip), GIF palette. Every file is read back the way `kinema verify` reads it (the media
// decoder, which undoes the upscale while the tag survives). Reports per attack and size:
// detections with the right payload, wrong payloads, legacy-codeword reads, mean detector ms;
// false positives on unmarked world clips and on synthetic textured clips (noise, gradients,
// shapes) written the same way; PSNR cost of the invisible watermark alone (at the model's size;
// the stored file repeats each pixel k x k, which leaves PSNR unchanged).
// KINEMA_BENCH_TRUST_N (default 100) clips per attack; KINEMA_BENCH_TRUST_SIZES (default "64,128").
// KINEMA_BENCH_TRUST_SHARD="k/m" runs only the clips whose index is k mod m (the same clips, seeds
// and output ids as the whole run), so m processes can share a run on a busy machine; the sums of
// their counts are the whole run's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeVideo } from '../src/media/decode.ts';
import { encodeVideo } from '../src/media/encode-video.ts';
import { psnr, type RgbFrames } from '../src/provenance/frames.ts';
import { detectWatermark } from '../src/provenance/invisibleWatermark.ts';
import { markFrames, watermarkPayloadFor } from '../src/provenance/mark.ts';
import { applyVisibleWatermark } from '../src/provenance/visibleWatermark.ts';
import { syntheticClip, worldClip } from '../test/provenance/_clips.ts';
import { attackFile } from '../test/provenance/_ffmpeg.ts';
import { report } from './_report.ts';

const N = Number(process.env.KINEMA_BENCH_TRUST_N ?? 100);
const SIZES = (process.env.KINEMA_BENCH_TRUST_SIZES ?? '64,128').split(',').map(Number);
const [SHARD, SHARDS] = (process.env.KINEMA_BENCH_TRUST_SHARD ?? '0/1').split('/').map(Number) as [
  number,
  number,
];
if (!(Number.isInteger(SHARD) && Number.isInteger(SHARDS) && SHARD >= 0 && SHARD < SHARDS)) {
  throw new Error(
    `KINEMA_BENCH_TRUST_SHARD must be k/m with 0 <= k < m, got ${process.env.KINEMA_BENCH_TRUST_SHARD}`,
  );
}
/** This shard's clip indices below N. */
const INDICES = Array.from({ length: N }, (_, i) => i).filter((i) => i % SHARDS === SHARD);
const FRAMES = 17;
const H264 = ['-c:v', 'libx264', '-pix_fmt', 'yuv420p'];
const ATTACKS: Record<string, { args: string[]; ext: string }> = {
  reencode_h264_crf30: { args: [...H264, '-crf', '30'], ext: 'mp4' },
  resize_half: { args: ['-vf', 'scale=trunc(iw/4)*2:trunc(ih/4)*2', ...H264, '-crf', '18'], ext: 'mp4' },
  crop_10pct: {
    args: ['-vf', 'crop=trunc(iw*0.45)*2:trunc(ih*0.45)*2:X:Y', ...H264, '-crf', '18'],
    ext: 'mp4',
  },
  gif_palette: { args: ['-vf', 'split[a][b];[a]palettegen[p];[b][p]paletteuse'], ext: 'gif' },
};

const dir = mkdtempSync(join(tmpdir(), 'kinema-bench-trust-'));

/** Writes frames the way writeOutput writes an MP4 (C2PA signing does not touch the frames). */
async function writeKinemaMp4(video: RgbFrames, name: string): Promise<string> {
  const file = join(dir, name);
  await encodeVideo({ ...video, fps: 8 }, file, { format: 'mp4' });
  return file;
}

for (const size of SIZES) {
  const psnrs: number[] = [];
  const counts = Object.fromEntries(
    ['none', ...Object.keys(ATTACKS)].map((a) => [
      a,
      { detected: 0, wrongPayload: 0, legacy: 0, detectMs: 0, missed: [] as number[] },
    ]),
  );
  for (const i of INDICES) {
    const clip = worldClip(10_000 + i, size, FRAMES);
    const outputId = `bench-trust-${size}-${i}`;
    const payload = watermarkPayloadFor(outputId);
    const marked = markFrames(clip, outputId);
    psnrs.push(psnr(applyVisibleWatermark(clip), marked));
    const stored = await writeKinemaMp4(marked, 'stored.mp4');
    for (const attack of Object.keys(counts)) {
      const spec = ATTACKS[attack];
      const file = spec
        ? await attackFile(
            stored,
            spec.args.map((a) => a.replace(':X:Y', `:${(i * 5) % 23}:${(i * 7) % 23}`)),
            spec.ext,
            dir,
          )
        : stored;
      const frames = await decodeVideo(file);
      const t0 = performance.now();
      const found = detectWatermark(frames);
      const c = counts[attack]!;
      c.detectMs += performance.now() - t0;
      if (found.found && found.payload === payload) c.detected++;
      else {
        c.missed.push(i);
        if (found.found) c.wrongPayload++;
      }
      if (found.codeword === 'legacy') c.legacy++;
    }
  }
  psnrs.sort((a, b) => a - b);
  report({
    name: 'trust.invisible_watermark.psnr',
    size,
    clips: INDICES.length,
    shard: `${SHARD}/${SHARDS}`,
    meanPsnrDb: +(psnrs.reduce((s, p) => s + p, 0) / psnrs.length).toFixed(2),
    minPsnrDb: +psnrs[0]!.toFixed(2),
    medianPsnrDb: +psnrs[Math.floor(psnrs.length / 2)]!.toFixed(2),
  });
  for (const [attack, c] of Object.entries(counts)) {
    report({
      name: `trust.invisible_watermark.${attack}`,
      size,
      clips: INDICES.length,
      shard: `${SHARD}/${SHARDS}`,
      detected: c.detected,
      detectionRate: c.detected / INDICES.length,
      wrongPayload: c.wrongPayload,
      legacyCodeword: c.legacy,
      meanDetectMs: Math.round(c.detectMs / INDICES.length),
      missedClips: c.missed,
    });
  }

  for (const [source, make] of [
    ['world', (i: number) => worldClip(50_000 + i, size, FRAMES)],
    ['synthetic', (i: number) => syntheticClip(100_000 + i, size, FRAMES)],
  ] as const) {
    let falsePositives = 0;
    for (const i of INDICES) {
      const file = await writeKinemaMp4(make(i), 'unmarked.mp4');
      if (detectWatermark(await decodeVideo(file)).found) falsePositives++;
    }
    report({
      name: `trust.invisible_watermark.unmarked_${source}`,
      size,
      clips: INDICES.length,
      shard: `${SHARD}/${SHARDS}`,
      falsePositives,
      falsePositiveRate: falsePositives / INDICES.length,
    });
  }
}
rmSync(dir, { recursive: true, force: true });
