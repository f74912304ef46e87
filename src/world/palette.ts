// RGB values of the colour names (sRGB, 0..255). Chosen far apart so that the oracle can tell
// every pair apart after rendering, lighting and video compression.
import type { ColorName } from './spec.ts';

export const PALETTE: Record<ColorName, readonly [number, number, number]> = {
  red: [220, 40, 40],
  orange: [245, 140, 30],
  yellow: [245, 220, 40],
  green: [50, 170, 60],
  blue: [40, 90, 220],
  purple: [140, 60, 190],
  pink: [245, 130, 190],
  brown: [130, 80, 40],
  white: [245, 245, 245],
  black: [20, 20, 20],
  gray: [128, 128, 128],
  cyan: [40, 200, 220],
};
