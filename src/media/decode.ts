// Decode a video or image file into RGB frames at a requested size and frame rate, streamed from
// ffmpeg's stdout in chunks (an async generator), so memory stays bounded however long the input.
//
// Size: `fit` says how the source's aspect ratio meets the requested one:
//   'crop'      scale to cover the target, then cut the centre (default; no borders, loses edges)
//   'letterbox' scale to fit inside the target, then pad with black bars (keeps the whole picture)
//   'stretch'   scale to the target ignoring aspect ratio
// Frame rate: without `fps` every source frame comes out once (exact count, GIF delays ignored);
// with `fps` frames are resampled by ffmpeg's fps filter (nearest frame in time: frames dropped or
// repeated), so the output has about duration × fps frames.
import { MediaLimitError, UnsupportedMediaError } from './errors.ts';
import { ffmpegPath } from './ffmpeg-binary.ts';
import { ffmpegStdout } from './ffmpeg-process.ts';
import { collectFrames, type FrameStream, fpsRational, frameBytes, type VideoFrames } from './frames.ts';
import { type MediaLimits, parseLimits } from './limits.ts';
import { enforceLimits, inputArgs, type MediaInfo, type ProbeOptions, probeMedia } from './probe.ts';

export const FITS = ['crop', 'letterbox', 'stretch'] as const;
export type Fit = (typeof FITS)[number];

export interface DecodeOptions extends ProbeOptions {
  /** Output size; both default to the source size. Giving one keeps the source aspect (rounded). */
  width?: number;
  height?: number;
  fit?: Fit;
  /** Output frame rate; default: the source's frames, unchanged. */
  fps?: number;
  /** Start time in seconds and length in seconds of the part to decode. */
  startS?: number;
  durationS?: number;
  /** Frames per yielded chunk (memory per chunk = framesPerChunk × width × height × 3). */
  framesPerChunk?: number;
}

export interface OpenedVideo {
  info: MediaInfo;
  /** The decoded frames; iterate once. Stopping early kills ffmpeg. */
  stream: FrameStream;
}

/** The output size for a source, given the requested width/height (either may be missing). */
export function outputSize(
  source: { width: number; height: number },
  width: number | undefined,
  height: number | undefined,
): { width: number; height: number } {
  if (width !== undefined && height !== undefined) return { width, height };
  if (width !== undefined)
    return { width, height: Math.max(1, Math.round((width * source.height) / source.width)) };
  if (height !== undefined)
    return { width: Math.max(1, Math.round((height * source.width) / source.height)), height };
  return { width: source.width, height: source.height };
}

/** The integer k when `from` is exactly k times `to` on both axes (k ≥ 2), else undefined. */
function integerFactor(
  from: { width: number; height: number },
  to: { width: number; height: number },
): number | undefined {
  const k = from.width / to.width;
  return Number.isInteger(k) && k >= 2 && from.height === k * to.height ? k : undefined;
}

/**
 * The ffmpeg filter chain: resample in time, scale/crop/pad in space, emit RGB. `from` is the
 * stored size: when it is an exact integer multiple of the output (Kinema's upscaled small clips,
 * or any ×k downscale) each k×k block is averaged ('area'), which gives back the frames that were
 * upscaled almost exactly; otherwise Lanczos.
 */
export function decodeFilters(
  size: { width: number; height: number },
  fit: Fit,
  fps: number | undefined,
  from?: { width: number; height: number },
): string {
  const { width: w, height: h } = size;
  const kernel = from && integerFactor(from, size) ? 'area' : 'lanczos';
  const flags = `flags=${kernel}+accurate_rnd+full_chroma_int`;
  const filters: string[] = [];
  if (fps !== undefined) filters.push(`fps=fps=${fpsRational(fps)}`);
  if (fit === 'crop')
    filters.push(`scale=${w}:${h}:force_original_aspect_ratio=increase:${flags}`, `crop=${w}:${h}`);
  else if (fit === 'letterbox') {
    filters.push(
      `scale=${w}:${h}:force_original_aspect_ratio=decrease:${flags}`,
      `pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2:black`,
    );
  } else filters.push(`scale=${w}:${h}:${flags}`);
  filters.push('setsar=1', 'format=rgb24');
  return filters.join(',');
}

