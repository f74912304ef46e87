// Does the caption's class win over the shape in the input? Held-out level-0 clips are edited
// (SDEdit: the clip noised to time `strength`, then denoised) under the caption of the same scene
// with another class; the result's class is scored against that scene (the word won) and against
// the original (the input won); the same edit under the true caption is scored as a reference.
//
// Why. Sampling passes through mid noise with the model's own blob as its input. A model that
// reads the shape off its input there, whatever the caption says, sharpens the blob into whatever
// it resembles, so its samples' class is at chance although its tokens know the class (model card,
// "Class"). This measures that step directly, on 30 clips in minutes, where the class score of
// samples moves by a few hundredths over thousands of training steps.
import { editVideo } from '../pipeline/edit.ts';
import type { VideoPipeline } from '../pipeline/generate.ts';
import { DEFAULT_SETTINGS } from '../pipeline/settings.ts';
import { captionScene } from '../world/captions.ts';
import { renderClip } from '../world/render.ts';
import { scoreClip } from './oracle.ts';
import { mean } from './score.ts';
import { changedScene } from './sensitivity.ts';
import { evalPrompts } from './suite.ts';

export interface ClassFollowingOptions {
  /** Held-out level-0 prompts (the suite's first `count`). */
  count: number;
  /** Edit strengths: the flow time the clip is noised to (1 = pure noise). */
  strengths: readonly number[];
  width: number;
  height: number;
  frames: number;
}

export const DEFAULT_CLASS_FOLLOWING: ClassFollowingOptions = {
  count: 30,
  strengths: [0.5, 0.7],
  width: 64,
  height: 64,
  frames: 17,
};

export interface ClassFollowing {
  /** Class score against the scene the caption names: the word won. */
  followsWord: number;
  /** Class score against the clip that was edited: the input won. */
  keepsInput: number;
  /** Class score of the same edit under the clip's own caption. */
  trueCaption: number;
}

export interface ClassFollowingReport {
  prompts: number;
  /** Keyed by strength. */
  byStrength: Record<string, ClassFollowing>;
}

export async function classFollowing(
  pipeline: VideoPipeline,
  options: ClassFollowingOptions = DEFAULT_CLASS_FOLLOWING,
): Promise<ClassFollowingReport> {
  const { width, height, frames } = options;
  const { fps } = DEFAULT_SETTINGS;
  // The clips and both captions once; each strength edits the same ones.
  const clips = evalPrompts({ ...options, fps, level: 0, captionStyle: 'detailed' }).flatMap(
    ({ seed, spec }) => {
      const swapped = changedScene(spec, 'class');
      if (!swapped) return [];
      const video = {
        pixels: renderClip(spec, seed, { captions: false }).pixels,
        frames,
        width,
        height,
        fps,
      };
      const captions = {
        own: captionScene(spec, seed).detailed,
        other: captionScene(swapped, seed).detailed,
      };
      return [{ seed, spec, swapped, video, captions }];
    },
  );
  const byStrength: Record<string, ClassFollowing> = {};
  for (const strength of options.strengths) {
    const scores: Record<keyof ClassFollowing, number[]> = {
      followsWord: [],
      keepsInput: [],
      trueCaption: [],
    };
    for (const { seed, spec, swapped, video, captions } of clips) {
      const edit = async (prompt: string) =>
        (
          await editVideo(pipeline, {
            ...DEFAULT_SETTINGS,
            width,
            height,
            fps,
            seed,
            prompt,
            video,
            strength,
          })
        ).pixels;
      const classOf = (scene: typeof spec, pixels: Uint8Array) =>
        scoreClip(scene, pixels, { seed }).scores.class ?? 0;
      const toOther = await edit(captions.other);
      scores.followsWord.push(classOf(swapped, toOther));
      scores.keepsInput.push(classOf(spec, toOther));
      scores.trueCaption.push(classOf(spec, await edit(captions.own)));
    }
    byStrength[String(strength)] = {
      followsWord: mean(scores.followsWord),
      keepsInput: mean(scores.keepsInput),
      trueCaption: mean(scores.trueCaption),
    };
  }
  return { prompts: clips.length, byStrength };
}
