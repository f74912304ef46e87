// What the pipeline calls on every output's frames before encoding: the visible label (unless the
// operator turned it off) and then the invisible watermark carrying the output's payload.
import { createHash } from 'node:crypto';
import type { RgbFrames } from './frames.ts';
import { DEFAULT_WATERMARK_KEY, embedWatermark } from './invisibleWatermark.ts';
import { applyVisibleWatermark } from './visibleWatermark.ts';

/** Operator settings; deliberately not part of any request. */
export interface MarkingConfig {
  visibleWatermark: boolean;
  watermarkKey: string;
}

export const DEFAULT_MARKING: MarkingConfig = { visibleWatermark: true, watermarkKey: DEFAULT_WATERMARK_KEY };

/** The 32-bit watermark payload for an output id: the first 4 bytes of its SHA-256. */
export function watermarkPayloadFor(outputId: string): number {
  return createHash('sha256').update(outputId).digest().readUInt32BE(0);
}

/**
 * Small frames hold few copies of the watermark tile, so H.264 removes a faint mark: measured on
 * 6 world clips at 64×64 after MP4 (crf 18), strength 4 was found in 0/6, 6 in 3–5/6, 8 in 5/6
 * (PSNR 43.4, 38.9, 35.9 dB). Below 128 px we trade PSNR for survival; above, 4 (43 dB) suffices.
 */
export function watermarkStrengthFor(width: number, height: number): number {
  return Math.min(width, height) < 128 ? 8 : 4;
}

export function markFrames(
  video: RgbFrames,
  outputId: string,
  config: MarkingConfig = DEFAULT_MARKING,
): RgbFrames {
  const labelled = config.visibleWatermark ? applyVisibleWatermark(video) : video;
  return embedWatermark(labelled, watermarkPayloadFor(outputId), config.watermarkKey, {
    strength: watermarkStrengthFor(video.width, video.height),
  });
}
