// The README's main job, as a user runs it: `kinema generate` on the shipped weights.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { encodePng } from '../../src/media/png.ts';
import { probeMedia } from '../../src/media/probe.ts';
import { readManifest } from '../../src/provenance/c2pa.ts';
import { loadIdentity } from '../../src/provenance/identity.ts';
import { AuditLog } from '../../src/safety/audit.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
// regionPhrase's words (src/world/lexicon.ts); "to the right" is the motion, not a place
const START_PLACE =
  /\b(starts|starting|begins)\b|\b(on|near|in|at) the (left|right|center|middle|top|bottom)\b/i;
let home: string;

before(async () => {
  home = await mkdtemp(join(tmpdir(), 'kinema-cli-'));
});
after(() => rm(home, { recursive: true, force: true }));

function kinema(args: string[]) {
  return run(process.execPath, [join(ROOT, 'bin', 'kinema.js'), ...args], {
    cwd: home,
    env: { ...process.env, KINEMA_HOME: join(home, 'state') },
    timeout: 120_000,
  });
}

test('generate writes a signed 64x64 MP4 with the shipped weights', async () => {
  const { stdout, stderr } = await kinema([
    'generate',
    'a red ball moves to the right on a blue background',
    '-o',
    'out/ball.mp4',
    '--steps',
    '2',
    '--json',
  ]);
  const summary = JSON.parse(stdout);
  assert.equal(summary.width, 64);
  assert.equal(summary.frames, 17);
  assert.equal(summary.signed, true);
  assert.match(summary.id, /^video_[0-9a-f]{24}$/);
  assert.match(stderr, /created a local C2PA signing identity/);
  // The model read the prompt expanded into a detailed caption, in the user's own words.
  assert.match(summary.modelPrompt, /red ball .*to the right\..*blue background/);
  assert.match(stderr, /prompt expanded to: ".*red ball/);
  const info = await probeMedia(join(home, 'out', 'ball.mp4'));
  assert.deepEqual([info.width, info.height, info.frames], [64, 64, 17]);
  const identity = loadIdentity({ localDir: join(home, 'state', 'identity') });
  assert.equal(
    (await readManifest(join(home, 'out', 'ball.mp4'), identity.trustAnchorsPem)).state,
    'trusted',
  );
});

test('--no-expand gives the model the prompt as written', async () => {
  const prompt = 'a red ball moves to the right on a blue background';
  const args = ['generate', prompt, '-o', 'out/still.png', '--frames', '1', '--steps', '1', '--json'];
  const { stdout, stderr } = await kinema([...args, '--no-expand']);
  assert.equal(JSON.parse(stdout).modelPrompt, prompt);
  assert.doesNotMatch(stderr, /expanded/);
});

test('animate leaves where objects start to the image: the expansion names no start place', async () => {
  const image = join(home, 'first.png');
  await writeFile(image, encodePng(new Uint8Array(64 * 64 * 3).fill(40), 64, 64));
  // generate would name where the square starts (test/pipeline/promptExpansion.test.ts)
  const prompt = 'a big yellow square on a plain green background';
  const { stdout } = await kinema([
    'animate',
    image,
    prompt,
    '-o',
    'out/animated.mp4',
    '--steps',
    '1',
    '--json',
  ]);
  const { modelPrompt } = JSON.parse(stdout).record;
  assert.match(modelPrompt, /yellow square/);
  assert.doesNotMatch(modelPrompt, START_PLACE);
});

test('a refused prompt exits 2 naming the category, before any compute and without output', async () => {
  await assert.rejects(
    () => kinema(['generate', 'a photorealistic video of Taylor Swift dancing', '-o', 'no.mp4']),
    (err: { code?: number; stderr?: string }) =>
      err.code === 2 && /real|person|likeness/i.test(err.stderr ?? ''),
  );
  await assert.rejects(() => probeMedia(join(home, 'no.mp4')));
  const refused = new AuditLog(join(home, 'state', 'audit.jsonl'))
    .records()
    .filter((r) => r.decision === 'refused');
  assert.deepEqual(
    refused.map((r) => [r.action, r.category, r.outputId]),
    [['generate', 'real_people', null]],
  );
  assert.doesNotMatch(JSON.stringify(refused), /taylor|swift/i);
});

test('missing weights and bad sizes are clear errors', async () => {
  await assert.rejects(
    () => kinema(['generate', 'a red ball', '-o', 'x.mp4', '--weights', 'nope.safetensors']),
    (err: { code?: number; stderr?: string }) =>
      err.code === 2 && /no model weights at nope\.safetensors/.test(err.stderr ?? ''),
  );
  await assert.rejects(
    () => kinema(['generate', 'a red ball', '-o', 'x.mp4', '--size', 'big']),
    (err: { code?: number; stderr?: string }) => err.code === 2 && /WIDTHxHEIGHT/.test(err.stderr ?? ''),
  );
});
