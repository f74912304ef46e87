// A video job as stored (VideoRecord) and as the API shows it (the `Video` object of the official
// openai client, plus a `kinema` field with what only Kinema knows). Typing the wire object with
// the client's own type makes a shape drift a compile error.
import type { Video } from 'openai/resources/videos';
import type { GeneratedVideo, VideoJobInput } from './generator.ts';

export type VideoStatus = 'queued' | 'in_progress' | 'completed' | 'failed';

export interface VideoRecord {
  id: string;
  status: VideoStatus;
  /** 0..100 */
  progress: number;
  /** Unix seconds. */
  createdAt: number;
  completedAt: number | null;
  expiresAt: number | null;
  error: { code: string; message: string } | null;
  /** As the generator gets it, except that inputReference/sourceVideo are relative to the data folder. */
  input: VideoJobInput;
  /** Set once completed: where the files are, relative to the data folder. */
  result: StoredResult | null;
  /** How many times a worker has started this job. */
  attempts: number;
  /** The video this one was made from (remix, edit, extend). */
  sourceVideoId: string | null;
  /** The size string as requested (e.g. "1280x720"). */
  size: string;
  /** The seconds string as requested (e.g. "8"). */
  seconds: string;
}

export interface StoredResult extends GeneratedVideo {
  /** Folder holding the files, relative to the data folder. */
  dir: string;
}

export interface KinemaVideoFields {
  kinema: {
    kind: VideoJobInput['kind'];
    seed: number;
    native_size: string | null;
    fps: number | null;
    frames: number | null;
    steps: number | null;
    guidance_scale: number | null;
    /** [low, high] as requested; null: the default (see src/pipeline/settings.ts). */
    guidance_interval: [number, number] | null;
    negative_prompt: string | null;
    /** The prompt as the model read it (expanded unless expand_prompt was false); null until done. */
    model_prompt: string | null;
    attempts: number;
  };
}

export type VideoObject = Video & KinemaVideoFields;

export function toVideoObject(r: VideoRecord): VideoObject {
  return {
    id: r.id,
    object: 'video',
    status: r.status,
    progress: r.progress,
    model: r.input.model,
    prompt: r.input.prompt,
    seconds: r.seconds,
    // The client types size as the four Sora sizes; Kinema sizes are a documented extension.
    size: r.size as Video['size'],
    created_at: r.createdAt,
    completed_at: r.completedAt,
    expires_at: r.expiresAt,
    error: r.error,
    remixed_from_video_id: r.input.kind === 'remix' ? r.sourceVideoId : null,
    kinema: {
      kind: r.input.kind,
      seed: r.input.seed,
      native_size: r.result ? `${r.result.nativeWidth}x${r.result.nativeHeight}` : null,
      fps: r.result?.fps ?? r.input.fps,
      frames: r.result?.frames ?? null,
      steps: r.input.steps,
      guidance_scale: r.input.guidanceScale,
      guidance_interval: r.input.guidanceInterval ?? null,
      negative_prompt: r.input.negativePrompt,
      model_prompt: r.result?.modelPrompt ?? null,
      attempts: r.attempts,
    },
  };
}
