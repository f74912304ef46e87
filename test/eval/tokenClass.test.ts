// `eval tokens`: the linear probe finds a class planted linearly in features and not one that is
// absent; the command reads the shipped DiT's tokens and refuses a block the DiT does not have.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { predict, ridge } from '../../src/eval/linearProbe.ts';
import { Rng } from '../../src/nn/init.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

/** n noisy 16-d features whose class (of 4) is planted along one direction each, or not at all. */
function features(n: number, planted: boolean, seed: number) {
  const rng = new Rng(seed);
  const answers = Array.from({ length: n }, (_, i) => i % 4);
  const rows = answers.map((a) => {
    const x = Float32Array.from({ length: 16 }, () => rng.normal());
    if (planted) x[a * 3]! += 3;
    return x;
  });
  return { rows, answers };
}

test('linear probe: reads a planted class, stays near chance where there is none', () => {
  for (const [planted, low, high] of [
    [true, 0.9, 1],
    [false, 0, 0.4],
  ] as const) {
    const fit = features(400, planted, 1);
    const held = features(400, planted, 2);
    const weights = ridge(fit.rows, fit.answers, 4, 1);
    const accuracy = held.rows.filter((x, i) => predict(weights, x) === held.answers[i]).length / 400;
    assert.ok(accuracy >= low && accuracy <= high, `planted ${planted}: ${accuracy}`);
  }
});

test('eval tokens: class accuracy on the shipped DiT’s middle tokens, per noise level', async () => {
  const kinema = (args: string[]) =>
    run(process.execPath, [join(ROOT, 'bin', 'kinema.js'), 'eval', 'tokens', ...args], { timeout: 120_000 });
  const { stdout } = await kinema(['--count', '40', '--times', '0.7,0.95', '--json']);
  const rows = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  assert.deepEqual(
    rows.map((r) => [r.block, r.t]),
    [
      [2, 0.7],
      [2, 0.95],
    ],
  );
  for (const r of rows) {
    assert.ok(r.tokens > 0 && r.classes >= 2 && r.classes <= 10, JSON.stringify(r));
    for (const accuracy of [r.trueCaption, r.swappedCaption]) assert.ok(accuracy >= 0 && accuracy <= 1);
  }
  await assert.rejects(kinema(['--block', '9']), /--block must be an integer from 1 to 4/);
});
