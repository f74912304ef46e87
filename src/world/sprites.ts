// Sprites: the Noto emoji PNGs of `emoji-datasource-google` (64x64 RGBA), loaded once per
// process, stored premultiplied with a box-filtered mip chain (64, 32, 16, 8, 4, 2), and sampled
// bilinearly from the level just above the wanted size, so a sprite of any pixel size is
// smooth and never aliased.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import pngjs from 'pngjs';

const require = createRequire(import.meta.url);
let emojiDir: string | undefined;

/** The folder holding the 64x64 emoji PNGs. */
export function emojiImageDir(): string {
  if (!emojiDir) {
    const pkg = require.resolve('emoji-datasource-google/package.json');
    emojiDir = join(dirname(pkg), 'img', 'google', '64');
  }
  return emojiDir;
}

/** One mip level: premultiplied RGBA in 0..255, row-major, size x size. */
export interface SpriteLevel {
  size: number;
  rgba: Float32Array;
}

export interface Sprite {
  image: string;
  /** Levels from the largest (64) down to 2. */
  levels: SpriteLevel[];
  /** Mean colour of the opaque pixels (0..255), e.g. for neon edges and oracle checks. */
  meanColor: [number, number, number];
}

const cache = new Map<string, Sprite>();

/** A sprite by image file name (cached for the life of the process). */
export function loadSprite(image: string): Sprite {
  let s = cache.get(image);
  if (s) return s;
  if (!/^[0-9a-f-]+\.png$/.test(image)) throw new Error(`bad sprite image name "${image}"`);
  const png = pngjs.PNG.sync.read(readFileSync(join(emojiImageDir(), image)));
  const n = png.width;
  if (png.height !== n) throw new Error(`sprite ${image} is not square`);
  const base = new Float32Array(n * n * 4);
  let mr = 0;
  let mg = 0;
  let mb = 0;
  let ma = 0;
  for (let i = 0; i < n * n; i++) {
    const a = png.data[i * 4 + 3]! / 255;
    const r = png.data[i * 4]!;
    const g = png.data[i * 4 + 1]!;
    const b = png.data[i * 4 + 2]!;
    base[i * 4] = r * a;
    base[i * 4 + 1] = g * a;
    base[i * 4 + 2] = b * a;
    base[i * 4 + 3] = a * 255;
    mr += r * a;
    mg += g * a;
    mb += b * a;
    ma += a;
  }
  const levels: SpriteLevel[] = [{ size: n, rgba: base }];
  let cur = levels[0]!;
  while (cur.size > 2) {
    const m = cur.size >> 1;
    const out = new Float32Array(m * m * 4);
    for (let y = 0; y < m; y++) {
      for (let x = 0; x < m; x++) {
        for (let c = 0; c < 4; c++) {
          const i00 = (2 * y * cur.size + 2 * x) * 4 + c;
          const i01 = i00 + 4;
          const i10 = i00 + cur.size * 4;
          const i11 = i10 + 4;
          out[(y * m + x) * 4 + c] = (cur.rgba[i00]! + cur.rgba[i01]! + cur.rgba[i10]! + cur.rgba[i11]!) / 4;
        }
      }
    }
    cur = { size: m, rgba: out };
    levels.push(cur);
  }
  s = {
    image,
    levels,
    meanColor: ma > 0 ? [mr / ma, mg / ma, mb / ma] : [128, 128, 128],
  };
  cache.set(image, s);
  return s;
}

/** The mip level to sample for a sprite drawn `sizePx` pixels wide. */
export function spriteLevel(sprite: Sprite, sizePx: number): SpriteLevel {
  let best = sprite.levels[0]!;
  for (const l of sprite.levels) if (l.size >= sizePx) best = l;
  return best;
}
