// Writing a generated video in the format a user asked for. Every output path of Kinema goes
// through `writeOutput`, so provenance (watermarks, C2PA) is applied in one place.
import { extname } from 'node:path';
import { encodeVideo } from '../media/encode-video.ts';
import type { VideoFrames } from '../media/frames.ts';
import { writeGif } from '../media/gif.ts';
import { writePngSequence } from '../media/png.ts';
import { writeSpritesheet } from '../media/spritesheet.ts';
import { writeThumbnail } from '../media/thumbnail.ts';

export const OUTPUT_FORMATS = ['mp4', 'webm', 'gif', 'png', 'spritesheet', 'jpeg', 'webp'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export class OutputError extends Error {
  override name = 'OutputError';
  static readonly userError = true;
}

/** The format implied by a path: .mp4/.webm/.gif, .png (one frame: a still), a folder (PNG frames). */
export function formatOfPath(out: string, frames: number): OutputFormat {
  const ext = extname(out).toLowerCase().slice(1);
  if (ext === 'mp4' || ext === 'webm' || ext === 'gif' || ext === 'webp') return ext;
  if (ext === 'jpg' || ext === 'jpeg') return 'jpeg';
  if (ext === 'png') return frames === 1 ? 'png' : 'spritesheet';
  if (ext === '') return 'png';
  throw new OutputError(
    `cannot tell the output format from "${out}"; use .mp4, .webm, .gif, .png, .jpg or a folder`,
  );
}

export interface WrittenOutput {
  path: string;
  format: OutputFormat;
  bytes?: number;
}

export async function writeOutput(
  video: VideoFrames,
  out: string,
  format?: OutputFormat,
): Promise<WrittenOutput> {
  const chosen = format ?? formatOfPath(out, video.frames);
  switch (chosen) {
    case 'mp4':
    case 'webm': {
      const encoded = await encodeVideo(video, out, { format: chosen });
      return { path: encoded.path, format: chosen, bytes: encoded.bytes };
    }
    case 'gif': {
      const written = await writeGif(video, out);
      return { path: written.path, format: chosen, bytes: written.bytes };
    }
    case 'spritesheet': {
      const written = await writeSpritesheet(video, out);
      return { path: written.image, format: chosen };
    }
    case 'png': {
      if (video.frames === 1 && extname(out).toLowerCase() === '.png') {
        const written = await writeThumbnail(video, out, { frame: 0 });
        return { path: written.path, format: chosen };
      }
      const written = await writePngSequence(video, out);
      return { path: written.path, format: chosen };
    }
    case 'jpeg':
    case 'webp': {
      const written = await writeThumbnail(video, out);
      return { path: written.path, format: chosen };
    }
  }
}
