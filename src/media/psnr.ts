// Peak signal-to-noise ratio between two RGB uint8 clips: the standard measure of how close a
// decoded video is to the frames that were encoded (higher is better; ∞ for identical clips).

/** PSNR in dB over all bytes of two equal-length buffers. */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length)
    throw new RangeError(`psnr needs equal lengths, got ${a.length} and ${b.length}`);
  let squared = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    squared += d * d;
  }
  if (squared === 0) return Number.POSITIVE_INFINITY;
  return 10 * Math.log10((255 * 255 * a.length) / squared);
}
