// `verify`: everything Kinema can say about a file's origin — its C2PA manifest and validity, the
// invisible watermark (decoded from the file's frames) and the visible label.
import { existsSync } from 'node:fs';
import { openVideo } from '../media/decode.ts';
import { frameBytes } from '../media/frames.ts';
import { UPLOAD_LIMITS } from '../media/limits.ts';
import { type ManifestReport, readManifest } from './c2pa.ts';
import type { RgbFrames } from './frames.ts';
import { DEFAULT_WATERMARK_KEY, type Detection, detectWatermark } from './invisibleWatermark.ts';
import { detectVisibleWatermark, type VisibleWatermarkDetection } from './visibleWatermark.ts';

export class VerifyError extends Error {
  static readonly userError = true;
  override name = 'VerifyError';
}

export interface VerifyOptions {
  /** PEM trust anchors (e.g. the operator's root) so their manifests read as Trusted. */
  trustAnchorsPem?: string;
  watermarkKey?: string;
  /** Frames decoded for the watermark checks (default 48). */
  maxFrames?: number;
}

export interface VerifyReport {
  file: string;
  c2pa: ManifestReport;
  invisibleWatermark: Pick<Detection, 'found' | 'payload' | 'confidence' | 'score'> | { error: string };
  visibleWatermark: VisibleWatermarkDetection | { error: string };
}

export async function verifyFile(file: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  if (!existsSync(file)) throw new VerifyError(`no such file: ${file}`);
  const c2pa = await readManifest(file, options.trustAnchorsPem).catch(
    (err: Error): ManifestReport => ({
      state: 'absent',
      codes: [`kinema.unsupported: ${err.message}`],
      manifest: null,
    }),
  );
  try {
    const frames = await firstFrames(file, options.maxFrames ?? 48);
    const detection = detectWatermark(frames, options.watermarkKey ?? DEFAULT_WATERMARK_KEY);
    return {
      file,
      c2pa,
      invisibleWatermark: {
        found: detection.found,
        payload: detection.payload,
        confidence: detection.confidence,
        score: detection.score,
      },
      visibleWatermark: detectVisibleWatermark(frames),
    };
  } catch (err) {
    const error = `cannot decode frames: ${(err as Error).message}`;
    return { file, c2pa, invisibleWatermark: { error }, visibleWatermark: { error } };
  }
}

/**
 * The first frames of a file, decoded with the media stage's limits for untrusted input (the
 * file being checked may come from anywhere); stopping early ends the decoder.
 */
async function firstFrames(file: string, maxFrames: number): Promise<RgbFrames> {
  const { stream } = await openVideo(file, { limits: UPLOAD_LIMITS, framesPerChunk: 8 });
  const size = frameBytes(stream.width, stream.height);
  const chunks: Uint8Array[] = [];
  let frames = 0;
  for await (const chunk of stream.chunks) {
    chunks.push(chunk);
    frames += chunk.length / size;
    if (frames >= maxFrames) break;
  }
  frames = Math.min(frames, maxFrames);
  const pixels = new Uint8Array(frames * size);
  let offset = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, Math.min(chunk.length, pixels.length - offset));
    pixels.set(part, offset);
    offset += part.length;
  }
  return { pixels, frames, height: stream.height, width: stream.width };
}

/** The report as a few human-readable lines. */
export function formatVerifyReport(report: VerifyReport): string {
  const lines = [`${report.file}`];
  const { c2pa } = report;
  const codes = c2pa.codes.length > 0 ? ` (${c2pa.codes.join(', ')})` : '';
  lines.push(`  C2PA manifest: ${c2pa.state}${codes}`);
  if (c2pa.manifest) {
    const m = c2pa.manifest;
    lines.push(
      `    generator: ${m.claimGenerator ?? '?'}; signer: ${m.signer?.commonName ?? '?'} (${m.signer?.issuer ?? '?'})`,
    );
    lines.push(`    actions: ${m.actions.map((a) => a.action).join(', ') || 'none'}`);
    if (m.generation) lines.push(`    generation: ${JSON.stringify(m.generation)}`);
    for (const i of m.ingredients) lines.push(`    ingredient: ${i.title ?? '?'} (${i.relationship ?? '?'})`);
  }
  const inv = report.invisibleWatermark;
  if ('error' in inv) lines.push(`  invisible watermark: not checked (${inv.error})`);
  else if (inv.found)
    lines.push(
      `  invisible watermark: found, payload ${inv.payload} (0x${inv.payload!.toString(16).padStart(8, '0')})`,
    );
  else lines.push('  invisible watermark: not found');
  const vis = report.visibleWatermark;
  if ('error' in vis) lines.push(`  visible watermark: not checked (${vis.error})`);
  else lines.push(`  visible watermark: ${vis.present ? 'present' : 'not found'}`);
  return lines.join('\n');
}
