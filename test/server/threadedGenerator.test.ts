// The server's generator in a worker thread: the same jobs, files, progress and typed errors as
// the in-process pipeline generator, on a tiny model saved to a weights file.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { encodePng } from '../../src/media/png.ts';
import { saveModel } from '../../src/models/bundle.ts';
import { VideoPipeline } from '../../src/pipeline/generate.ts';
import { operatorSettingsSchema } from '../../src/pipeline/operator.ts';
import { AuditLog } from '../../src/safety/audit.ts';
import { GenerationError, type VideoJobInput } from '../../src/server/generator.ts';
import { PipelineGenerator } from '../../src/server/pipelineGenerator.ts';
import { ThreadedGenerator } from '../../src/server/threadedGenerator.ts';
import { tinyModel } from '../pipeline/_tinyModel.ts';

let dir: string;
let generator: ThreadedGenerator;
let inProcess: PipelineGenerator;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kinema-thread-'));
  const model = await tinyModel();
  const weights = join(dir, 'tiny.safetensors');
  await saveModel(weights, model);
  const operator = operatorSettingsSchema.parse({ home: join(dir, 'provenance') });
  const options = { operator, maxNativeSide: 16, defaultSteps: 2 };
  generator = await ThreadedGenerator.start({ ...options, weights });
  inProcess = new PipelineGenerator({ ...options, pipeline: VideoPipeline.fromModel(model) });
});

after(async () => {
  await generator.close();
  await rm(dir, { recursive: true, force: true });
});

const job = (id: string, overrides: Partial<VideoJobInput> = {}): VideoJobInput => ({
  id,
  kind: 'create',
  prompt: 'a red ball moves to the right',
  model: 'kinema',
  seconds: 1,
  width: 32,
  height: 32,
  seed: 7,
  steps: null,
  guidanceScale: null,
  fps: 8,
  negativePrompt: null,
  inputReference: null,
  sourceVideo: null,
  ...overrides,
});

/** An empty output folder, as the worker gives the generator. */
async function outDir(name: string): Promise<string> {
  const path = join(dir, name);
  await mkdir(path);
  return path;
}

test('answers to the same model names and native sizes as the in-process generator', () => {
  assert.deepEqual(generator.models, inProcess.models);
  for (const [w, h] of [
    [32, 32],
    [1280, 720],
    [720, 1280],
    [5, 3],
  ] as const)
    assert.deepEqual(generator.nativeSize(w, h), inProcess.nativeSize(w, h), `${w}x${h}`);
});

test('a job writes the video, thumbnail and spritesheet, reporting progress on the way', async () => {
  const out = await outDir('one');
  const progress: number[] = [];
  const result = await generator.generate(
    job('video_one'),
    out,
    (f) => progress.push(f),
    new AbortController().signal,
  );
  assert.deepEqual(
    (await readdir(out)).filter((n) => !n.startsWith('.')).sort(),
    [result.video, result.thumbnail, result.spritesheet, 'spritesheet.json'].sort(),
  );
  assert.equal(result.frames, 9);
  assert.equal(result.fps, 8);
  assert.ok(progress.length >= 2, `progress ${progress}`);
  assert.ok(
    progress.every((f, i) => i === 0 || f >= progress[i - 1]!),
    `progress ${progress}`,
  );
  assert.ok(progress.at(-1)! >= 0.9);
});

test("a refused prompt fails with the policy's code, as in process", async () => {
  await assert.rejects(
    generator.generate(
      job('video_refused', { prompt: 'a video of Barack Obama giving a speech' }),
      await outDir('refused'),
      () => {},
      new AbortController().signal,
    ),
    (err: unknown) => err instanceof GenerationError && err.code === 'content_policy_violation',
  );
  // The refusal is in the operator's audit log: its category and the job, the prompt as a hash.
  const refused = new AuditLog(join(dir, 'provenance', 'audit.jsonl'))
    .records()
    .filter((r) => r.outputId === 'video_refused');
  assert.deepEqual(
    refused.map((r) => [r.decision, r.category, r.action]),
    [['refused', 'real_people', 'create']],
  );
  assert.doesNotMatch(JSON.stringify(refused), /Obama/i);
});

test('the model reads where objects start, except over an image, whose frame fixes it', async () => {
  // regionPhrase's words (src/world/lexicon.ts); "to the right" is the motion, not a place
  const startPlace =
    /\b(starts|starting|begins)\b|\b(on|near|in|at) the (left|right|center|middle|top|bottom)\b/i;
  const bouncing = { prompt: 'a red ball bounces' };
  const text = await generator.generate(
    job('video_text', bouncing),
    await outDir('text'),
    () => {},
    new AbortController().signal,
  );
  // The caption says where the ball starts, as world captions do.
  assert.match(text.modelPrompt, startPlace, text.modelPrompt);
  const image = join(dir, 'first.png');
  await writeFile(image, encodePng(new Uint8Array(32 * 32 * 3).fill(200), 32, 32));
  const animated = await generator.generate(
    job('video_image', { ...bouncing, inputReference: image }),
    await outDir('image'),
    () => {},
    new AbortController().signal,
  );
  assert.doesNotMatch(animated.modelPrompt, startPlace, animated.modelPrompt);
});

test('aborting stops the job in the thread, and the thread takes the next job', async () => {
  const abort = new AbortController();
  const started = Date.now();
  await assert.rejects(
    generator.generate(
      job('video_long', { steps: 500 }),
      await outDir('long'),
      () => abort.abort('deleted'),
      abort.signal,
    ),
  );
  assert.ok(Date.now() - started < 20_000, 'the abort was prompt');
  const result = await generator.generate(
    job('video_after'),
    await outDir('after'),
    () => {},
    new AbortController().signal,
  );
  assert.equal(result.frames, 9);
});

test('missing weights fail at start, naming the file', async () => {
  await assert.rejects(
    ThreadedGenerator.start({
      weights: join(dir, 'nope.safetensors'),
      operator: operatorSettingsSchema.parse({ home: join(dir, 'provenance') }),
    }),
    /nope\.safetensors/,
  );
});
