// Server limits and options: typed data, validated once where the server starts.
import { z } from 'zod';

export const serverLimitsSchema = z.strictObject({
  /** Largest JSON body (a data-URL image counts here). */
  maxJsonBytes: z
    .number()
    .int()
    .positive()
    .default(16 * 1024 * 1024),
  /** Largest uploaded reference image. */
  maxImageBytes: z
    .number()
    .int()
    .positive()
    .default(10 * 1024 * 1024),
  /** Largest uploaded video (edits, extensions, characters). */
  maxVideoBytes: z
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024),
  maxPromptChars: z.number().int().positive().default(4000),
  maxSeconds: z.number().int().positive().default(20),
});
export type ServerLimits = z.infer<typeof serverLimitsSchema>;
export const DEFAULT_LIMITS: ServerLimits = serverLimitsSchema.parse({});

export const rateLimitSchema = z.strictObject({
  /** Requests per minute per API key; the bucket holds a minute's worth. */
  requestsPerMinute: z.number().int().positive().default(600),
});
export type RateLimitOptions = z.infer<typeof rateLimitSchema>;
