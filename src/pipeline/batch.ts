// A batch of prompts from a file: plain text (one prompt per line; blank lines and lines starting
// with # are skipped) or JSON Lines (one object per line with a prompt and optional per-item
// settings). Each item becomes one clip and its record in the output folder, named by its line.
import { mkdir, readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { z } from 'zod';
import type { AuditLog } from '../safety/audit.ts';
import { assertPromptAllowed } from '../safety/policy.ts';
import type { VideoPipeline } from './generate.ts';
import { type Provenance, writeOutput } from './output.ts';
import { makeRecord, recordPath, saveRecord } from './record.ts';
import { checkSettings, framesForSeconds, type GenerationSettings } from './settings.ts';

export class BatchError extends Error {
  override name = 'BatchError';
  static readonly userError = true;
}

const itemSchema = z
  .object({
    prompt: z.string().trim().min(1),
    name: z
      .string()
      .regex(/^[\w.-]+$/, 'use letters, digits, ".", "-" and "_"')
      .optional(),
    negativePrompt: z.string().optional(),
    seed: z.number().int().optional(),
    steps: z.number().int().positive().optional(),
    guidanceScale: z.number().optional(),
    sampler: z.enum(['euler', 'heun']).optional(),
    width: z.number().int().positive().optional(),
    height: z.number().int().positive().optional(),
    fps: z.number().positive().optional(),
    frames: z.number().int().positive().optional(),
    seconds: z.number().positive().optional(),
  })
  .strict();

export type BatchItem = z.infer<typeof itemSchema> & { line: number };

/** Reads a .txt or .jsonl prompt file; every bad line is reported with its number. */
export async function readBatch(file: string): Promise<BatchItem[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new BatchError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const jsonl = ['.jsonl', '.ndjson'].includes(extname(file).toLowerCase());
  const items: BatchItem[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (!jsonl) {
      items.push({ prompt: line, line: i + 1 });
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      problems.push(`line ${i + 1}: not JSON`);
      return;
    }
    const parsed = itemSchema.safeParse(value);
    if (parsed.success) items.push({ ...parsed.data, line: i + 1 });
    else
      problems.push(
        `line ${i + 1}: ${parsed.error.issues.map((x) => `${x.path.join('.') || 'item'}: ${x.message}`).join('; ')}`,
      );
  });
  if (problems.length > 0) throw new BatchError(`${file}: ${problems.slice(0, 5).join('; ')}`);
  if (items.length === 0) throw new BatchError(`${file} has no prompts`);
  return items;
}

export interface BatchOptions {
  /** Settings for items that do not say otherwise (prompt is ignored). */
  defaults: Omit<GenerationSettings, 'prompt'> & { frames: number };
  outDir: string;
  /** Output extension, e.g. "mp4". */
  extension: string;
  expand: boolean;
  /** Called before each item, with its index and the prompt the model gets. */
  onItem?: (index: number, item: BatchItem, modelPrompt: string) => void;
  onProgress?: (percent: number) => void;
  /** Provenance of each clip (the operator's settings); every item gets its own output id. */
  provenanceOf: (prompt: string) => Provenance;
  /** Where a refused prompt is recorded, and who asked. */
  audit?: { log: AuditLog; keyId: string | null };
}

export interface BatchResult {
  item: BatchItem;
  output: string;
  record: string;
}

/** Generates every item in order (one pipeline, so compiled sessions are shared). */
export async function runBatch(
  pipeline: VideoPipeline,
  items: BatchItem[],
  options: BatchOptions,
): Promise<BatchResult[]> {
  // Every prompt is checked before any compute is spent on the first; a refusal is audit-logged.
  const { audit } = options;
  for (const item of items) {
    for (const text of [item.prompt, item.negativePrompt]) {
      if (text === undefined) continue;
      const request = { keyId: audit?.keyId ?? null, action: 'batch', prompt: text };
      assertPromptAllowed(text, {}, audit && { log: audit.log, request });
    }
  }
  await mkdir(options.outDir, { recursive: true });
  const results: BatchResult[] = [];
  const digits = String(items.length).length;
  for (const [index, item] of items.entries()) {
    const base = { ...options.defaults, ...definedOnly(item) };
    const frames =
      item.frames ?? (item.seconds !== undefined ? framesForSeconds(item.seconds, base.fps) : base.frames);
    const settings = { ...base, frames, prompt: item.prompt };
    checkSettings(pipeline.model, settings);
    const expansion = pipeline.expandPrompt(item.prompt, { ...settings, enabled: options.expand });
    options.onItem?.(index, item, expansion.prompt);
    const video = await pipeline.generate({
      ...settings,
      prompt: expansion.prompt,
      onProgress: (p) => options.onProgress?.((100 * (index + p / 100)) / items.length),
    });
    const name = item.name ?? `${String(index + 1).padStart(digits, '0')}-${slug(item.prompt)}`;
    const output = join(options.outDir, `${name}.${options.extension}`);
    const written = await writeOutput(video, output, { provenance: options.provenanceOf(item.prompt) });
    const record = makeRecord('generate', { ...settings, modelPrompt: expansion.prompt }, video, {
      output: basename(written.path),
    });
    await saveRecord(recordPath(written.path), record);
    results.push({ item, output: written.path, record: recordPath(written.path) });
  }
  return results;
}

/** The item's settings without its bookkeeping fields or unset keys. */
function definedOnly(item: BatchItem): Partial<GenerationSettings> {
  const { prompt: _p, name: _n, line: _l, frames: _f, seconds: _s, ...settings } = item;
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
}

/** A file-name-safe short form of a prompt. */
function slug(prompt: string): string {
  return (
    prompt
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40)
      .replace(/-$/, '') || 'clip'
  );
}
