// Output sizes. The four Sora sizes are the documented ones; any even WxH from 16 to 1920 is a
// Kinema extension (small sizes make fast previews and tests).
export const SORA_SIZES = ['720x1280', '1280x720', '1024x1792', '1792x1024'] as const;
export const DEFAULT_SIZE = '720x1280';
export const MIN_SIDE = 16;
export const MAX_SIDE = 1920;

const SIZE_PATTERN = /^([1-9][0-9]{1,3})x([1-9][0-9]{1,3})$/;

/** Width and height of a valid size string, or a sentence saying what is wrong. */
export function parseSize(size: string): { width: number; height: number } | string {
  const m = SIZE_PATTERN.exec(size);
  if (!m) return `size must look like WIDTHxHEIGHT, e.g. ${DEFAULT_SIZE}`;
  const width = Number(m[1]);
  const height = Number(m[2]);
  if (width < MIN_SIDE || height < MIN_SIDE || width > MAX_SIDE || height > MAX_SIDE) {
    return `each side of size must be between ${MIN_SIDE} and ${MAX_SIDE} pixels`;
  }
  if (width % 2 || height % 2) return 'size must have even width and height (H.264 4:2:0 needs them)';
  return { width, height };
}

/**
 * The largest size with the requested aspect ratio whose longer side is `maxSide`, both sides
 * even: what a model with a native resolution samples at before upscaling. Never larger than asked.
 */
export function fitNative(width: number, height: number, maxSide: number): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  const even = (v: number) => Math.max(2, 2 * Math.round((v * scale) / 2));
  return { width: even(width), height: even(height) };
}
