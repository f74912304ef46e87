import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { exportShards } from '../../src/cli/world.ts';
import { ShardReader } from '../../src/train/shards.ts';
import { parseSpec } from '../../src/world/spec.ts';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'kinema.js');
const kinema = (...args: string[]) =>
  spawnSync(process.execPath, [bin, 'world', ...args], { encoding: 'utf8' });

test('world sample writes PNG frames and truth.json; bad input leaves nothing behind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kinema-world-'));
  try {
    const out = join(dir, 'clip');
    const ok = kinema(
      'sample',
      'two small red balls bounce over a grassy field',
      '-o',
      out,
      '--width',
      '48',
      '--height',
      '32',
      '--frames',
      '5',
      '--seed',
      '3',
    );
    assert.equal(ok.status, 0, ok.stderr);
    const files = readdirSync(out).sort();
    assert.equal(files.filter((f) => f.endsWith('.png')).length, 5);
    const truth = JSON.parse(readFileSync(join(out, 'truth.json'), 'utf8'));
    const spec = parseSpec(truth.spec);
    assert.equal(spec.objects.length, 2);
    assert.equal(spec.background.kind, 'grass');
    assert.equal(truth.truth.length, 5);
    assert.ok(truth.captions.short && truth.captions.detailed && truth.captions.long, 'three captions');

    const bad = kinema('sample', 'a red bal', '-o', join(dir, 'bad'));
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /UnknownWordsError: unknown word: "bal" \(did you mean "ball"/);
    const big = kinema('sample', 'a ball', '-o', join(dir, 'big'), '--frames', '0');
    assert.equal(big.status, 2);
    assert.match(big.stderr, /--frames must be an integer/);
    assert.ok(!existsSync(join(dir, 'bad')) && !existsSync(join(dir, 'big')), 'no partial output');
    assert.deepEqual(readdirSync(dir), ['clip']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('world export writes resumable shards', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kinema-export-'));
  try {
    const o = {
      count: 7,
      out: dir,
      shardSize: 3,
      width: 16,
      height: 16,
      frames: 3,
      fps: 8,
      seed: 5,
      maxObjects: 2,
      truth: true,
      quiet: true,
    };
    assert.deepEqual(exportShards(o), { written: 7, skipped: 0, shards: 3 });
    assert.deepEqual(exportShards(o), { written: 0, skipped: 3, shards: 3 });
    const r = new ShardReader(dir);
    assert.equal(r.length, 7);
    const rec = r.get(6, { verify: true });
    assert.equal(rec.pixels.length, 16 * 16 * 3 * 3);
    assert.equal(parseSpec(rec.spec).width, 16);
    assert.ok(rec.captions.short, 'has captions');
    r.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('world vocab --json lists the vocabulary', () => {
  const v = kinema('vocab', '--json');
  assert.equal(v.status, 0, v.stderr);
  const vocab = JSON.parse(v.stdout);
  assert.ok(vocab.classes.length >= 40, 'classes');
  assert.ok(vocab.motions.bounce.includes('bounce'), 'motions');
});
