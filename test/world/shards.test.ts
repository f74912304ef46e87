import assert from 'node:assert/strict';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  ShardError,
  ShardReader,
  type ShardRecord,
  ShardWriter,
  shardFileName,
} from '../../src/train/shards.ts';

function record(i: number, w = 8 + (i % 3), h = 6, frames = 2): ShardRecord {
  const pixels = new Uint8Array(frames * h * w * 3);
  for (let k = 0; k < pixels.length; k++) pixels[k] = (k * 7 + i * 13) & 255;
  return {
    width: w,
    height: h,
    frames,
    fps: 8 + i / 4,
    pixels,
    captions: { short: `clip ${i}`, detailed: `clip number ${i} in detail ✓` },
    spec: { n: i },
    ...(i % 2 === 0 ? { truth: [{ frame: 0 }] } : {}),
    meta: { seed: i },
  };
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'kinema-shards-'));
}

test('records round-trip, with random access across shards', () => {
  const dir = tmp();
  try {
    const w = new ShardWriter(dir, { shardSize: 4, total: 10, meta: { kind: 'test' } });
    assert.deepEqual(w.pending(), [0, 1, 2]);
    for (const n of w.pending())
      w.writeShard(
        n,
        Array.from({ length: w.countOf(n) }, (_, k) => record(n * 4 + k)),
      );
    const index = w.finish();
    assert.equal(index.total, 10);
    assert.deepEqual(
      index.shards.map((s) => s.count),
      [4, 4, 2],
    );
    const r = new ShardReader(dir);
    assert.equal(r.length, 10);
    for (const i of [9, 0, 5, 3, 7]) {
      const got = r.get(i, { verify: true });
      const want = record(i);
      assert.equal(got.width, want.width);
      assert.equal(got.height, want.height);
      assert.equal(got.frames, want.frames);
      assert.equal(got.fps, want.fps);
      assert.equal(got.channels, 3);
      assert.deepEqual(got.pixels, want.pixels);
      assert.deepEqual(got.captions, want.captions);
      assert.deepEqual(got.spec, want.spec);
      assert.deepEqual(got.truth, want.truth);
      assert.deepEqual(got.meta, want.meta);
      assert.deepEqual(r.info(i).captions, want.captions);
    }
    assert.throws(() => r.get(10), RangeError);
    r.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a rerun skips complete shards, redoes broken ones, and cleans up temporary files', () => {
  const dir = tmp();
  try {
    const opts = { shardSize: 3, total: 9, meta: { v: 1 } };
    const w = new ShardWriter(dir, opts);
    for (const n of w.pending())
      w.writeShard(
        n,
        [0, 1, 2].map((k) => record(n * 3 + k)),
      );
    w.finish();
    const before = statSync(join(dir, shardFileName(0))).mtimeMs;
    // an interrupted run: shard 1 truncated, shard 2 deleted, a temporary file left behind
    truncateSync(join(dir, shardFileName(1)), 100);
    rmSync(join(dir, shardFileName(2)));
    writeFileSync(join(dir, `${shardFileName(2)}.tmp-99999`), 'partial');
    const again = new ShardWriter(dir, opts);
    assert.deepEqual(again.pending(), [1, 2]);
    assert.ok(!readdirSync(dir).some((f) => f.includes('.tmp-')), 'temporary files removed');
    for (const n of again.pending())
      again.writeShard(
        n,
        [0, 1, 2].map((k) => record(n * 3 + k)),
      );
    again.finish();
    assert.equal(statSync(join(dir, shardFileName(0))).mtimeMs, before, 'complete shard untouched');
    const r = new ShardReader(dir);
    assert.deepEqual(r.get(8).pixels, record(8).pixels);
    r.close();
    // a different set in the same folder is refused
    assert.throws(() => new ShardWriter(dir, { ...opts, meta: { v: 2 } }), ShardError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed shard leaves nothing behind; a corrupted record is caught by its checksum', () => {
  const dir = tmp();
  try {
    const w = new ShardWriter(dir, { shardSize: 2, total: 2 });
    const bad = { ...record(0), pixels: new Uint8Array(5) };
    assert.throws(() => w.writeShard(0, [record(1), bad]), ShardError);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.kin') || f.includes('.tmp-')),
      [],
    );
    w.writeShard(0, [record(0), record(1)]);
    w.finish();
    // flip one pixel byte of record 0 (file header 32 + record header 48)
    const fd = openSync(join(dir, shardFileName(0)), 'r+');
    writeSync(fd, Buffer.from([0xff ^ record(0).pixels[0]!]), 0, 1, 32 + 48);
    closeSync(fd);
    const r = new ShardReader(dir);
    assert.throws(() => r.get(0, { verify: true }), /checksum/);
    assert.deepEqual(r.get(1, { verify: true }).pixels, record(1).pixels);
    r.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
