// `kinema eval suite` with two models: the same held-out prompts for both, side by side, as one
// decides whether a new model may replace the shipped one.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { loadModel, saveModel } from '../../src/models/bundle.ts';
import { tinyModel } from '../pipeline/_tinyModel.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
let home: string;

before(async () => {
  home = await mkdtemp(join(tmpdir(), 'kinema-eval-'));
  await saveModel(join(home, 'tiny.safetensors'), { ...(await tinyModel(3)), id: 'kinema-tiny-test' });
});
after(() => rm(home, { recursive: true, force: true }));

const SUITE = ['eval', 'suite', '--count', '2', '--steps', '2', '--frames', '5'];

function kinema(args: string[]) {
  return run(process.execPath, [join(ROOT, 'bin', 'kinema.js'), ...args], { cwd: home, timeout: 120_000 });
}

test('eval suite scores two models on the same prompts and prints them side by side', async () => {
  const weights = ['--weights', join(ROOT, 'weights', 'kinema.safetensors'), join(home, 'tiny.safetensors')];
  const { stdout } = await kinema([...SUITE, ...weights]);
  const lines = stdout.trim().split('\n');
  assert.match(lines[0]!, /^dimension\s+kinema-small\S+\s+kinema-tiny-test$/);
  const overall = lines
    .find((line) => line.startsWith('overall'))!
    .split(/\s+/)
    .slice(1)
    .map(Number);
  assert.equal(overall.length, 2);
  for (const score of overall) assert.ok(score >= 0 && score <= 1, `${score}`);
  assert.match(
    lines.find((line) => line.startsWith('background'))!,
    /^background\s+[\d.]+ \(2\)\s+[\d.]+ \(2\)$/,
  );

  const json = (await kinema([...SUITE, ...weights, '--json'])).stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    json.map((r: { id: string; clips: number }) => [r.id, r.clips]),
    [
      [lines[0]!.split(/\s+/)[1], 2],
      ['kinema-tiny-test', 2],
    ],
  );
  // Deterministic: the table and the JSON agree on each model's overall score.
  assert.deepEqual(
    json.map((r: { overall: number }) => r.overall.toFixed(3)),
    overall.map((s) => s.toFixed(3)),
  );
});

test('eval suite names a missing weights file', async () => {
  await assert.rejects(
    () => kinema([...SUITE, '--weights', join(home, 'missing.safetensors')]),
    (err: { code?: number; stderr?: string }) =>
      err.code !== 0 && /no model weights at .*missing/.test(err.stderr ?? ''),
  );
});

test('weights pack --scores keeps eval suite reports in the model card; a wrong file is refused', async () => {
  const tiny = join(home, 'tiny.safetensors');
  const { stdout } = await kinema([...SUITE, '--weights', tiny, '--json']);
  await writeFile(join(home, 'scores.jsonl'), stdout);
  const out = join(home, 'scored.safetensors');
  await kinema(['weights', 'pack', '--from', tiny, '--scores', join(home, 'scores.jsonl'), '--out', out]);
  const model = await loadModel(out);
  assert.equal(model.id, 'kinema-tiny-test', 'repacking with scores keeps the id');
  const [score] = model.card.scores as { level: number; clips: number; overall: number }[];
  assert.deepEqual([score!.level, score!.clips], [0, 2]);
  assert.equal(score!.overall, JSON.parse(stdout).overall);
  await assert.rejects(
    () =>
      kinema([
        'weights',
        'pack',
        '--from',
        tiny,
        '--scores',
        join(home, 'scores.jsonl'),
        '--id',
        'other',
        '--out',
        out,
      ]),
    (err: { stderr?: string }) => /scores kinema-tiny-test, not this model \(other\)/.test(err.stderr ?? ''),
  );
  await writeFile(join(home, 'bad.jsonl'), 'not json\n');
  await assert.rejects(
    () => kinema(['weights', 'pack', '--from', tiny, '--scores', join(home, 'bad.jsonl'), '--out', out]),
    (err: { stderr?: string }) => /bad\.jsonl:1 is not JSON/.test(err.stderr ?? ''),
  );
});
