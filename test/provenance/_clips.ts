// Clips for provenance tests and the trust benchmark: world clips as outputs look, and synthetic
// textured ones (a gradient background, a few moving shapes and per-pixel noise), deterministic
// per seed.
import type { RgbFrames } from '../../src/provenance/frames.ts';
import { renderClip } from '../../src/world/render.ts';
import { sampleScene } from '../../src/world/sample.ts';

export function worldClip(seed: number, size: number, frames = 17): RgbFrames {
  const spec = sampleScene(seed, { width: size, height: size, frames, fps: 8 });
  return { pixels: renderClip(spec, seed, { captions: false }).pixels, frames, height: size, width: size };
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function syntheticClip(seed: number, size = 128, frames = 12): RgbFrames {
  const random = rng(seed);
  const base = [0, 1, 2].map(() => 40 + random() * 150);
  const slope = [0, 1, 2].map(() => (random() - 0.5) * 1.2);
  const shapes = Array.from({ length: 3 + Math.floor(random() * 3) }, () => ({
    x: random() * size,
    y: random() * size,
    r: 6 + random() * size * 0.15,
    vx: (random() - 0.5) * 4,
    vy: (random() - 0.5) * 4,
    colour: [0, 1, 2].map(() => random() * 255),
    square: random() < 0.5,
  }));
  const noise = 4 + random() * 8;
  const pixels = new Uint8Array(frames * size * size * 3);
  for (let f = 0; f < frames; f++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let colour = base.map((b, c) => b + slope[c]! * (x + y) * 0.5);
        for (const s of shapes) {
          const dx = x - (s.x + s.vx * f);
          const dy = y - (s.y + s.vy * f);
          const inside = s.square
            ? Math.max(Math.abs(dx), Math.abs(dy)) < s.r
            : dx * dx + dy * dy < s.r * s.r;
          if (inside) colour = s.colour;
        }
        const n = (random() - 0.5) * 2 * noise;
        const p = ((f * size + y) * size + x) * 3;
        for (let c = 0; c < 3; c++) pixels[p + c] = Math.max(0, Math.min(255, Math.round(colour[c]! + n)));
      }
    }
  }
  return { pixels, frames, height: size, width: size };
}
