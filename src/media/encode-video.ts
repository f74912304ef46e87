// Encode frames to MP4 (H.264) or WebM (VP9) by piping raw RGB into ffmpeg's stdin.
// MP4 is made to play everywhere: H.264 High profile, yuv420p, BT.709 tagged, moov atom first
// (+faststart) so browsers start playing before the download ends.
//
// Small clips are stored upscaled. yuv420p keeps one colour sample per 2×2 pixels, which smears
// the hard colour edges of world clips: at 64×64 even lossless 4:2:0 gives only 29.9 dB. Stored
// with each pixel as a k×k block (nearest neighbour, k even), every 2×2 colour sample lies inside
// one source pixel, so colour survives whole; the decoder averages each block back ('area').
// Measured on world-like clips, default crf: 64×64 29.5 → 49.0 dB (×4), 128×128 32.6 → 45.6 dB
// (×2). Clips with a short side under 160 are stored this way, at the smallest even k that makes
// the short side ≥ 256 (so a 64×64 clip is also viewable on a phone), within 1920×1080; the file
// says so in a `comment` tag that the probe reads (picture size vs display size). Larger clips are
// stored at their own size. Option `upscale` sets k (1: always store the frames as they are).
//
// yuv420p needs even sizes, so a clip stored at its own size with an odd width or height is
// padded by one column/row that repeats the last one (the file is then one pixel wider/taller;
// the result says so). VP9 stores odd sizes as they are.
import { stat } from 'node:fs/promises';
import { writeAtomically } from './atomic.ts';
import { UnsupportedMediaError } from './errors.ts';
import { ffmpegPath, requireEncoder } from './ffmpeg-binary.ts';
import { runFfmpeg } from './ffmpeg-process.ts';
import {
  checkShape,
  type FrameSource,
  fpsRational,
  frameBytes,
  isFrameStream,
  toFrameStream,
} from './frames.ts';
import { sourceSizeTag } from './probe.ts';

export type VideoFormat = 'mp4' | 'webm';

/** Chroma subsampling: 4:2:0 plays everywhere; 4:4:4 keeps colour edges (see the note above). */
export type Chroma = '420' | '444';

export interface VideoEncodeOptions {
  format: VideoFormat;
  chroma?: Chroma;
  /** Constant rate factor: lower is better and larger. Defaults give ≥ 35 dB PSNR on world clips. */
  crf?: number;
  /** x264 preset (mp4 only). */
  preset?: string;
  /** Store each pixel as an upscale × upscale block (integer ≥ 1); default: see displayUpscale. */
  upscale?: number;
  ffmpeg?: string;
  timeoutMs?: number;
}

export interface EncodedVideo {
  path: string;
  format: VideoFormat;
  /** Picture size: what decoding the file gives by default (odd MP4 sizes stored ×1 are padded to even). */
  width: number;
  height: number;
  /** Size stored in the file: what a player shows. */
  displayWidth: number;
  displayHeight: number;
  /** Display size ÷ picture size. */
  upscale: number;
  frames: number;
  fps: number;
  bytes: number;
}

export const DEFAULT_CRF: Record<VideoFormat, number> = { mp4: 18, webm: 24 };

const BT709 = [
  '-colorspace',
  'bt709',
  '-color_primaries',
  'bt709',
  '-color_trc',
  'bt709',
  '-color_range',
  'tv',
];

/**
 * Clips whose short side is under this are upscaled. Measured on world-like clips at the default
 * crf, 4:2:0 at their own size: 64 → 29.5 dB, 128 → 32.6, 160 → 34.0, 256 → 35.6 (clips from the
 * world renderer: 35.7, 38.2, 39.5, 41.4). From 160 up a clip is stored at the size asked for,
 * so a named size (an API request for 320x180) plays at exactly that size.
 */
export const UPSCALE_BELOW_SHORT_SIDE = 160;
/** The short side an upscaled clip reaches (viewable on a phone). */
export const MIN_DISPLAY_SHORT_SIDE = 256;
const MAX_DISPLAY = { long: 1920, short: 1080 };

/** The factor a clip is stored at by default (see the note at the top): even, or 1. */
export function displayUpscale(chroma: Chroma, width: number, height: number): number {
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  // 4:4:4 keeps colour edges by itself.
  if (chroma === '444' || short >= UPSCALE_BELOW_SHORT_SIDE) return 1;
  let k = 2 * Math.ceil(MIN_DISPLAY_SHORT_SIDE / (2 * short));
  const fits = () => k * long <= MAX_DISPLAY.long && k * short <= MAX_DISPLAY.short;
  while (k > 2 && !fits()) k -= 2;
  return fits() ? k : 1;
}

function upscaleFor(options: VideoEncodeOptions, width: number, height: number): number {
  const { upscale } = options;
  if (upscale === undefined) return displayUpscale(options.chroma ?? '420', width, height);
  if (!Number.isInteger(upscale) || upscale < 1)
    throw new UnsupportedMediaError(`upscale must be a positive integer, got ${upscale}`);
  return upscale;
}

