import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { VideoPipeline } from '../../src/pipeline/generate.ts';
import { screenInput } from '../../src/pipeline/inputs.ts';
import { operatorSettingsSchema } from '../../src/pipeline/operator.ts';
import { AuditLog } from '../../src/safety/audit.ts';
import { checkLikeness, decideLikeness, detectFaces, LikenessRefused } from '../../src/safety/likeness.ts';
import { GenerationError, type VideoJobInput } from '../../src/server/generator.ts';
import { DEFAULT_LIMITS } from '../../src/server/limits.ts';
import { PipelineGenerator } from '../../src/server/pipelineGenerator.ts';
import { requestSchemas } from '../../src/server/requests.ts';
import { tinyModel } from '../pipeline/_tinyModel.ts';
import { decodeFrames, runFfmpeg } from '../provenance/_ffmpeg.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

// Real photos from Debian's opencv-doc package (apt-get install opencv-doc).
const DATA = '/usr/share/doc/opencv-doc/examples/data';
const FACE = join(DATA, 'messi5.jpg');
const NO_FACE = join(DATA, 'fruits.jpg');
const skip = !existsSync(FACE) || !existsSync(NO_FACE) ? 'needs Debian opencv-doc sample images' : false;

async function still(file: string) {
  const png = join(mkdtempSync(join(tmpdir(), 'kinema-face-')), 'in.png');
  await runFfmpeg(['-v', 'error', '-y', '-i', file, '-vf', 'scale=320:-2', png]);
  return decodeFrames(png, 1);
}

test('a photo with a face is refused without consent, allowed and logged with it', { skip }, async () => {
  const check = await detectFaces(await still(FACE));
  assert.throws(() => decideLikeness(check, false), LikenessRefused);
  assert.deepEqual(decideLikeness(check, true), check);
  assert.ok(check.faces >= 1 && check.bestScore > 0.5, JSON.stringify(check));
  const log = new AuditLog(join(mkdtempSync(join(tmpdir(), 'kinema-audit-')), 'audit.jsonl'));
  log.append({
    keyId: 'key_1',
    action: 'image_to_video',
    promptSha256: null,
    decision: 'allowed',
    category: 'likeness',
    reason: `face present (${check.faces}), consent given`,
    outputId: 'video_9',
    watermarkPayload: 9,
    fileSha256: [],
    parentOutputId: null,
  });
  assert.equal(log.records()[0]!.reason, 'face present (1), consent given');
});

test('a photo without a face passes without consent', { skip }, async () => {
  const check = await checkLikeness(await still(NO_FACE), false);
  assert.equal(check.faces, 0);
});

test('screening an input file logs a refusal, and a consented use, in the audit log', { skip }, async () => {
  const log = new AuditLog(join(mkdtempSync(join(tmpdir(), 'kinema-audit-')), 'audit.jsonl'));
  const audit = { log, keyId: 'key_2', action: 'animate', prompt: 'the photo comes to life' };
  // The full-size JPEG (480 px wide): the rule looks at the file, not at the model's 64 px crop.
  await assert.rejects(() => screenInput(FACE, false, audit), LikenessRefused);
  assert.equal((await screenInput(FACE, true, audit)).faces >= 1, true);
  assert.equal((await screenInput(NO_FACE, false, audit)).faces, 0);
  const records = log.records();
  assert.deepEqual(
    records.map((r) => [r.decision, r.category, r.action, r.keyId]),
    [
      ['refused', 'likeness', 'animate', 'key_2'],
      ['allowed', 'likeness', 'animate', 'key_2'],
    ],
  );
  assert.match(records[0]!.reason ?? '', /human face/);
  assert.match(records[1]!.reason ?? '', /consent given/);
});

test('kinema animate refuses a face photo without --consent (exit 2, no output) and proceeds with it', {
  skip,
}, async () => {
  const home = mkdtempSync(join(tmpdir(), 'kinema-cli-face-'));
  const kinema = (args: string[]) =>
    run(
      process.execPath,
      [join(ROOT, 'bin', 'kinema.js'), 'animate', FACE, 'the photo comes to life', ...args],
      {
        cwd: home,
        env: { ...process.env, KINEMA_HOME: join(home, 'state') },
        timeout: 120_000,
      },
    );
  await assert.rejects(
    () => kinema(['-o', 'refused.mp4', '--steps', '1']),
    (err: { code?: number; stderr?: string }) =>
      err.code === 2 && /human face.*--consent/.test(err.stderr ?? ''),
  );
  assert.equal(existsSync(join(home, 'refused.mp4')), false);
  await kinema(['-o', 'allowed.mp4', '--steps', '1', '--consent', '--json']);
  assert.equal(existsSync(join(home, 'allowed.mp4')), true);
  const records = new AuditLog(join(home, 'state', 'audit.jsonl')).records();
  assert.deepEqual(
    records.map((r) => [r.decision, r.category]),
    [
      ['refused', 'likeness'],
      ['allowed', 'likeness'],
      ['allowed', null],
    ],
  );
});

test('an API job whose reference image shows a face fails with the policy code unless likeness_consent', {
  skip,
}, async () => {
  const home = mkdtempSync(join(tmpdir(), 'kinema-api-face-'));
  const generator = new PipelineGenerator({
    pipeline: VideoPipeline.fromModel(await tinyModel()),
    operator: operatorSettingsSchema.parse({ home }),
    maxNativeSide: 16,
    defaultSteps: 1,
  });
  const job: VideoJobInput = {
    id: 'video_0123456789abcdef01234567',
    kind: 'create',
    prompt: 'the photo comes to life',
    model: 'kinema',
    seconds: 1,
    width: 32,
    height: 32,
    seed: 1,
    steps: null,
    guidanceScale: null,
    fps: 8,
    negativePrompt: null,
    inputReference: FACE,
    sourceVideo: null,
  };
  const out = (name: string) => {
    const dir = join(home, name);
    mkdirSync(dir);
    return dir;
  };
  const signal = new AbortController().signal;
  await assert.rejects(
    () => generator.generate(job, out('refused'), () => {}, signal),
    (err: unknown) =>
      err instanceof GenerationError &&
      err.code === 'content_policy_violation' &&
      /likeness_consent: true/.test(err.message),
  );
  const made = await generator.generate({ ...job, likenessConsent: true }, out('allowed'), () => {}, signal);
  assert.equal(made.video, 'video.mp4');
  // The field as the API reads it: JSON booleans and multipart strings, nothing else.
  const schemas = requestSchemas(DEFAULT_LIMITS);
  assert.equal(schemas.create.parse({ prompt: 'x', likeness_consent: 'true' }).likeness_consent, true);
  assert.equal(schemas.create.parse({ prompt: 'x', likeness_consent: false }).likeness_consent, false);
  assert.equal(schemas.create.safeParse({ prompt: 'x', likeness_consent: 'yes' }).success, false);
});
