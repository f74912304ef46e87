// A generation record: everything needed to make a clip again (or remix it), saved as JSON next
// to the output as `<output>.json`. Read back through one zod schema, so a hand-edited or foreign
// file fails with a clear message instead of a wrong video.
import { randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';

export const RECORD_FORMAT = 'kinema-generation-1';

export const GENERATION_KINDS = [
  'generate',
  'animate',
  'extend',
  'connect',
  'loop',
  'edit',
  'remix',
] as const;

const recordSchema = z.object({
  format: z.literal(RECORD_FORMAT),
  id: z.string().min(1),
  kind: z.enum(GENERATION_KINDS),
  createdAt: z.string(),
  model: z.string(),
  /** What the user wrote. */
  prompt: z.string(),
  /** What the model was given (the expanded prompt, or the same text). */
  modelPrompt: z.string(),
  negativePrompt: z.string().optional(),
  seed: z.number().int(),
  steps: z.number().int().positive(),
  guidanceScale: z.number(),
  sampler: z.enum(['euler', 'heun']),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  frames: z.number().int().positive(),
  fps: z.number().positive(),
  /** Input files (image, clips), as given. */
  inputs: z.array(z.string()).default([]),
  /** Kind-specific settings: strength, direction, seconds, … */
  options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  /** The output file, relative to the record's folder. */
  output: z.string(),
  /** Id of the record this one remixes. */
  remixed_from: z.string().optional(),
});

export type GenerationRecord = z.infer<typeof recordSchema>;

export class RecordError extends Error {
  override name = 'RecordError';
  static readonly userError = true;
}

export function newRecordId(): string {
  return `gen_${randomUUID().replaceAll('-', '')}`;
}

/** Where the record of an output lives. */
export function recordPath(output: string): string {
  return `${output}.json`;
}

export async function saveRecord(path: string, record: GenerationRecord): Promise<void> {
  const temporary = `${path}.tmp`;
  await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`);
  await rename(temporary, path);
}

export async function loadRecord(path: string): Promise<GenerationRecord> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new RecordError(`cannot read the generation record ${path}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RecordError(`${path} is not JSON`);
  }
  const parsed = recordSchema.safeParse(value);
  if (!parsed.success)
    throw new RecordError(
      `${path} is not a Kinema generation record (${parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.') || 'record'}: ${i.message}`)
        .join('; ')})`,
    );
  return parsed.data;
}

/** A record for a clip just made (its output path is filled in when it is written). */
export function makeRecord(
  kind: GenerationRecord['kind'],
  settings: {
    prompt: string;
    modelPrompt: string;
    negativePrompt?: string;
    seed: number;
    steps: number;
    guidanceScale: number;
    sampler: 'euler' | 'heun';
  },
  video: { width: number; height: number; frames: number; fps: number; modelId: string },
  extra: Partial<Pick<GenerationRecord, 'inputs' | 'options' | 'remixed_from' | 'output'>> = {},
): GenerationRecord {
  return {
    format: RECORD_FORMAT,
    id: newRecordId(),
    kind,
    createdAt: new Date().toISOString(),
    model: video.modelId,
    prompt: settings.prompt,
    modelPrompt: settings.modelPrompt,
    ...(settings.negativePrompt ? { negativePrompt: settings.negativePrompt } : {}),
    seed: settings.seed,
    steps: settings.steps,
    guidanceScale: settings.guidanceScale,
    sampler: settings.sampler,
    width: video.width,
    height: video.height,
    frames: video.frames,
    fps: video.fps,
    inputs: extra.inputs ?? [],
    options: extra.options ?? {},
    output: extra.output ?? '',
    ...(extra.remixed_from ? { remixed_from: extra.remixed_from } : {}),
  };
}
