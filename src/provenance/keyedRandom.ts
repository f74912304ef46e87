// Deterministic random numbers derived from a secret key (SHA-256 in counter mode), so the
// watermark pattern is reproducible by whoever holds the key and unpredictable to anyone else.
import { createHash } from 'node:crypto';

/** Returns a generator of uniform 32-bit unsigned integers for (key, label). */
export function keyedUint32(key: string, label: string): () => number {
  let counter = 0;
  let block = Buffer.alloc(0);
  let offset = 0;
  return () => {
    if (offset >= block.length) {
      block = createHash('sha256').update(`${label}\u0000${key}\u0000${counter++}`).digest();
      offset = 0;
    }
    const value = block.readUInt32BE(offset);
    offset += 4;
    return value;
  };
}

/** A keyed Fisher–Yates permutation of 0..n-1. */
export function keyedPermutation(key: string, label: string, n: number): number[] {
  const next = keyedUint32(key, label);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = next() % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}
