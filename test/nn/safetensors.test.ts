import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  float16BitsToFloat32,
  float32ToFloat16Bits,
  loadSafetensors,
  readSafetensors,
  saveSafetensors,
  writeSafetensors,
} from '../../src/nn/safetensors.ts';

/** Bytes of a file as Python's `safetensors` lays it out, written out by hand. */
function referenceFile(): Uint8Array {
  const header =
    '{"__metadata__": {"format": "pt"}, ' +
    '"half": {"dtype": "F16", "shape": [2, 2], "data_offsets": [12, 20]}, ' +
    '"weight": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]}}';
  const padded = header + ' '.repeat((8 - (header.length % 8)) % 8);
  // weight = [1, -2, 0.5] as little-endian float32; half = [[0.5, 65504], [-1.5, 2^-14]] as float16.
  const data = Buffer.from('0000803f000000c00000003f' + '0038ff7b00be0004', 'hex');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(padded.length));
  return new Uint8Array(Buffer.concat([length, Buffer.from(padded, 'utf8'), data]));
}

describe('safetensors', () => {
  test('reads a hand-written reference file', () => {
    const { tensors, metadata } = readSafetensors(referenceFile());
    assert.deepEqual(metadata, { format: 'pt' });
    assert.deepEqual(tensors.weight.shape, [3]);
    assert.deepEqual(Array.from(tensors.weight.data), [1, -2, 0.5]);
    assert.equal(tensors.half.dtype, 'F16');
    assert.deepEqual(tensors.half.shape, [2, 2]);
    assert.deepEqual(Array.from(tensors.half.data), [0.5, 65504, -1.5, 2 ** -14]);
  });

  test('writes the exact layout: u64 LE header length, space-padded JSON, little-endian data', () => {
    const bytes = writeSafetensors({ a: { dtype: 'F32', shape: [1], data: new Float32Array([1]) } });
    const header = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    const padded = header + ' '.repeat((8 - (header.length % 8)) % 8);
    const expected = Buffer.concat([Buffer.alloc(8), Buffer.from(padded), Buffer.from('0000803f', 'hex')]);
    expected.writeBigUInt64LE(BigInt(padded.length));
    assert.deepEqual(Buffer.from(bytes), expected);
    assert.equal((8 + padded.length) % 8, 0, 'data starts 8-byte aligned');
  });

  test('round trip of F32 exactly and F16 to half precision, with metadata', () => {
    const values = new Float32Array([0, -0, 1, -2.5, 2.5, 1e-3, 123.456, -65504]);
    const bytes = writeSafetensors(
      {
        full: { dtype: 'F32', shape: [2, 4], data: values },
        half: { dtype: 'F16', shape: [8], data: values },
      },
      { step: '1200', preset: 'small' },
    );
    const { tensors, metadata } = readSafetensors(bytes);
    assert.deepEqual(metadata, { step: '1200', preset: 'small' });
    assert.deepEqual(Array.from(tensors.full.data), Array.from(values));
    assert.deepEqual(tensors.full.shape, [2, 4]);
    tensors.half.data.forEach((v, i) => {
      assert.ok(Math.abs(v - values[i]) <= Math.abs(values[i]) * 2 ** -11, `${v} vs ${values[i]}`);
    });
  });

  test('float16 conversion rounds to nearest even like numpy (incl. subnormals, overflow, inf)', () => {
    // Expected bits from numpy: np.array(values, np.float32).astype(np.float16).view(np.uint16)
    const cases: [number, number][] = [
      [0, 0x0],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [65520, 0x7c00],
      [1e5, 0x7c00],
      [6.103515625e-5, 0x0400],
      [2 ** -24, 0x0001],
      [2.98e-8, 0x0000],
      [2 ** -25, 0x0000],
      [3e-8, 0x0001],
      [1.0009765625, 0x3c01],
      [1.00048828125, 0x3c00],
      [1.00146484375, 0x3c02],
      [0.1, 0x2e66],
      [-3.14, 0xc248],
      [1e-6, 0x0011],
      [Number.POSITIVE_INFINITY, 0x7c00],
      [Number.NEGATIVE_INFINITY, 0xfc00],
    ];
    for (const [value, bits] of cases) assert.equal(float32ToFloat16Bits(value), bits, `${value}`);
    assert.ok(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(Number.NaN))));
    // Every finite half survives half → float → half.
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7c00) === 0x7c00) continue;
      assert.equal(float32ToFloat16Bits(float16BitsToFloat32(bits)), bits);
    }
  });

  test('malformed files fail with clear messages', () => {
    assert.throws(() => readSafetensors(new Uint8Array(4)), /shorter than/);
    const bad = referenceFile();
    new DataView(bad.buffer).setBigUint64(0, 10n ** 12n, true);
    assert.throws(() => readSafetensors(bad), /header length/);
    const truncated = referenceFile().subarray(0, referenceFile().length - 4);
    assert.throws(() => readSafetensors(truncated), /data_offsets/);
    assert.throws(
      () => writeSafetensors({ a: { dtype: 'F32', shape: [3], data: new Float32Array(2) } }),
      /needs 3 values/,
    );
  });

  test('saving is atomic: no temporary files left, and a missing file is a clear error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kinema-st-'));
    try {
      const path = join(dir, 'model.safetensors');
      await writeFile(path, 'old');
      await saveSafetensors(path, { w: { dtype: 'F16', shape: [2], data: new Float32Array([1, 2]) } });
      assert.deepEqual(await readdir(dir), ['model.safetensors']);
      assert.deepEqual(Array.from((await loadSafetensors(path)).tensors.w.data), [1, 2]);
      await assert.rejects(loadSafetensors(join(dir, 'missing.safetensors')), /cannot read weights/);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
