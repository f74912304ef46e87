// A still of one frame: PNG (pure JS), JPEG or WebP (ffmpeg, one raw frame piped in). The format
// comes from the extension of `out` unless given. WebP needs an ffmpeg built with libwebp; a build
// without it gets a typed UnsupportedMediaError.

import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { writeAtomically } from './atomic.ts';
import { UnsupportedMediaError } from './errors.ts';
import { ffmpegPath, requireEncoder } from './ffmpeg-binary.ts';
import { runFfmpeg } from './ffmpeg-process.ts';
import { checkShape, frameAt, type VideoFrames } from './frames.ts';
import { encodePng } from './png.ts';

export const THUMBNAIL_FORMATS = ['png', 'jpeg', 'webp'] as const;
export type ThumbnailFormat = (typeof THUMBNAIL_FORMATS)[number];

export interface ThumbnailOptions {
  format?: ThumbnailFormat;
  /** Which frame; default the middle one (more telling than the first, often a fade-in). */
  frame?: number;
  /** JPEG/WebP quality 1..100 (default 90). */
  quality?: number;
  ffmpeg?: string;
}

export function thumbnailFormatOf(out: string): ThumbnailFormat {
  const ext = extname(out).toLowerCase();
  if (ext === '.png') return 'png';
  if (ext === '.jpg' || ext === '.jpeg') return 'jpeg';
  if (ext === '.webp') return 'webp';
  throw new UnsupportedMediaError(`thumbnail must end in .png, .jpg or .webp, got ${out}`);
}

function stillArgs(format: 'jpeg' | 'webp', video: VideoFrames, quality: number, out: string): string[] {
  const input = [
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-s',
    `${video.width}x${video.height}`,
    '-i',
    'pipe:0',
  ];
  const codec =
    format === 'jpeg'
      ? // mjpeg's -q:v runs 2 (best) .. 31; map quality 100 → 2, 1 → 31.
        [
          '-c:v',
          'mjpeg',
          '-pix_fmt',
          'yuvj444p',
          '-q:v',
          String(Math.round(31 - ((quality - 1) * 29) / 99)),
          '-f',
          'mjpeg',
        ]
      : ['-c:v', 'libwebp', '-quality', String(quality), '-f', 'webp'];
  return ['-v', 'error', ...input, '-frames:v', '1', ...codec, '-y', `file:${out}`];
}

export async function writeThumbnail(
  video: VideoFrames,
  out: string,
  options: ThumbnailOptions = {},
): Promise<{ path: string; format: ThumbnailFormat; frame: number }> {
  checkShape(video, video.frames, video.pixels.length);
  const format = options.format ?? thumbnailFormatOf(out);
  const frame = options.frame ?? Math.floor(video.frames / 2);
  if (!Number.isInteger(frame) || frame < 0 || frame >= video.frames) {
    throw new UnsupportedMediaError(`thumbnail frame ${frame} is outside 0..${video.frames - 1}`);
  }
  const rgb = frameAt(video, frame);
  if (format === 'png') {
    await writeAtomically(out, (tmp) => writeFile(tmp, encodePng(rgb, video.width, video.height)));
  } else {
    const binary = ffmpegPath(options.ffmpeg);
    await requireEncoder(binary, format === 'jpeg' ? 'mjpeg' : 'libwebp', `${format} thumbnail`);
    await writeAtomically(out, async (tmp) => {
      await runFfmpeg({
        binary,
        args: stillArgs(format, video, options.quality ?? 90, tmp),
        timeoutMs: 60_000,
        stdin: [rgb],
      });
    });
  }
  return { path: out, format, frame };
}
