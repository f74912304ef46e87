// Request bodies and queries, strictly: unknown fields, wrong types and out-of-range values are a
// 400 naming the field. Schemas take the server limits, so they are built once per app.
import { z } from 'zod';
import { invalidRequest } from './errors.ts';
import type { ServerLimits } from './limits.ts';
import { parseSize } from './sizes.ts';

const file = z.instanceof(File, { message: 'expected an uploaded file' });
const videoRef = z.strictObject({ id: z.string().max(64) });

/** A Kinema boolean: true/false in JSON, "true"/"false" in multipart. */
const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

/** Kinema extras arrive as numbers in JSON and as numeric strings in multipart. */
function numeric(min: number, max: number, integer: boolean) {
  const inRange = (integer ? z.number().int() : z.number()).min(min).max(max);
  return z.union([
    inRange,
    z
      .string()
      .regex(/^-?\d+(\.\d+)?$/, 'expected a number')
      .transform(Number)
      .pipe(inRange),
  ]);
}

/**
 * Kinema's guidance interval: [low, high] shares of the sampling path, 0 ≤ low ≤ high ≤ 1, as a
 * JSON array or as "low,high" in multipart.
 */
const guidanceInterval = z
  .union([
    z.tuple([z.number(), z.number()]),
    z
      .string()
      .regex(/^\s*\d*\.?\d+\s*,\s*\d*\.?\d+\s*$/, 'expected "low,high", e.g. "0.55,0.95"')
      .transform((s) => s.split(',').map(Number) as [number, number]),
  ])
  .refine(([low, high]) => low >= 0 && low <= high && high <= 1, 'expected 0 ≤ low ≤ high ≤ 1');

export function requestSchemas(limits: ServerLimits) {
  const prompt = z.string().trim().min(1, 'prompt must not be empty').max(limits.maxPromptChars);
  const seconds = z
    .string()
    .regex(/^[1-9][0-9]?$/, 'seconds must be a whole number of seconds as a string, e.g. "4"')
    .refine((s) => Number(s) <= limits.maxSeconds, `seconds must be at most ${limits.maxSeconds}`);
  const size = z.string().superRefine((s, ctx) => {
    const parsed = parseSize(s);
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
  });
  const extras = {
    seed: numeric(0, 2 ** 32 - 1, true).optional(),
    steps: numeric(1, 1000, true).optional(),
    guidance_scale: numeric(1, 30, false).optional(),
    /** Kinema-only: where guidance applies (default: the pipeline's, see src/pipeline/settings.ts). */
    guidance_interval: guidanceInterval.optional(),
    fps: numeric(1, 60, true).optional(),
    negative_prompt: z.string().max(limits.maxPromptChars).optional(),
    /** Kinema-only: false gives the model the prompt as written (default: expanded, see video.kinema). */
    expand_prompt: flag.optional(),
  };
  /**
   * Kinema-only: the people shown in the uploaded picture or clip consented to this use. Inputs
   * with faces are refused without it (the likeness rule), and the decision is logged.
   */
  const likeness_consent = flag.optional();
  return {
    create: z.strictObject({
      prompt,
      model: z.string().min(1).max(64).optional(),
      seconds: seconds.optional(),
      size: size.optional(),
      input_reference: z
        .union([file, z.strictObject({ image_url: z.string().optional(), file_id: z.string().optional() })])
        .optional(),
      likeness_consent,
      ...extras,
    }),
    remix: z.strictObject({ prompt, ...extras }),
    edit: z.strictObject({ prompt, video: z.union([file, videoRef]), likeness_consent, ...extras }),
    extend: z.strictObject({
      prompt,
      seconds,
      video: z.union([file, videoRef]),
      likeness_consent,
      ...extras,
    }),
    character: z.strictObject({ name: z.string().trim().min(1).max(80), video: file }),
    list: z.strictObject({
      after: z.string().max(64).optional(),
      limit: z.coerce.number().int().min(1).max(100).default(20),
      order: z.enum(['asc', 'desc']).default('desc'),
    }),
    content: z.strictObject({ variant: z.enum(['video', 'thumbnail', 'spritesheet']).default('video') }),
  };
}

export type RequestSchemas = ReturnType<typeof requestSchemas>;
export type CreateRequest = z.infer<RequestSchemas['create']>;
export type Extras = Pick<
  CreateRequest,
  | 'seed'
  | 'steps'
  | 'guidance_scale'
  | 'guidance_interval'
  | 'fps'
  | 'negative_prompt'
  | 'expand_prompt'
  | 'likeness_consent'
>;

/** Parses with a schema; the first issue becomes a 400 naming the field. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    return failUnknown(issue.path.concat(key).join('.'));
  }
  const param = issue.path.join('.') || null;
  throw invalidRequest(param ? `${param}: ${issue.message}` : issue.message, param);
}

function failUnknown(param: string): never {
  throw invalidRequest(`unknown parameter "${param}"`, param, 'unknown_parameter');
}
