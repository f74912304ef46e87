// Limits for decoding files we did not make (uploads, user folders). Checked before ffmpeg decodes
// anything (from the file size and the probed header) and again while frames stream, so a file
// that lies in its header is still stopped. Validated once, at the edge, with zod.
import { z } from 'zod';

export const mediaLimitsSchema = z.object({
  /** Largest file accepted, in bytes. */
  maxFileBytes: z
    .number()
    .int()
    .positive()
    .default(1024 ** 3),
  /** Largest frame accepted, in pixels (width × height) of the source. */
  maxPixels: z
    .number()
    .int()
    .positive()
    .default(4096 * 4096),
  /** Longest source accepted, in seconds. */
  maxDurationS: z.number().positive().default(3600),
  /** Most source frames accepted. */
  maxFrames: z.number().int().positive().default(200_000),
  /** Wall-clock limit for each ffmpeg process, in milliseconds. */
  timeoutMs: z.number().int().positive().default(300_000),
});

export type MediaLimits = z.infer<typeof mediaLimitsSchema>;

/** Defaults for trusted local work; tighten them for uploads (see UPLOAD_LIMITS). */
export const DEFAULT_LIMITS: MediaLimits = mediaLimitsSchema.parse({});

/** Suggested limits for anonymous uploads to the HTTP server (image or short clip references). */
export const UPLOAD_LIMITS: MediaLimits = mediaLimitsSchema.parse({
  maxFileBytes: 64 * 1024 ** 2,
  maxPixels: 3840 * 2160,
  maxDurationS: 120,
  maxFrames: 7200,
  timeoutMs: 60_000,
});

/** Fills in defaults and validates user-given limits (throws a ZodError on bad values). */
export function parseLimits(partial: Partial<MediaLimits> | undefined): MediaLimits {
  return mediaLimitsSchema.parse(partial ?? {});
}
