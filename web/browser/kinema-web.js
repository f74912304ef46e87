// Kinema in the browser: text → video entirely client-side with onnxruntime-web (wasm), from the
// graphs `kinema export-onnx --web` writes. It mirrors the Node pipeline step for step
// (src/models/text.ts tokenizer, src/nn/init.ts Rng for the noise, src/diffusion/samplers.ts
// Euler/Heun with classifier-free guidance, src/pipeline/generate.ts decoding), so the same seed
// and settings give the same frames up to float rounding between the two runtimes. Prompts are
// expanded into the model's caption style first, as `kinema generate` and the API do (expand.js is
// src/pipeline/promptExpansion.ts, bundled by `export-onnx --web`).
import { expandPrompt } from './expand.js';
import * as ort from './ort/ort.wasm.min.mjs';

ort.env.wasm.wasmPaths = new URL('./ort/', import.meta.url).href;
// Threads need a cross-origin-isolated page; a plain static server is not.
ort.env.wasm.numThreads = globalThis.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;

const UNK_ID = 1;

/** Lower case, accents and punctuation removed, hyphens split (as normalizeWords in text.ts). */
export function normalizeWords(text) {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/['’]/g, '')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter((word) => word.length > 0);
}

/** Prompt → padded ids and mask of `length`, plus unknown words (as tokenizeBatch in text.ts). */
export function tokenize(tokenizer, text, length) {
  const index = new Map(tokenizer.vocab.map((word, id) => [word, id]));
  const ids = new Int32Array(length);
  const mask = new Float32Array(length);
  const unknown = [];
  normalizeWords(text).forEach((word, i) => {
    let id = index.get(word);
    if (id === undefined && word.endsWith('s')) id = index.get(word.slice(0, -1));
    if (id === undefined && word.endsWith('es')) id = index.get(word.slice(0, -2));
    if (id === undefined) {
      id = UNK_ID;
      if (!unknown.includes(word)) unknown.push(word);
    }
    if (i < length) {
      ids[i] = id;
      mask[i] = 1;
    }
  });
  return { ids, mask, unknown };
}

/** The seeded generator of src/nn/init.ts (mulberry32 + Box–Muller). */
class Rng {
  constructor(seed) {
    this.state = seed >>> 0;
  }
  uniform() {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  normal() {
    const u1 = 1 - this.uniform();
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}

/** Times from 1 to 0, shifted toward high noise (timeSchedule in samplers.ts). */
function timeSchedule(steps, shift) {
  const times = new Float32Array(steps + 1);
  for (let i = 0; i <= steps; i++) {
    const t = 1 - i / steps;
    times[i] = (shift * t) / (1 + (shift - 1) * t);
  }
  return times;
}

async function fetchOk(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot load ${url}: HTTP ${response.status}`);
  return response;
}

/** Loads the exported model from `base` (a folder URL ending in /). */
export async function loadModel(base) {
  const manifest = await (await fetchOk(new URL('manifest.json', base))).json();
  if (manifest.format !== 'kinema-onnx-1') throw new Error(`${base} is not a Kinema ONNX export`);
  const tokenizer = await (await fetchOk(new URL(manifest.files.tokenizer, base))).json();
  const session = async (file) => {
    const bytes = new Uint8Array(await (await fetchOk(new URL(file, base))).arrayBuffer());
    return ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  };
  const denoiser = await session(manifest.files.denoiser);
  const decoder = await session(manifest.files.decoder);
  return { manifest, tokenizer, denoiser, decoder };
}

/**
 * Generates one clip. options: prompt, expandPrompt (default true), negativePrompt, seed, steps,
 * guidanceScale, guidanceInterval ([low, high]: the times at which guidance applies; both default
 * to the manifest's, the Node pipeline's defaults at export), sampler ('euler' | 'heun'),
 * onProgress(percent). Returns RGB uint8 pixels
 * (frames, height, width, 3), the prompt the model read (`modelPrompt`) and how it was expanded
 * (`expansion`: expanded, reason when kept as written, ignoredWords).
 */
export async function generate(model, options) {
  const { manifest, tokenizer, denoiser, decoder } = model;
  const { seed = 0, steps = 12, sampler = 'euler', onProgress } = options;
  // exports from before the manifest carried them guided everywhere at 1.5
  const guidanceScale = options.guidanceScale ?? manifest.guidanceScale ?? 1.5;
  const [low, high] = options.guidanceInterval ?? manifest.guidanceInterval ?? [0, 1];
  const shape = [1, ...manifest.latentShape];
  const count = manifest.latentShape.reduce((a, b) => a * b, 1);
  const length = manifest.captionLength;
  const expansion = expandPrompt(options.prompt, {
    width: manifest.width,
    height: manifest.height,
    frames: manifest.frames,
    fps: manifest.fps ?? 8, // graphs exported before the manifest carried fps were 8 fps
    seed,
    enabled: options.expandPrompt !== false,
    // worded in the model's vocabulary, as VideoPipeline.expandPrompt does
    reads: (phrase) => tokenize(tokenizer, phrase, 0).unknown.length === 0,
  });
  const caption = tokenize(tokenizer, expansion.prompt, length);
  const negative = options.negativePrompt ? tokenize(tokenizer, options.negativePrompt, length) : undefined;
  const zeros = new Float32Array(count);
  const noFrames = new Float32Array(manifest.latentShape[0]);

  const denoise = async (latents, t, conditional) => {
    const ids = conditional ? caption : (negative ?? caption);
    const keep = conditional || negative ? 1 : 0;
    const out = await denoiser.run({
      latents: new ort.Tensor('float32', latents, shape),
      timestep: new ort.Tensor('float32', Float32Array.of(t), [1]),
      captionIds: new ort.Tensor('int32', ids.ids, [1, length]),
      captionMask: new ort.Tensor('float32', ids.mask, [1, length]),
      captionKeep: new ort.Tensor('float32', Float32Array.of(keep), [1]),
      conditionLatents: new ort.Tensor('float32', zeros, shape),
      conditionMask: new ort.Tensor('float32', noFrames, [1, manifest.latentShape[0]]),
    });
    return out.velocity.data;
  };
  const guided = async (latents, t) => {
    const cond = await denoise(latents, t, true);
    if (guidanceScale === 1 || t < low || t > high) return cond;
    const uncond = await denoise(latents, t, false);
    const v = new Float32Array(count);
    for (let i = 0; i < count; i++) v[i] = uncond[i] + guidanceScale * (cond[i] - uncond[i]);
    return v;
  };
  const step = (x, v, dt) => {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = x[i] + dt * v[i];
    return out;
  };

  const rng = new Rng(seed);
  let x = new Float32Array(count);
  for (let i = 0; i < count; i++) x[i] = rng.normal();
  const times = timeSchedule(steps, manifest.scheduleShift);
  for (let i = 0; i < steps; i++) {
    const t = times[i];
    const next = times[i + 1];
    const dt = next - t;
    const v = await guided(x, t);
    let proposal = step(x, v, dt);
    if (sampler === 'heun' && next > 0) {
      const vNext = await guided(proposal, next);
      const average = new Float32Array(count);
      for (let j = 0; j < count; j++) average[j] = 0.5 * (v[j] + vNext[j]);
      proposal = step(x, average, dt);
    }
    x = proposal;
    onProgress?.((100 * (i + 1)) / steps);
  }

  for (let i = 0; i < count; i++) x[i] = x[i] / manifest.latentScale;
  const decoded = (await decoder.run({ input: new ort.Tensor('float32', x, shape) })).output.data;
  const pixels = new Uint8Array(decoded.length);
  for (let i = 0; i < decoded.length; i++)
    pixels[i] = Math.max(0, Math.min(255, Math.round((decoded[i] + 1) * 127.5)));
  return {
    pixels,
    frames: manifest.frames,
    width: manifest.width,
    height: manifest.height,
    modelPrompt: expansion.prompt,
    expansion: {
      expanded: expansion.expanded,
      ...(expansion.reason ? { reason: expansion.reason } : {}),
      ignoredWords: expansion.ignoredWords ?? [],
    },
    unknownWords: caption.unknown,
  };
}

/** Shows frame `f` of a clip on a canvas. */
export function drawFrame(canvas, clip, f) {
  const context = canvas.getContext('2d');
  const size = clip.width * clip.height;
  const image = context.createImageData(clip.width, clip.height);
  for (let i = 0; i < size; i++) {
    const o = (f * size + i) * 3;
    image.data.set([clip.pixels[o], clip.pixels[o + 1], clip.pixels[o + 2], 255], i * 4);
  }
  context.putImageData(image, 0, 0);
}
