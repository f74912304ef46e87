// Remix: a new clip from an earlier one's recorded settings (seed, size, length, steps, guidance,
// sampler, negative prompt) with a changed prompt. The same seed means the same starting noise, so
// the remix keeps much of the earlier clip's layout; with the earlier clip and a strength below 1
// it is an edit of that clip instead. The new record names the earlier one in `remixed_from`.
import type { VideoFrames } from '../media/frames.ts';
import { editVideo } from './edit.ts';
import type { GeneratedVideo, VideoPipeline } from './generate.ts';
import { loopVideo } from './loop.ts';
import { type GenerationRecord, makeRecord } from './record.ts';
import type { GenerationSettings } from './settings.ts';

export interface RemixRequest {
  /** The earlier clip's record. */
  record: GenerationRecord;
  /** The new prompt as the user wrote it, and as the model gets it (after expansion). */
  prompt: string;
  modelPrompt?: string;
  /** The earlier clip at the record's size: with strength in [0, 1), the remix edits it. */
  source?: { video: VideoFrames; strength: number };
  onProgress?: (percent: number) => void;
}

export interface Remix {
  video: GeneratedVideo;
  /** Its record (kind "remix", remixed_from = the earlier id); `output` is still to be set. */
  record: GenerationRecord;
}

export async function remixVideo(pipeline: VideoPipeline, request: RemixRequest): Promise<Remix> {
  const { record, onProgress } = request;
  const modelPrompt = request.modelPrompt ?? request.prompt;
  const settings: GenerationSettings = {
    prompt: modelPrompt,
    negativePrompt: record.negativePrompt,
    seed: record.seed,
    steps: record.steps,
    guidanceScale: record.guidanceScale,
    sampler: record.sampler,
    width: record.width,
    height: record.height,
    fps: record.fps,
  };
  let video: GeneratedVideo;
  if (request.source && request.source.strength < 1)
    video = await editVideo(pipeline, { ...settings, ...request.source, onProgress });
  else if (record.kind === 'loop')
    video = await loopVideo(pipeline, { ...settings, frames: record.frames, onProgress });
  else video = await pipeline.generate({ ...settings, frames: record.frames, onProgress });
  const options: GenerationRecord['options'] = request.source ? { strength: request.source.strength } : {};
  return {
    video,
    record: makeRecord('remix', { ...settings, prompt: request.prompt, modelPrompt }, video, {
      remixed_from: record.id,
      options,
    }),
  };
}