function checkRequest(options: DecodeOptions): void {
  for (const key of ['width', 'height', 'framesPerChunk'] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
      throw new UnsupportedMediaError(`${key} must be a positive integer, got ${value}`);
    }
  }
  if (options.fps !== undefined && !(options.fps > 0 && Number.isFinite(options.fps))) {
    throw new UnsupportedMediaError(`fps must be a positive number, got ${options.fps}`);
  }
  if (options.fit !== undefined && !FITS.includes(options.fit)) {
    throw new UnsupportedMediaError(`fit must be one of ${FITS.join(', ')}, got ${options.fit}`);
  }
}

/** Counts the whole-frame chunks ffmpeg's stdout arrives in; enforces maxFrames; drops a cut-off frame. */
async function* frameChunks(
  chunks: AsyncIterable<Uint8Array>,
  frameSize: number,
  limits: MediaLimits,
  file: string,
): AsyncGenerator<Uint8Array> {
  let frames = 0;
  for await (const chunk of chunks) {
    const whole = chunk.length - (chunk.length % frameSize);
    if (whole === 0) continue;
    frames += whole / frameSize;
    // A header can lie about its length; the count of what actually arrives cannot.
    if (frames > limits.maxFrames) {
      throw new MediaLimitError(
        `decodes to more than ${limits.maxFrames} frames`,
        file,
        'maxFrames',
        frames,
        limits.maxFrames,
      );
    }
    yield whole === chunk.length ? chunk : chunk.subarray(0, whole);
  }
}

/** The ffmpeg arguments that decode a probed file to raw RGB on stdout (pure; the bench uses it). */
export function decodeArgs(info: MediaInfo, options: DecodeOptions = {}): string[] {
  const limits = parseLimits(options.limits);
  const size = outputSize(info, options.width, options.height);
  const resample = info.isImage ? undefined : options.fps;
  const window = [
    ...(options.startS !== undefined ? ['-ss', String(options.startS)] : []),
    ...(options.durationS !== undefined ? ['-t', String(options.durationS)] : []),
  ];
  return [
    '-v',
    'error',
    ...window,
    ...inputArgs(info.file, info.format, limits),
    '-map',
    '0:v:0',
    '-vf',
    decodeFilters(size, options.fit ?? 'crop', resample, {
      width: info.displayWidth,
      height: info.displayHeight,
    }),
    ...(resample === undefined ? ['-vsync', 'passthrough'] : []),
    '-t',
    String(limits.maxDurationS),
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ];
}

/** Starts decoding an already probed and limit-checked file. */
function streamFrames(info: MediaInfo, options: DecodeOptions, firstChunkFrames?: number): FrameStream {
  const limits = parseLimits(options.limits);
  const size = outputSize(info, options.width, options.height);
  const fps = info.isImage ? (options.fps ?? 1) : (options.fps ?? info.fps ?? 25);
  const frameSize = frameBytes(size.width, size.height);
  const bytes = ffmpegStdout(
    {
      binary: ffmpegPath(options.ffmpeg),
      args: decodeArgs(info, options),
      timeoutMs: limits.timeoutMs,
      inputFile: info.file,
    },
    {
      chunkBytes: frameSize * (options.framesPerChunk ?? 16),
      firstChunkBytes: firstChunkFrames === undefined ? undefined : frameSize * firstChunkFrames,
    },
  );
  return { ...size, fps, chunks: frameChunks(bytes, frameSize, limits, info.file) };
}

async function probeChecked(file: string, options: DecodeOptions): Promise<MediaInfo> {
  checkRequest(options);
  const info = await probeMedia(file, options);
  enforceLimits(info, parseLimits(options.limits));
  return info;
}

/** Probes `file`, checks it against the limits, and returns a lazy stream of its decoded frames. */
export async function openVideo(file: string, options: DecodeOptions = {}): Promise<OpenedVideo> {
  const info = await probeChecked(file, options);
  return { info, stream: streamFrames(info, options) };
}

/** Decodes a whole file into memory (for short clips; use openVideo for long ones). */
export async function decodeVideo(file: string, options: DecodeOptions = {}): Promise<VideoFrames> {
  const info = await probeChecked(file, options);
  // Without resampling or a time window the probe's count is exact: one buffer, filled in place.
  const exact = options.fps === undefined && options.startS === undefined && options.durationS === undefined;
  return collectFrames(streamFrames(info, options, exact ? info.frames : undefined));
}