/** Size stored in the file for frames of width × height upscaled ×k. */
export function storedSize(
  format: VideoFormat,
  chroma: Chroma,
  width: number,
  height: number,
  upscale = 1,
): { width: number; height: number } {
  const w = width * upscale;
  const h = height * upscale;
  // yuv420p halves chroma in both directions, so H.264 needs even sizes; VP9 and 4:4:4 do not.
  if (format === 'webm' || chroma === '444') return { width: w, height: h };
  return { width: w + (w % 2), height: h + (h % 2) };
}

/** ffmpeg arguments reading raw RGB frames from stdin and writing `out` (pure; the bench uses it too). */
export function videoEncodeArgs(
  video: { width: number; height: number; fps: number },
  out: string,
  options: VideoEncodeOptions,
): string[] {
  const { width, height } = video;
  const crf = String(options.crf ?? DEFAULT_CRF[options.format]);
  const filters: string[] = [];
  const k = upscaleFor(options, width, height);
  if (k > 1) filters.push(`scale=${k * width}:${k * height}:flags=neighbor`);
  const stored = storedSize(options.format, options.chroma ?? '420', width, height, k);
  const padRight = stored.width - k * width;
  const padBottom = stored.height - k * height;
  if (padRight || padBottom) {
    filters.push(
      `pad=${stored.width}:${stored.height}:0:0`,
      `fillborders=right=${padRight}:bottom=${padBottom}:mode=smear`,
    );
  }
  const pixelFormat = options.chroma === '444' ? 'yuv444p' : 'yuv420p';
  filters.push(
    'scale=out_color_matrix=bt709:out_range=tv:flags=lanczos+accurate_rnd',
    `format=${pixelFormat}`,
  );
  const input = [
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-s',
    `${width}x${height}`,
    '-framerate',
    fpsRational(video.fps),
    '-i',
    'pipe:0',
  ];
  const codec =
    options.format === 'mp4'
      ? [
          '-c:v',
          'libx264',
          '-preset',
          options.preset ?? 'medium',
          '-crf',
          crf,
          '-profile:v',
          options.chroma === '444' ? 'high444' : 'high',
          '-movflags',
          '+faststart',
          '-f',
          'mp4',
        ]
      : [
          '-c:v',
          'libvpx-vp9',
          '-crf',
          crf,
          '-b:v',
          '0',
          '-deadline',
          'good',
          '-cpu-used',
          '2',
          '-row-mt',
          '1',
          '-f',
          'webm',
        ];
  return [
    '-v',
    'error',
    ...input,
    '-vf',
    filters.join(','),
    '-pix_fmt',
    pixelFormat,
    ...BT709,
    // The picture size, so the probe and decoder can undo the upscale (players ignore it).
    ...(k > 1 && !padRight && !padBottom ? ['-metadata', `comment=${sourceSizeTag(width, height)}`] : []),
    ...codec,
    '-y',
    `file:${out}`,
  ];
}

/** Counts frames as they pass and checks each chunk holds whole frames. */
async function* countedChunks(chunks: AsyncIterable<Uint8Array>, size: number, count: { frames: number }) {
  for await (const chunk of chunks) {
    if (chunk.length % size !== 0) {
      throw new UnsupportedMediaError(
        `a chunk of ${chunk.length} bytes is not a whole number of ${size}-byte frames`,
      );
    }
    count.frames += chunk.length / size;
    yield chunk;
  }
}

export async function encodeVideo(
  source: FrameSource,
  out: string,
  options: VideoEncodeOptions,
): Promise<EncodedVideo> {
  const stream = isFrameStream(source) ? source : toFrameStream(source);
  checkShape(stream);
  const binary = ffmpegPath(options.ffmpeg);
  await requireEncoder(
    binary,
    options.format === 'mp4' ? 'libx264' : 'libvpx-vp9',
    `${options.format} output`,
  );
  const count = { frames: 0 };
  const bytes = await writeAtomically(out, async (tmp) => {
    await runFfmpeg({
      binary,
      args: videoEncodeArgs(stream, tmp, options),
      timeoutMs: options.timeoutMs ?? 600_000,
      stdin: countedChunks(stream.chunks, frameBytes(stream.width, stream.height), count),
    });
    if (count.frames === 0) throw new UnsupportedMediaError('no frames to encode');
    return (await stat(tmp)).size;
  });
  const k = upscaleFor(options, stream.width, stream.height);
  const stored = storedSize(options.format, options.chroma ?? '420', stream.width, stream.height, k);
  // A padded file (odd size, odd factor) carries no tag: its picture is the padded display.
  const exact = stored.width === k * stream.width && stored.height === k * stream.height;
  const picture = k > 1 && exact ? { width: stream.width, height: stream.height } : stored;
  return {
    path: out,
    format: options.format,
    ...picture,
    displayWidth: stored.width,
    displayHeight: stored.height,
    upscale: k,
    frames: count.frames,
    fps: stream.fps,
    bytes,
  };
}
