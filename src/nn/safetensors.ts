// The safetensors format, read and written exactly, so that other tools (Python `safetensors`,
// Hugging Face loaders) can open Kinema's weights and we can open theirs:
//
//   8 bytes   little-endian u64 N: length of the header
//   N bytes   UTF-8 JSON: {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]},
//             ..., "__metadata__": {"key": "string value"}}, padded with spaces
//   rest      the tensors' little-endian bytes; offsets are relative to the start of this section
//
// F32, F16 and BF16 are read; F32 and F16 are written (F16 halves the size of shipped weights; the
// conversion rounds to nearest even, as numpy and PyTorch do).
import { randomBytes } from 'node:crypto';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';

export type SafetensorsDType = 'F32' | 'F16' | 'BF16';

/** One tensor in memory: always float32 values, with the dtype it has (or will have) on disk. */
export interface Tensor {
  dtype: SafetensorsDType;
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Record<string, Tensor>;
  /** String-to-string metadata (the format allows nothing else). */
  metadata: Record<string, string>;
}

const BYTES_PER_ELEMENT: Record<SafetensorsDType, number> = { F32: 4, F16: 2, BF16: 2 };
/** Refuse absurd headers before parsing them (the reference implementation caps at 100 MB too). */
const MAX_HEADER_BYTES = 100_000_000;

// Shared scratch for bit-casting between float32 and uint32.
const scratchFloat = new Float32Array(1);
const scratchBits = new Uint32Array(scratchFloat.buffer);

/** float32 → IEEE half bits, rounding to nearest even; overflow → ±inf, NaN stays NaN. */
export function float32ToFloat16Bits(value: number): number {
  scratchFloat[0] = value;
  const bits = scratchBits[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 | (mantissa >>> 13) : 0);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Subnormal half (or zero): shift the full 24-bit significand into 10 bits.
    const shift = 14 - halfExponent;
    if (shift > 24) return sign;
    const significand = mantissa | 0x800000;
    let half = significand >>> shift;
    const remainder = significand & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (remainder > halfway || (remainder === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = sign | (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and reaches inf at the top).
  if (remainder > 0x1000 || (remainder === 0x1000 && half & 1)) half++;
  return half;
}

/** IEEE half bits → number (exact). */
export function float16BitsToFloat32(half: number): number {
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >>> 10) & 0x1f;
  const mantissa = half & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

function encodeTensor(tensor: Tensor): Uint8Array {
  const count = tensor.data.length;
  const out = new Uint8Array(count * BYTES_PER_ELEMENT[tensor.dtype]);
  const view = new DataView(out.buffer);
  if (tensor.dtype === 'F32') {
    for (let i = 0; i < count; i++) view.setFloat32(i * 4, tensor.data[i], true);
  } else if (tensor.dtype === 'F16') {
    for (let i = 0; i < count; i++) view.setUint16(i * 2, float32ToFloat16Bits(tensor.data[i]), true);
  } else {
    throw new Error('writing BF16 is not supported; write F32 or F16');
  }
  return out;
}

function decodeTensor(dtype: SafetensorsDType, bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = bytes.byteLength / BYTES_PER_ELEMENT[dtype];
  const out = new Float32Array(count);
  if (dtype === 'F32') {
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  } else if (dtype === 'F16') {
    for (let i = 0; i < count; i++) out[i] = float16BitsToFloat32(view.getUint16(i * 2, true));
  } else {
    for (let i = 0; i < count; i++) {
      scratchBits[0] = view.getUint16(i * 2, true) << 16;
      out[i] = scratchFloat[0];
    }
  }
  return out;
}

/** Serialise tensors (in the record's order) and metadata to safetensors bytes. */
export function writeSafetensors(
  tensors: Record<string, Tensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, tensor] of Object.entries(tensors)) {
    if (name === '__metadata__') throw new Error('"__metadata__" cannot be a tensor name');
    const expected = tensor.shape.reduce((a, b) => a * b, 1);
    if (expected !== tensor.data.length)
      throw new Error(
        `tensor "${name}": shape [${tensor.shape}] needs ${expected} values, got ${tensor.data.length}`,
      );
    const bytes = encodeTensor(tensor);
    header[name] = {
      dtype: tensor.dtype,
      shape: tensor.shape,
      data_offsets: [offset, offset + bytes.length],
    };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data section starts 8-byte aligned (as the reference writer does).
  const jsonBytes = new TextEncoder().encode(json);
  const padding = (8 - (jsonBytes.length % 8)) % 8;
  json += ' '.repeat(padding);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let position = 8 + headerBytes.length;
  for (const chunk of chunks) {
    out.set(chunk, position);
    position += chunk.length;
  }
  return out;
}

/** Parse safetensors bytes; throws a clear error on anything malformed. */
export function readSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.byteLength < 8) throw new Error('not a safetensors file: shorter than its 8-byte header length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > bytes.byteLength)
    throw new Error(
      `not a safetensors file: header length ${headerLength} does not fit in ${bytes.byteLength} bytes`,
    );
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    throw new Error(`not a safetensors file: header is not JSON (${(error as Error).message})`);
  }
  const data = bytes.subarray(8 + headerLength);
  const tensors: Record<string, Tensor> = {};
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const {
      dtype,
      shape,
      data_offsets: offsets,
    } = entry as {
      dtype: string;
      shape: number[];
      data_offsets: [number, number];
    };
    if (dtype !== 'F32' && dtype !== 'F16' && dtype !== 'BF16')
      throw new Error(`tensor "${name}": dtype ${dtype} is not supported (F32, F16, BF16 are)`);
    const [begin, end] = offsets;
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * BYTES_PER_ELEMENT[dtype] || begin < 0 || end > data.byteLength)
      throw new Error(
        `tensor "${name}": data_offsets [${begin}, ${end}] do not fit shape [${shape}] ${dtype}`,
      );
    tensors[name] = { dtype, shape, data: decodeTensor(dtype, data.subarray(begin, end)) };
  }
  return { tensors, metadata };
}

/** Read a .safetensors file from disk. */
export async function loadSafetensors(path: string): Promise<SafetensorsFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new Error(`cannot read weights "${path}": ${(error as Error).message}`);
  }
  try {
    return readSafetensors(bytes);
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
}

/**
 * Write a .safetensors file atomically: to a temporary file next to it, then rename. A crash or a
 * full disk leaves the previous file intact.
 */
export async function saveSafetensors(
  path: string,
  tensors: Record<string, Tensor>,
  metadata: Record<string, string> = {},
): Promise<void> {
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, writeSafetensors(tensors, metadata));
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => {});
    throw error;
  }
}

/** Host parameters → tensors to save, all in one dtype (F16 for shipped weights, F32 for checkpoints). */
export function tensorsFromHost(
  host: Record<string, { shape: number[]; data: Float32Array }>,
  dtype: SafetensorsDType = 'F32',
): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, { shape, data }] of Object.entries(host)) out[name] = { dtype, shape, data };
  return out;
}
