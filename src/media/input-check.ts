// The checks every input file passes before ffmpeg sees it: it exists, is not empty, is not larger
// than allowed, and its bytes are a media format we read whose kind agrees with its extension.
import { stat } from 'node:fs/promises';
import {
  EmptyMediaError,
  MediaError,
  MediaLimitError,
  MediaTypeMismatchError,
  NotMediaError,
} from './errors.ts';
import type { MediaLimits } from './limits.ts';
import { extensionAgrees, formatFromExtension, type MediaFormat, sniffFile } from './sniff.ts';

export interface InputPolicy {
  limits: MediaLimits;
  /** Accept a file whose extension names another format than its content (default: refuse). */
  allowExtensionMismatch?: boolean;
}

export interface CheckedInput {
  file: string;
  format: MediaFormat;
  bytes: number;
}

export async function checkInput(file: string, policy: InputPolicy): Promise<CheckedInput> {
  const info = await stat(file).catch((err: NodeJS.ErrnoException) => {
    throw new MediaError(err.code === 'ENOENT' ? 'no such file' : `cannot read (${err.code})`, file, {
      cause: err,
    });
  });
  if (!info.isFile()) throw new NotMediaError('not a regular file', file);
  if (info.size === 0) throw new EmptyMediaError('file is empty (0 bytes)', file);
  const { maxFileBytes } = policy.limits;
  if (info.size > maxFileBytes) {
    throw new MediaLimitError(
      `file is ${info.size} bytes, over the limit of ${maxFileBytes}`,
      file,
      'maxFileBytes',
      info.size,
      maxFileBytes,
    );
  }
  const format = await sniffFile(file);
  if (format === undefined) {
    throw new NotMediaError(
      'content is not a supported video or image (MP4, MOV, WebM, MKV, AVI, GIF, PNG, JPEG, WebP)',
      file,
    );
  }
  const claimed = formatFromExtension(file);
  if (claimed !== undefined && !extensionAgrees(claimed, format) && !policy.allowExtensionMismatch) {
    throw new MediaTypeMismatchError(file, claimed, format);
  }
  return { file, format, bytes: info.size };
}
