import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BatchError, readBatch, runBatch } from '../../src/pipeline/batch.ts';
import { VideoPipeline } from '../../src/pipeline/generate.ts';
import { operatorSettingsSchema, provenanceFor } from '../../src/pipeline/operator.ts';
import { loadRecord, makeRecord, RecordError, recordPath, saveRecord } from '../../src/pipeline/record.ts';
import { remixVideo } from '../../src/pipeline/remix.ts';
import { AuditLog } from '../../src/safety/audit.ts';
import { PolicyViolation } from '../../src/safety/policy.ts';
import { settings } from './_clips.ts';
import { tinyModel } from './_tinyModel.ts';

let pipeline: VideoPipeline;
let dir: string;
before(async () => {
  pipeline = VideoPipeline.fromModel(await tinyModel());
  dir = await mkdtemp(join(tmpdir(), 'kinema-remix-'));
});
after(async () => {
  await pipeline.dispose();
  await rm(dir, { recursive: true, force: true });
});

test('a remix replays the recorded settings with the new prompt and names its source', async () => {
  const original = await pipeline.generate({ ...settings, frames: 5 });
  const record = makeRecord('generate', { ...settings, modelPrompt: settings.prompt }, original, {
    output: 'clip.mp4',
  });
  const path = join(dir, recordPath('clip.mp4'));
  await saveRecord(path, record);
  const loaded = await loadRecord(path);
  assert.deepEqual(loaded, record);
  const remix = await remixVideo(pipeline, { record: loaded, prompt: 'a blue square falls' });
  assert.equal(remix.record.kind, 'remix');
  assert.equal(remix.record.remixed_from, record.id);
  assert.notEqual(remix.record.id, record.id);
  assert.equal(remix.record.seed, settings.seed);
  assert.equal(remix.video.frames, 5);
  const direct = await pipeline.generate({ ...settings, prompt: 'a blue square falls', frames: 5 });
  assert.deepEqual(remix.video.pixels, direct.pixels);
  // The same prompt again reproduces the original exactly.
  const same = await remixVideo(pipeline, { record: loaded, prompt: settings.prompt });
  assert.deepEqual(same.video.pixels, original.pixels);
  await writeFile(join(dir, 'bad.json'), JSON.stringify({ ...record, seed: 'x' }));
  await assert.rejects(
    () => loadRecord(join(dir, 'bad.json')),
    (e: unknown) => e instanceof RecordError && /seed/.test(e.message),
  );
});

test('a batch file gives one clip and one record per prompt; bad lines are reported by number', async () => {
  const text = join(dir, 'prompts.txt');
  await writeFile(text, '# two clips\na red ball moves to the right\n\na blue square falls\n');
  const items = await readBatch(text);
  assert.deepEqual(
    items.map((i) => [i.line, i.prompt]),
    [
      [2, 'a red ball moves to the right'],
      [4, 'a blue square falls'],
    ],
  );
  const jsonl = join(dir, 'prompts.jsonl');
  await writeFile(
    jsonl,
    '{"prompt": "a red ball", "seed": 4, "name": "ball"}\n{"prompt": ""}\n{"seed": 1}\n',
  );
  await assert.rejects(
    () => readBatch(jsonl),
    (e: unknown) =>
      e instanceof BatchError && /line 2: prompt/.test(e.message) && /line 3: prompt/.test(e.message),
  );
  await writeFile(jsonl, '{"prompt": "a red ball", "seed": 4, "name": "ball", "frames": 3}\n');
  const { seed: _seed, prompt: _prompt, ...defaults } = settings;
  const out = join(dir, 'batch');
  const operator = operatorSettingsSchema.parse({ home: join(dir, 'home') });
  const results = await runBatch(pipeline, [...items, ...(await readBatch(jsonl))], {
    defaults: { ...defaults, seed: 0, frames: 5 },
    outDir: out,
    extension: 'gif',
    expand: false,
    provenanceOf: (prompt) =>
      provenanceFor(operator, { prompt, modelId: 'tiny', action: 'batch' }).provenance,
  });
  assert.equal(results.length, 3);
  // Each clip is signed and logged with its own output id.
  const audit = new AuditLog(join(dir, 'home', 'audit.jsonl')).records();
  assert.equal(new Set(audit.map((r) => r.outputId)).size, 3);
  assert.deepEqual((await readdir(out)).sort(), [
    '1-a-red-ball-moves-to-the-right.gif',
    '1-a-red-ball-moves-to-the-right.gif.json',
    '2-a-blue-square-falls.gif',
    '2-a-blue-square-falls.gif.json',
    'ball.gif',
    'ball.gif.json',
  ]);
  const ball = await loadRecord(results[2]!.record);
  assert.equal(ball.seed, 4);
  assert.equal(ball.frames, 3);
  assert.equal(ball.output, 'ball.gif');
  // One refused prompt stops the whole batch before any clip, and the refusal is logged.
  const refusedOut = join(dir, 'refused');
  await assert.rejects(
    () =>
      runBatch(pipeline, [...items, { prompt: 'a video of Barack Obama giving a speech', line: 3 }], {
        defaults: { ...defaults, seed: 0, frames: 5 },
        outDir: refusedOut,
        extension: 'gif',
        expand: false,
        provenanceOf: (prompt) =>
          provenanceFor(operator, { prompt, modelId: 'tiny', action: 'batch' }).provenance,
        audit: { log: new AuditLog(join(dir, 'home', 'audit.jsonl')), keyId: null },
      }),
    PolicyViolation,
  );
  assert.equal(existsSync(refusedOut), false);
  const refusals = new AuditLog(join(dir, 'home', 'audit.jsonl'))
    .records()
    .filter((r) => r.decision === 'refused');
  assert.deepEqual(
    refusals.map((r) => [r.action, r.category]),
    [['batch', 'real_people']],
  );
});
