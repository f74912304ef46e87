// The 64-bit codeword the invisible watermark carries: a fixed Kinema marker (16 bits), the
// output's 32-bit payload, and a CRC-16 over both. Marker + CRC give 32 check bits, so noise
// passes as a valid codeword with probability 2^-32 per decoding attempt.

export const MARKER = 0x4b4d; // "KM"
export const CODE_BITS = 64;

/** CRC-16/CCITT-FALSE over bytes. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

function headerBytes(payload: number): Uint8Array {
  const bytes = new Uint8Array(6);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, MARKER);
  view.setUint32(2, payload >>> 0);
  return bytes;
}

function pushBits(bits: number[], value: number, count: number): void {
  for (let i = count - 1; i >= 0; i--) bits.push((value >>> i) & 1);
}

/** Codeword bits (0/1, most significant first) for a 32-bit payload. */
export function encodeCodeword(payload: number): number[] {
  if (!Number.isInteger(payload) || payload < 0 || payload > 0xffffffff) {
    throw new RangeError(`watermark payload must be a 32-bit unsigned integer, got ${payload}`);
  }
  const bits: number[] = [];
  pushBits(bits, MARKER, 16);
  pushBits(bits, payload, 32);
  pushBits(bits, crc16(headerBytes(payload)), 16);
  return bits;
}

function readBits(bits: readonly number[], from: number, count: number): number {
  let value = 0;
  for (let i = 0; i < count; i++) value = value * 2 + bits[from + i]!;
  return value;
}

/** The payload if `bits` is a valid codeword (marker and CRC match), else null. */
export function decodeCodeword(bits: readonly number[]): number | null {
  if (bits.length !== CODE_BITS) return null;
  if (readBits(bits, 0, 16) !== MARKER) return null;
  const payload = readBits(bits, 16, 32);
  return readBits(bits, 48, 16) === crc16(headerBytes(payload)) ? payload : null;
}
