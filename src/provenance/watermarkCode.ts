// The 80-bit codeword the invisible watermark carries: a fixed Kinema marker (16 bits), the
// output's 32-bit payload, a CRC-16 over both, and 16 more check bits (the high half of a CRC-32C
// over both). Marker + checks give 48 check bits; the payload alone is protected by 32.
//
// Why 32 check bits on the payload: near the true position the marker reads right for free, so
// only the payload's checks stand between a damaged codeword and a wrong payload, and the detector
// tries tens of shifts x hundreds of flip sets x several scales (about 2^16 tries). With the
// CRC-16 alone that left about one wrong payload per 250 detections (measured: 2 of 500 on 64x64
// clips); with 32 check bits a wrong payload needs about 2^-16 luck per failed detection.
//
// The first 64 bits are exactly the previous 64-bit codeword (marker, payload, CRC-16), on the
// same keyed patterns, so marks written before the extra check bits are still read (see
// LEGACY_CODE_BITS in invisibleWatermark.ts).

export const MARKER = 0x4b4d; // "KM"
export const MARKER_BITS = 16;
export const CODE_BITS = 80;
/** Bits of the codeword before the extra check bits were added (marker, payload, CRC-16). */
export const LEGACY_CODE_BITS = 64;
const PAYLOAD_FROM = MARKER_BITS;
const CHECK_FROM = MARKER_BITS + 32;

/** CRC-16/CCITT-FALSE over bytes. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** CRC-32C (Castagnoli, reflected) over bytes. */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function headerBytes(payload: number): Uint8Array {
  const bytes = new Uint8Array(6);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, MARKER);
  view.setUint32(2, payload >>> 0);
  return bytes;
}

/** The 32 check bits of a payload: CRC-16 (the legacy check) above the high half of CRC-32C. */
export function checkBits(payload: number): number {
  const header = headerBytes(payload);
  return ((crc16(header) << 16) | (crc32c(header) >>> 16)) >>> 0;
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
  pushBits(bits, MARKER, MARKER_BITS);
  pushBits(bits, payload, 32);
  pushBits(bits, checkBits(payload), 32);
  return bits;
}

function readBits(bits: readonly number[], from: number, count: number): number {
  let value = 0;
  for (let i = 0; i < count; i++) value = value * 2 + bits[from + i]!;
  return value;
}

/** The payload if `bits` is a valid codeword (marker and all 32 check bits match), else null. */
export function decodeCodeword(bits: readonly number[]): number | null {
  if (bits.length !== CODE_BITS) return null;
  const { marker, check, payload } = mismatch(bits); // the detector's own validity test
  return marker === 0 && check === 0 ? payload : null;
}

/**
 * Syndrome decoding tables. The checks are affine in the payload bits (a CRC with a fixed start),
 * so the mismatch of a hard-decided word, (marker bits XOR MARKER, check bits XOR checks of the
 * payload bits), changes by a fixed amount when one bit flips. A flip set makes a valid codeword
 * exactly when the XOR of its bits' changes equals the word's mismatch: a search over thousands
 * of flip sets costs a few XORs each.
 */
export interface Syndromes {
  /** Per code bit: how flipping it changes the marker mismatch (16 bits) and the check mismatch (32). */
  marker: Int32Array;
  check: Uint32Array;
}

export function syndromeTables(codeBits = CODE_BITS): Syndromes {
  const marker = new Int32Array(codeBits);
  const check = new Uint32Array(codeBits);
  const base = checkBits(0);
  const checkWidth = codeBits - CHECK_FROM; // 32, or 16 for the legacy codeword
  for (let bit = 0; bit < codeBits; bit++) {
    if (bit < MARKER_BITS) marker[bit] = 1 << (MARKER_BITS - 1 - bit);
    else if (bit < CHECK_FROM) {
      const delta = (checkBits(2 ** (CHECK_FROM - 1 - bit)) ^ base) >>> 0;
      check[bit] = checkWidth === 32 ? delta : delta >>> 16;
    } else check[bit] = 2 ** (codeBits - 1 - bit);
  }
  return { marker, check };
}

/** The (marker, check) mismatch of hard-decided bits, and the payload they read; 0, 0 when valid. */
export function mismatch(bits: readonly number[]): { marker: number; check: number; payload: number } {
  const payload = readBits(bits, PAYLOAD_FROM, 32);
  const checkWidth = bits.length - CHECK_FROM;
  const expected = checkWidth === 32 ? checkBits(payload) : checkBits(payload) >>> 16;
  return {
    marker: readBits(bits, 0, MARKER_BITS) ^ MARKER,
    check: (readBits(bits, CHECK_FROM, checkWidth) ^ expected) >>> 0,
    payload,
  };
}
