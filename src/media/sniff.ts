// Media formats recognised from the first bytes of a file, never from its name: an upload called
// "cat.mp4" may hold anything. The detected format also picks ffmpeg's demuxer (-f), so ffmpeg
// never guesses on its own (its guessing can open playlists that read other files).
import { open } from 'node:fs/promises';
import { extname } from 'node:path';

export const MEDIA_FORMATS = ['mp4', 'mov', 'webm', 'mkv', 'avi', 'gif', 'png', 'jpeg', 'webp'] as const;
export type MediaFormat = (typeof MEDIA_FORMATS)[number];

/** ffmpeg demuxer that reads each format. */
export const DEMUXER: Record<MediaFormat, string> = {
  mp4: 'mov',
  mov: 'mov',
  webm: 'matroska',
  mkv: 'matroska',
  avi: 'avi',
  gif: 'gif',
  png: 'png_pipe',
  jpeg: 'jpeg_pipe',
  webp: 'webp_pipe',
};

/** Still-image formats (decoded as a one-frame video). */
export const IMAGE_FORMATS: ReadonlySet<MediaFormat> = new Set(['png', 'jpeg', 'webp']);

const EXTENSIONS: Record<string, MediaFormat> = {
  '.mp4': 'mp4',
  '.m4v': 'mp4',
  '.mov': 'mov',
  '.qt': 'mov',
  '.webm': 'webm',
  '.mkv': 'mkv',
  '.avi': 'avi',
  '.gif': 'gif',
  '.png': 'png',
  '.apng': 'png',
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.webp': 'webp',
};

/** Formats that share a container, so a name using either one is not a lie. */
const SAME_CONTAINER: Record<MediaFormat, MediaFormat> = {
  mp4: 'mp4',
  mov: 'mp4',
  webm: 'webm',
  mkv: 'webm',
  avi: 'avi',
  gif: 'gif',
  png: 'png',
  jpeg: 'jpeg',
  webp: 'webp',
};

const SNIFF_BYTES = 64;

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

/** The format of a file's content from its first bytes, or undefined when it is not media we read. */
export function sniffBytes(head: Uint8Array): MediaFormat | undefined {
  if (head.length < 4) return undefined;
  if (head[0] === 0x89 && ascii(head, 1, 4) === 'PNG') return 'png';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (ascii(head, 0, 6) === 'GIF87a' || ascii(head, 0, 6) === 'GIF89a') return 'gif';
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WEBP') return 'webp';
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'AVI ') return 'avi';
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) {
    return ascii(head, 0, head.length).includes('webm') ? 'webm' : 'mkv';
  }
  // ISO base media (MP4/QuickTime): a box size then a box type; 'ftyp' names the brand.
  const box = ascii(head, 4, 8);
  if (box === 'ftyp') return ascii(head, 8, 12) === 'qt  ' ? 'mov' : 'mp4';
  if (box === 'moov' || box === 'mdat' || box === 'wide' || box === 'free') return 'mov';
  return undefined;
}

/** Reads the first bytes of `file` and sniffs them. */
export async function sniffFile(file: string): Promise<MediaFormat | undefined> {
  const handle = await open(file, 'r');
  try {
    const head = new Uint8Array(SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
    return sniffBytes(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/** The format a file name claims, or undefined for unknown or missing extensions. */
export function formatFromExtension(file: string): MediaFormat | undefined {
  return EXTENSIONS[extname(file).toLowerCase()];
}

/** True when a name claiming `claimed` may honestly hold `actual`. */
export function extensionAgrees(claimed: MediaFormat, actual: MediaFormat): boolean {
  return SAME_CONTAINER[claimed] === SAME_CONTAINER[actual];
}
