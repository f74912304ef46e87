// Probe a media file: container, codec, size, frame rate, duration and exact frame count.
// MP4/MOV/WebM/MKV files that read cleanly are probed from their own index in process
// (container-index.ts). Everything else — GIF, AVI, images, and any file that does not read
// cleanly — takes one ffmpeg run that copies the video stream to the null muxer: it reads every
// packet without decoding, so the frame count is exact and a cut-off file fails here rather
// than mid-decode, with a typed error from ffmpeg's own messages.
import { readContainerIndex } from './container-index.ts';
import { MediaLimitError, NotMediaError } from './errors.ts';
import { ffmpegPath } from './ffmpeg-binary.ts';
import { classifyFfmpegFailure } from './ffmpeg-failure.ts';
import { runFfmpeg } from './ffmpeg-process.ts';
import { checkInput } from './input-check.ts';
import { type MediaLimits, parseLimits } from './limits.ts';
import { DEMUXER, IMAGE_FORMATS, type MediaFormat } from './sniff.ts';

export interface MediaInfo {
  file: string;
  /** Container detected from the content. */
  format: MediaFormat;
  bytes: number;
  /** ffmpeg's name of the video codec (h264, vp9, gif, png, mjpeg, ...). */
  codec: string;
  /**
   * Picture size: the frames that were encoded, and what decoding gives by default. Equal to the
   * display size, except for Kinema's own MP4/WebM of small clips, which store each pixel as an
   * upscale × upscale block (see encode-video.ts) and say so in a tag.
   */
  width: number;
  height: number;
  /** Size stored in the file: what a player shows (videoWidth × videoHeight in a browser). */
  displayWidth: number;
  displayHeight: number;
  /** Display size ÷ picture size: 1, or the integer factor of a tagged Kinema upscale. */
  upscale: number;
  /** Frames per second as the container declares it; undefined for still images. */
  fps: number | undefined;
  /** Seconds; 0 for still images. */
  durationS: number;
  /** Exact number of video frames (packets) in the file. */
  frames: number;
  isImage: boolean;
}

export interface ProbeOptions {
  /** ffmpeg executable (default: $KINEMA_FFMPEG, else the npm-installed one). */
  ffmpeg?: string;
  limits?: Partial<MediaLimits>;
  /** Accept a file whose extension names another format than its content. */
  allowExtensionMismatch?: boolean;
  /** Read MP4/MOV/WebM/MKV indexes in process when they read cleanly (default true); false: always ffmpeg. */
  readIndex?: boolean;
}

/** The ffmpeg input arguments for a checked file: demuxer forced, only local files readable. */
export function inputArgs(file: string, format: MediaFormat, limits: MediaLimits): string[] {
  return [
    '-protocol_whitelist',
    'file,pipe',
    '-max_pixels',
    String(limits.maxPixels),
    '-f',
    DEMUXER[format],
    '-i',
    `file:${file}`,
  ];
}

/** The tag Kinema writes in the container's `comment` when it stores a clip upscaled. */
export function sourceSizeTag(width: number, height: number): string {
  return `kinema:source-size=${width}x${height}`;
}

/** The picture size a `comment` names when it is a `sourceSizeTag`. */
function parseSourceSizeTag(comment: string | undefined): { width: number; height: number } | undefined {
  const tag = /^kinema:source-size=(\d+)x(\d+)$/.exec(comment?.trim() ?? '');
  return tag ? { width: Number(tag[1]), height: Number(tag[2]) } : undefined;
}

interface StreamHeader {
  codec: string;
  width: number;
  height: number;
  fps: number | undefined;
  durationS: number | undefined;
  frames: number;
  /** The picture size a Kinema tag names, if any (not yet checked against the stream). */
  tagged?: { width: number; height: number };
}

