// Turns ffmpeg's stderr after a failed run into a typed error about the input file. ffmpeg has no
// machine-readable error codes on the command line, so we match the messages its demuxers and
// decoders print; anything unrecognised stays a generic FfmpegError (see ffmpeg-process.ts).
import { CorruptMediaError, type MediaError, TruncatedMediaError } from './errors.ts';

const TRUNCATED = [
  /moov atom not found/i,
  /partial file/i,
  /unexpected end of file/i,
  /end of file/i,
  /truncat/i,
  /premature end/i,
];

const CORRUPT = [
  /Invalid data found when processing input/i,
  /invalid nal unit/i,
  /error while decoding/i,
  /corrupt/i,
  /could not find codec parameters/i,
  /decoding error/i,
  /invalid (?:header|frame|size|dimensions)/i,
  /EBML header parsing failed/i,
  /Failed to read frame/i,
];

/** The last few meaningful stderr lines, for a one-line error message. */
export function stderrSummary(stderr: string, lines = 2): string {
  return stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('frame=') && !line.startsWith('Conversion failed'))
    .slice(-lines)
    .join(' | ');
}

/**
 * A typed error for an input-related failure, or undefined when stderr names none. Indented lines
 * are skipped: they are stream descriptions and metadata, whose text the file itself controls.
 */
export function classifyFfmpegFailure(stderr: string, file: string | undefined): MediaError | undefined {
  if (file === undefined) return undefined;
  stderr = stderr
    .split('\n')
    .filter((line) => !/^\s/.test(line))
    .join('\n');
  const summary = stderrSummary(stderr);
  if (TRUNCATED.some((re) => re.test(stderr)))
    return new TruncatedMediaError(`file is truncated (${summary})`, file);
  if (CORRUPT.some((re) => re.test(stderr))) return new CorruptMediaError(`cannot decode (${summary})`, file);
  return undefined;
}
