// Encode frames to MP4 (H.264) or WebM (VP9) by piping raw RGB into ffmpeg's stdin.
// MP4 is made to play everywhere: H.264 High profile, yuv420p, BT.709 tagged, moov atom first
// (+faststart) so browsers start playing before the download ends. yuv420p needs even sizes, so
// an odd width or height is padded by one column/row that repeats the last one (the file is then
// one pixel wider/taller; the result says so). VP9 stores odd sizes as they are.
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
  ffmpeg?: string;
  timeoutMs?: number;
}

export interface EncodedVideo {
  path: string;
  format: VideoFormat;
  /** Size stored in the file (odd MP4 sizes are padded to even). */
  width: number;
  height: number;
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

/** Size the encoder stores for a given frame size. */
export function storedSize(
  format: VideoFormat,
  chroma: Chroma,
  width: number,
  height: number,
): { width: number; height: number } {
  // yuv420p halves chroma in both directions, so H.264 needs even sizes; VP9 and 4:4:4 do not.
  if (format === 'webm' || chroma === '444') return { width, height };
  return { width: width + (width % 2), height: height + (height % 2) };
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
  const stored = storedSize(options.format, options.chroma ?? '420', width, height);
  const padRight = stored.width - width;
  const padBottom = stored.height - height;
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
  const stored = storedSize(options.format, options.chroma ?? '420', stream.width, stream.height);
  return { path: out, format: options.format, ...stored, frames: count.frames, fps: stream.fps, bytes };
}
