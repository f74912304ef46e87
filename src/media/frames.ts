// The frame layout shared by all of Kinema: RGB uint8, (frames, height, width, 3), row-major,
// plus the frame rate. A FrameStream is the same thing delivered in chunks of whole frames, so a
// long video never has to sit in memory at once.
import { UnsupportedMediaError } from './errors.ts';

export interface VideoFrames {
  /** RGB uint8, (frames, height, width, 3). */
  pixels: Uint8Array;
  frames: number;
  height: number;
  width: number;
  fps: number;
}

export interface FrameStream {
  height: number;
  width: number;
  fps: number;
  /** Chunks of whole frames, each (n, height, width, 3). */
  chunks: AsyncIterable<Uint8Array>;
}

export type FrameSource = VideoFrames | FrameStream;

export function frameBytes(width: number, height: number): number {
  return width * height * 3;
}

/** Throws when sizes and buffer length disagree, or the rate is not a positive number. */
export function checkShape(
  video: { width: number; height: number; fps: number },
  frames?: number,
  length?: number,
): void {
  const { width, height, fps } = video;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new UnsupportedMediaError(`frame size must be positive integers, got ${width}x${height}`);
  }
  if (!(fps > 0 && Number.isFinite(fps)))
    throw new UnsupportedMediaError(`fps must be a positive number, got ${fps}`);
  if (frames !== undefined && (!Number.isInteger(frames) || frames < 1)) {
    throw new UnsupportedMediaError(`need at least one frame, got ${frames}`);
  }
  if (frames !== undefined && length !== undefined && length !== frames * frameBytes(width, height)) {
    throw new UnsupportedMediaError(
      `pixels has ${length} bytes; ${frames}x${height}x${width}x3 needs ${frames * frameBytes(width, height)}`,
    );
  }
}

export function isFrameStream(source: FrameSource): source is FrameStream {
  return 'chunks' in source;
}

/** One frame of a clip, without copying. */
export function frameAt(video: VideoFrames, index: number): Uint8Array {
  const size = frameBytes(video.width, video.height);
  return video.pixels.subarray(index * size, (index + 1) * size);
}

/** A clip as a stream, in chunks of up to `framesPerChunk` frames (views, not copies). */
export function toFrameStream(video: VideoFrames, framesPerChunk = 16): FrameStream {
  checkShape(video, video.frames, video.pixels.length);
  const size = frameBytes(video.width, video.height);
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let f = 0; f < video.frames; f += framesPerChunk) {
      yield video.pixels.subarray(f * size, Math.min(video.frames, f + framesPerChunk) * size);
    }
  }
  return { width: video.width, height: video.height, fps: video.fps, chunks: chunks() };
}

/** Collects a stream into one clip (only for clips known to fit in memory). */
export async function collectFrames(stream: FrameStream): Promise<VideoFrames> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of stream.chunks) {
    parts.push(chunk);
    length += chunk.length;
  }
  const pixels = parts.length === 1 ? parts[0]! : Buffer.concat(parts, length);
  const frames = length / frameBytes(stream.width, stream.height);
  return {
    pixels: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.length),
    frames,
    height: stream.height,
    width: stream.width,
    fps: stream.fps,
  };
}

/** ffmpeg's rational form of a frame rate: exact for integers and NTSC rates (29.97 = 30000/1001). */
export function fpsRational(fps: number): string {
  if (Number.isInteger(fps)) return String(fps);
  const ntsc = Math.round((fps * 1001) / 1000);
  if (Math.abs((ntsc * 1000) / 1001 - fps) < 1e-3) return `${ntsc * 1000}/1001`;
  return `${Math.round(fps * 1000)}/1000`;
}