/** Parses the input section and final progress line of ffmpeg's stderr; undefined without video. */
export function parseProbeStderr(stderr: string): StreamHeader | undefined {
  const inputSection = stderr.split(/^Output #0/m)[0] ?? '';
  const stream = /Stream #0:\d+[^:]*: Video: (\w+)([^\n]*)/.exec(inputSection);
  if (!stream) return undefined;
  const rest = stream[2] ?? '';
  const size = /,\s(\d+)x(\d+)(?=[\s,[]|$)/.exec(rest);
  if (!size) return undefined;
  const fps = /,\s([\d.]+)(k?) fps/.exec(rest) ?? /,\s([\d.]+)(k?) tbr/.exec(rest);
  const duration = /Duration: (\d+):(\d+):([\d.]+)/.exec(inputSection);
  const frameLines = [...stderr.matchAll(/frame=\s*(\d+)/g)];
  const tagged = [...inputSection.matchAll(/^\s+comment\s*: (.*)$/gim)]
    .map((line) => parseSourceSizeTag(line[1]))
    .find((size) => size !== undefined);
  // A phone's portrait video is stored landscape with a rotation; ffmpeg turns the frames when it
  // decodes them, so the frames come out with width and height swapped.
  const rotation = /displaymatrix: rotation of (-?[\d.]+) degrees/.exec(inputSection);
  const turned = rotation !== null && Math.abs(Number(rotation[1])) % 180 === 90;
  return {
    codec: stream[1]!,
    width: Number(size[turned ? 2 : 1]),
    height: Number(size[turned ? 1 : 2]),
    fps: fps ? Number(fps[1]) * (fps[2] === 'k' ? 1000 : 1) : undefined,
    durationS: duration
      ? Number(duration[1]) * 3600 + Number(duration[2]) * 60 + Number(duration[3])
      : undefined,
    frames: Number(frameLines.at(-1)?.[1] ?? 0),
    ...(tagged ? { tagged } : {}),
  };
}

/**
 * The picture size and factor for a display size and an optional tag. A tag is believed only
 * when the display size is exactly an integer multiple of it (≥ 2, the same on both axes), so a
 * file from anywhere cannot make the decoder produce something larger or stranger than it holds.
 */
export function pictureSize(
  display: { width: number; height: number },
  tagged: { width: number; height: number } | undefined,
): { width: number; height: number; upscale: number } {
  if (tagged && tagged.width > 0 && tagged.height > 0) {
    const k = display.width / tagged.width;
    if (Number.isInteger(k) && k >= 2 && display.height === k * tagged.height)
      return { width: tagged.width, height: tagged.height, upscale: k };
  }
  return { width: display.width, height: display.height, upscale: 1 };
}

export async function probeMedia(file: string, options: ProbeOptions = {}): Promise<MediaInfo> {
  const limits = parseLimits(options.limits);
  const input = await checkInput(file, { limits, allowExtensionMismatch: options.allowExtensionMismatch });
  const indexed =
    options.readIndex === false ? undefined : await indexHeader(file, input.format, input.bytes);
  const header = indexed ?? (await ffmpegHeader(file, input.format, limits, options));
  const isImage = IMAGE_FORMATS.has(input.format);
  const fps = isImage ? undefined : header.fps;
  const durationS = isImage ? 0 : (header.durationS ?? (fps ? header.frames / fps : 0));
  const { tagged, width: displayWidth, height: displayHeight, ...rest } = header;
  const display = { width: displayWidth, height: displayHeight };
  return {
    ...input,
    ...rest,
    ...pictureSize(display, tagged),
    displayWidth,
    displayHeight,
    fps,
    durationS,
    isImage,
  };
}

/** The container's own index, when it reads cleanly (see container-index.ts). */
async function indexHeader(
  file: string,
  format: MediaFormat,
  bytes: number,
): Promise<StreamHeader | undefined> {
  const index = await readContainerIndex(file, format, bytes);
  if (!index) return undefined;
  const { comment, ...header } = index;
  const tagged = parseSourceSizeTag(comment);
  return { ...header, ...(tagged ? { tagged } : {}) };
}

/** One ffmpeg pass that copies every packet of the video stream to the null muxer. */
async function ffmpegHeader(
  file: string,
  format: MediaFormat,
  limits: MediaLimits,
  options: ProbeOptions,
): Promise<StreamHeader> {
  const stderr = await runFfmpeg({
    binary: ffmpegPath(options.ffmpeg),
    args: [...inputArgs(file, format, limits), '-map', '0:v:0', '-c', 'copy', '-f', 'null', '-'],
    timeoutMs: limits.timeoutMs,
    inputFile: file,
  }).catch((err: unknown) => {
    if (err instanceof Error && /matches no streams/.test(err.message)) {
      throw new NotMediaError('has no video or image stream', file);
    }
    throw err;
  });
  // ffmpeg exits 0 on a cut-off file after copying what it could; its messages still say so.
  const damage = classifyFfmpegFailure(stderr, file);
  if (damage) throw damage;
  const header = parseProbeStderr(stderr);
  if (!header || header.frames === 0) throw new NotMediaError('has no decodable video frames', file);
  return header;
}

/** Throws a MediaLimitError when a probed file exceeds `limits`. */
export function enforceLimits(info: MediaInfo, limits: MediaLimits): void {
  const checks: [limit: keyof MediaLimits, value: number, max: number, what: string][] = [
    [
      'maxPixels',
      info.displayWidth * info.displayHeight,
      limits.maxPixels,
      `frame size ${info.displayWidth}x${info.displayHeight}`,
    ],
    ['maxDurationS', info.durationS, limits.maxDurationS, `duration ${info.durationS.toFixed(2)} s`],
    ['maxFrames', info.frames, limits.maxFrames, `${info.frames} frames`],
  ];
  for (const [limit, value, max, what] of checks) {
    if (value > max)
      throw new MediaLimitError(
        `${what} is over the limit (${limit} = ${max})`,
        info.file,
        limit,
        value,
        max,
      );
  }
}
