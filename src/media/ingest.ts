// Ingest real videos for training: each captioned video is decoded once, streamed at the training
// size and frame rate, and cut into consecutive clips of `frames` frames (a last part shorter than
// a clip is dropped). With aspect buckets, each video goes to the bucket nearest its aspect ratio
// (centre-cropped to it). Clips go to a ClipSink (the training shard writer). Nothing is dropped
// silently: the summary lists videos without captions, videos too short for one clip, and videos
// that failed to decode (with the typed error's message), and ingest goes on with the rest.
import { listCaptionedVideos } from './captions.ts';
import { type Fit, openVideo } from './decode.ts';
import { MediaError } from './errors.ts';
import { frameBytes } from './frames.ts';
import type { MediaLimits } from './limits.ts';
import { probeMedia } from './probe.ts';

/** One training clip: RGB uint8 (frames, height, width, 3) and its captions. */
export interface ClipRecord {
  pixels: Uint8Array;
  frames: number;
  height: number;
  width: number;
  fps: number;
  captions: string[];
  /** Where it came from: the source file and the clip's start time in it. */
  source: string;
  startS: number;
}

/** Where clips go (the training shard writer, behind a small interface). */
export interface ClipSink {
  write(clip: ClipRecord): Promise<void>;
}

export interface IngestOptions {
  width: number;
  height: number;
  frames: number;
  fps: number;
  fit?: Fit;
  /** Sizes to choose from by aspect ratio; when given, width/height are only the fallback. */
  buckets?: { width: number; height: number }[];
  /** Most clips taken from one video (default: all). */
  maxClipsPerVideo?: number;
  limits?: Partial<MediaLimits>;
  ffmpeg?: string;
  onVideo?: (done: number, total: number, path: string) => void;
}

export interface IngestSummary {
  videos: number;
  clips: number;
  uncaptioned: string[];
  tooShort: string[];
  failed: { path: string; error: string }[];
}

/** The bucket whose aspect ratio is closest (in log space) to width/height. */
export function nearestBucket<B extends { width: number; height: number }>(
  buckets: B[],
  width: number,
  height: number,
): B {
  const target = Math.log(width / height);
  let best = buckets[0]!;
  for (const b of buckets) {
    if (
      Math.abs(Math.log(b.width / b.height) - target) < Math.abs(Math.log(best.width / best.height) - target)
    )
      best = b;
  }
  return best;
}

async function ingestOne(
  path: string,
  captions: string[],
  sink: ClipSink,
  options: IngestOptions,
): Promise<number> {
  let size = { width: options.width, height: options.height };
  if (options.buckets && options.buckets.length > 0) {
    const info = await probeMedia(path, { ffmpeg: options.ffmpeg, limits: options.limits });
    size = nearestBucket(options.buckets, info.width, info.height);
  }
  const clipBytes = options.frames * frameBytes(size.width, size.height);
  const { stream } = await openVideo(path, {
    ...size,
    fps: options.fps,
    fit: options.fit ?? 'crop',
    framesPerChunk: options.frames,
    ffmpeg: options.ffmpeg,
    limits: options.limits,
  });
  const maxClips = options.maxClipsPerVideo ?? Number.POSITIVE_INFINITY;
  let clips = 0;
  for await (const chunk of stream.chunks) {
    if (chunk.length < clipBytes || clips >= maxClips) break;
    const startS = (clips * options.frames) / options.fps;
    await sink.write({
      pixels: chunk,
      frames: options.frames,
      ...size,
      fps: options.fps,
      captions,
      source: path,
      startS,
    });
    clips++;
  }
  return clips;
}

export async function ingestVideos(
  source: string,
  sink: ClipSink,
  options: IngestOptions,
): Promise<IngestSummary> {
  const listing = await listCaptionedVideos(source);
  const summary: IngestSummary = {
    videos: 0,
    clips: 0,
    uncaptioned: listing.uncaptioned,
    tooShort: [],
    failed: [],
  };
  for (const [i, { path, captions }] of listing.videos.entries()) {
    options.onVideo?.(i, listing.videos.length, path);
    try {
      const clips = await ingestOne(path, captions, sink, options);
      summary.videos++;
      summary.clips += clips;
      if (clips === 0) summary.tooShort.push(path);
    } catch (err) {
      // A bad file is the user's data problem, reported; anything else is a bug and stops ingest.
      if (!(err instanceof MediaError)) throw err;
      summary.failed.push({ path, error: `${err.name}: ${err.message}` });
    }
  }
  return summary;
}
