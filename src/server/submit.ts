// Turning a validated request into a queued job: defaults, model names, uploads written to the
// data folder, and the source video of remixes, edits and extensions looked up.
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { type AppOptions, SORA_MODELS } from './context.ts';
import { ApiError, invalidRequest, notFound } from './errors.ts';
import type { VideoJobInput } from './generator.ts';
import { isId, newId } from './ids.ts';
import type { Extras } from './requests.ts';
import { DEFAULT_SIZE, parseSize } from './sizes.ts';
import { type CheckedUpload, checkImageFile, checkImageUrl, checkVideoFile } from './uploads.ts';
import type { VideoRecord } from './video.ts';

export const DEFAULT_SECONDS = '4';

export interface JobRequest extends Extras {
  kind: VideoJobInput['kind'];
  prompt: string;
  model?: string;
  seconds?: string;
  size?: string;
  inputReference?: CheckedUpload;
  /** The completed video a remix, edit or extension starts from. */
  source?: VideoRecord;
  /** Or an uploaded source video (edit, extend). */
  sourceUpload?: CheckedUpload;
}

function resolveModel(options: AppOptions, model: string | undefined): string {
  if (model === undefined) return options.models[0]!;
  if (options.models.includes(model) || (SORA_MODELS as readonly string[]).includes(model)) return model;
  throw invalidRequest(
    `model "${model}" is not served here; use one of ${[...options.models, ...SORA_MODELS].join(', ')}`,
    'model',
    'model_not_found',
  );
}

export async function submitJob(options: AppOptions, req: JobRequest): Promise<VideoRecord> {
  const id = newId('video');
  const size = req.size ?? req.source?.size ?? DEFAULT_SIZE;
  const parsed = parseSize(size);
  if (typeof parsed === 'string') throw invalidRequest(parsed, 'size');
  let inputReference: string | null = null;
  if (req.inputReference) {
    inputReference = options.data.uploadPath(id, `reference.${req.inputReference.format}`);
    await options.data.write(inputReference, req.inputReference.bytes);
  }
  let sourceVideo: string | null = null;
  if (req.sourceUpload) {
    sourceVideo = options.data.uploadPath(id, `source.${req.sourceUpload.format}`);
    await options.data.write(sourceVideo, req.sourceUpload.bytes);
  } else if (req.source?.result) {
    sourceVideo = join(req.source.result.dir, req.source.result.video);
  }
  const seconds = req.seconds ?? req.source?.seconds ?? DEFAULT_SECONDS;
  const input: VideoJobInput = {
    id,
    kind: req.kind,
    prompt: req.prompt,
    model: resolveModel(options, req.model ?? req.source?.input.model),
    seconds: Number(seconds),
    width: parsed.width,
    height: parsed.height,
    seed: req.seed ?? randomInt(0, 2 ** 32 - 1),
    steps: req.steps ?? null,
    guidanceScale: req.guidance_scale ?? null,
    guidanceInterval: req.guidance_interval ?? null,
    fps: req.fps ?? req.source?.input.fps ?? null,
    negativePrompt: req.negative_prompt ?? null,
    expandPrompt: req.expand_prompt ?? true,
    inputReference,
    sourceVideo,
    likenessConsent: req.likeness_consent ?? false,
  };
  return options.queue.submit({ input, size, seconds, sourceVideoId: req.source?.id ?? null });
}

/** A completed video to start from, by id (404 unknown, 409 not completed yet). */
export async function completedSource(options: AppOptions, id: string, param: string): Promise<VideoRecord> {
  if (!isId('video', id)) throw notFound(`video ${JSON.stringify(id)}`);
  const source = await options.queue.get(id);
  if (!source) throw notFound(`video ${id}`);
  if (source.status !== 'completed' || !source.result) {
    throw new ApiError(
      409,
      `video ${id} is ${source.status}; only a completed video can be used here`,
      'invalid_request_error',
      'video_not_completed',
      param,
      { 'x-should-retry': 'false' },
    );
  }
  return source;
}

export async function readReference(
  options: AppOptions,
  ref: File | { image_url?: string; file_id?: string } | undefined,
): Promise<CheckedUpload | undefined> {
  if (ref === undefined) return undefined;
  const max = options.limits.maxImageBytes;
  if (ref instanceof File) return checkImageFile(ref, max, 'input_reference');
  if (ref.file_id !== undefined) {
    throw invalidRequest(
      'input_reference.file_id: the Files API is not served here; upload the image or send a data URL',
      'input_reference.file_id',
      'unsupported_value',
    );
  }
  if (ref.image_url === undefined)
    throw invalidRequest('input_reference needs image_url (a data URL) or a file upload', 'input_reference');
  return checkImageUrl(ref.image_url, max, 'input_reference.image_url');
}

export async function readSourceVideo(
  options: AppOptions,
  video: File | { id: string },
): Promise<{ source?: VideoRecord; sourceUpload?: CheckedUpload }> {
  if (video instanceof File)
    return { sourceUpload: await checkVideoFile(video, options.limits.maxVideoBytes, 'video') };
  return { source: await completedSource(options, video.id, 'video.id') };
}
