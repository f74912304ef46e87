// What the DiT thinks each class looks like: for a large still of every drawn shape, the one-step
// estimate of the clean frame (x0 = x_t − t·v, decoded) at several noise levels, under the true
// caption and under the caption naming another class. A picture, not a score: a model that draws
// classes shows each shape at high noise and follows the swapped word; the ninth-session model
// showed one blob for every row and both captions at t ≥ 0.7 (see the model card).
import type { VideoPipeline } from '../pipeline/generate.ts';
import { DenoiserSession } from '../pipeline/sessions.ts';
import { captionScene } from '../world/captions.ts';
import { CLASSES } from '../world/classes.ts';
import { renderClip } from '../world/render.ts';
import { curriculumOptions, sampleScene } from '../world/sample.ts';
import { changedScene, oneStepEstimate } from './sensitivity.ts';

export interface ClassEstimateOptions {
  /** Noise levels (flow time, 1 = pure noise). */
  times: readonly number[];
  /** Scene seed (the same for every row: only the class differs). */
  seed: number;
  /** Frame side in pixels. */
  size: number;
}

export const DEFAULT_CLASS_ESTIMATES: ClassEstimateOptions = {
  times: [0.3, 0.5, 0.7, 0.9],
  seed: 1000,
  size: 64,
};

export interface ClassEstimateGrid {
  /** RGB (height, width, 3): a row per shape class; columns: the reference still, then per time
   *  the estimate under the true caption and under the swapped one. */
  rgb: Uint8Array;
  width: number;
  height: number;
  rows: { class: string; caption: string; swappedCaption: string }[];
}

const SHAPE_CLASSES = CLASSES.filter((c) => c.kind === 'shape').map((c) => c.name);

export async function classEstimateGrid(
  pipeline: VideoPipeline,
  options: ClassEstimateOptions = DEFAULT_CLASS_ESTIMATES,
): Promise<ClassEstimateGrid> {
  const { size, times } = options;
  const shape = pipeline.latentShape(size, size, 1); // (frames, height, width, channels) of latents
  const columns = 1 + 2 * times.length;
  const width = columns * size;
  const height = SHAPE_CLASSES.length * size;
  const rgb = new Uint8Array(width * height * 3);
  const place = (tile: Uint8Array, row: number, column: number) => {
    for (let y = 0; y < size; y++) {
      const from = y * size * 3;
      rgb.set(tile.subarray(from, from + size * 3), ((row * size + y) * width + column * size) * 3);
    }
  };
  const tokenizer = pipeline.model.tokenizer;
  const denoiser = await DenoiserSession.create(pipeline.model, 1, shape);
  const rows: ClassEstimateGrid['rows'] = [];
  try {
    for (const [row, name] of SHAPE_CLASSES.entries()) {
      // a large, still, level-0 scene whose only free choice is the class
      const spec = sampleScene(options.seed, {
        ...curriculumOptions(0, { width: size, height: size, frames: 1 }),
        sizes: ['large'],
        classes: [name],
        motions: ['static'],
      });
      const caption = captionScene(spec, options.seed).detailed;
      const swappedCaption = captionScene(changedScene(spec, 'class')!, options.seed).detailed;
      rows.push({ class: name, caption, swappedCaption });
      const pixels = renderClip(spec, options.seed, { captions: false }).pixels;
      place(pixels, row, 0);
      const x0 = await pipeline.encodePixels(pixels, size, size, 1);
      for (const [k, t] of times.entries()) {
        // the same noise for both captions (seed + k): only the class word differs
        for (const [j, text] of [caption, swappedCaption].entries()) {
          const estimate = await oneStepEstimate(
            denoiser,
            tokenizer,
            x0,
            shape[0],
            t,
            text,
            options.seed + k,
          );
          place(await pipeline.decodeLatents(estimate, shape), row, 1 + 2 * k + j);
        }
      }
    }
  } finally {
    await denoiser.dispose();
  }
  return { rgb, width, height, rows };
}
