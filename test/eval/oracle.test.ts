import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scoreClip } from '../../src/eval/oracle.ts';
import { renderClip } from '../../src/world/render.ts';
import { parseSpec, type SceneSpec, type SceneSpecInput } from '../../src/world/spec.ts';

const base = (over: Partial<SceneSpecInput>): SceneSpec =>
  parseSpec({
    width: 64,
    height: 64,
    frames: 16,
    background: { kind: 'solid', color: 'white' },
    objects: [],
    ...over,
  });

const render = (spec: SceneSpec) => renderClip(spec, 7, { captions: false }).pixels;
const judge = (spec: SceneSpec, pixels: Uint8Array) => scoreClip(spec, pixels, { seed: 7 });

/** Deterministic pseudo-random numbers for test corruption. */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const VARIED: SceneSpec[] = [
  base({
    objects: [
      {
        id: 'a',
        class: 'ball',
        color: 'red',
        start: { x: 0.3, y: 0.5 },
        motion: { kind: 'linear', direction: 'right' },
      },
    ],
  }),
  base({
    background: { kind: 'grass' },
    style: 'cartoon',
    objects: [
      {
        id: 'a',
        class: 'square',
        color: 'blue',
        start: { x: 0.25, y: 0.3 },
        motion: { kind: 'bounce', direction: 'down-right' },
      },
      { id: 'b', class: 'cat', color: 'red', start: { x: 0.75, y: 0.7 }, motion: { kind: 'static' } },
    ],
  }),
  base({
    background: { kind: 'sky' },
    style: 'pixel',
    camera: 'pan-left',
    objects: [
      { id: 'a', class: 'star', color: 'yellow', start: { x: 0.5, y: 0.3 }, motion: { kind: 'fall' } },
    ],
  }),
  base({
    background: { kind: 'night' },
    style: 'neon',
    objects: [
      {
        id: 'a',
        class: 'heart',
        color: 'pink',
        start: { x: 0.5, y: 0.5 },
        motion: { kind: 'orbit', speed: 'slow' },
      },
      { id: 'b', class: 'triangle', color: 'green', start: { x: 0.2, y: 0.8 }, motion: { kind: 'grow' } },
      { id: 'c', class: 'diamond', color: 'cyan', start: { x: 0.8, y: 0.2 }, motion: { kind: 'rotate' } },
    ],
  }),
  base({
    background: { kind: 'gradient', color: 'white', color2: 'blue' },
    style: 'sketch',
    lighting: 'day-to-night',
    objects: [
      {
        id: 'a',
        class: 'hexagon',
        color: 'red',
        start: { x: 0.3, y: 0.5 },
        motion: { kind: 'zigzag', direction: 'right' },
      },
      {
        id: 'b',
        class: 'ring',
        color: 'purple',
        start: { x: 0.7, y: 0.3 },
        motion: { kind: 'disappear', at: 0.5 },
      },
    ],
  }),
  base({
    background: { kind: 'desert' },
    camera: 'zoom-in',
    lighting: 'fade-in',
    objects: [
      {
        id: 'a',
        class: 'car',
        color: 'red',
        start: { x: 0.3, y: 0.6 },
        motion: { kind: 'linear', direction: 'up-right', speed: 'slow' },
      },
      {
        id: 'b',
        class: 'cross',
        color: 'black',
        start: { x: 0.7, y: 0.3 },
        motion: { kind: 'appear', at: 0.4 },
      },
    ],
  }),
];

describe('oracle on ground truth', () => {
  it('scores clips rendered from their own spec >= 0.99 on every dimension', () => {
    for (const spec of VARIED) {
      const report = judge(spec, render(spec));
      for (const [dim, score] of Object.entries(report.scores)) {
        if (score === null) continue;
        assert.ok(
          score >= 0.99,
          `${dim} = ${score} for ${JSON.stringify(spec.objects.map((o) => o.class))} ${spec.style}`,
        );
      }
    }
  });

  it('stays >= 0.95 under mild noise (±8 levels)', () => {
    for (const spec of VARIED.slice(0, 3)) {
      const pixels = render(spec);
      const rand = lcg(1);
      const noisy = pixels.map((v) => {
        const n = (rand() + rand() + rand() - 1.5) * 9.2; // sum of uniforms: Gaussian-ish, |n| <= 14
        return Math.min(255, Math.max(0, Math.round(v + n)));
      });
      const report = judge(spec, noisy);
      for (const [dim, score] of Object.entries(report.scores)) {
        if (score === null) continue;
        assert.ok(score >= 0.95, `${dim} = ${score} under noise (${spec.style}, ${spec.background.kind})`);
      }
    }
  });
});

/** Every dimension except `low` stays >= 0.9 and `low` falls to <= 0.5. */
function assertOnly(report: ReturnType<typeof judge>, low: string, keep: string[] = []) {
  const scores = report.scores as Record<string, number | null>;
  assert.ok((scores[low] ?? 1) <= 0.5, `${low} should be low, is ${scores[low]}`);
  for (const [dim, score] of Object.entries(scores)) {
    if (dim === low || score === null || keep.includes(dim)) continue;
    assert.ok(score >= 0.9, `${dim} should stay high, is ${score}`);
  }
}

describe('oracle on a clip that does not match its spec', () => {
  const ball = (over: Record<string, unknown> = {}) => ({
    id: 'a',
    class: 'ball',
    color: 'red' as const,
    start: { x: 0.3, y: 0.5 },
    motion: { kind: 'linear' as const, direction: 'right' as const },
    ...over,
  });

  it('wrong colour lowers colour only', () => {
    const shown = base({ background: { kind: 'grass' }, objects: [ball()] });
    const asked = base({ background: { kind: 'grass' }, objects: [ball({ color: 'blue' })] });
    assertOnly(judge(asked, render(shown)), 'color');
  });

  it('a background of another colour scores no background (not full marks for lack of evidence)', () => {
    const shown = base({ background: { kind: 'solid', color: 'blue' }, objects: [ball()] });
    const asked = base({ background: { kind: 'solid', color: 'green' }, objects: [ball()] });
    const report = judge(asked, render(shown));
    assert.ok((report.scores.background ?? 1) <= 0.05, `background = ${report.scores.background}`);
    // and the right background still gets full marks
    assert.ok((judge(shown, render(shown)).scores.background ?? 0) >= 0.99);
  });

  it('wrong direction lowers direction only', () => {
    const shown = base({ objects: [ball({ start: { x: 0.5, y: 0.5 } })] });
    const asked = base({
      objects: [ball({ start: { x: 0.5, y: 0.5 }, motion: { kind: 'linear', direction: 'left' } })],
    });
    assertOnly(judge(asked, render(shown)), 'direction');
  });

  it('swapped object class lowers class only', () => {
    const shown = base({ objects: [ball({ class: 'square' })] });
    const asked = base({ objects: [ball({ class: 'ball' })] });
    assertOnly(judge(asked, render(shown)), 'class');
  });

  it('an object deleted mid-clip lowers permanence only', () => {
    const other = {
      id: 'b',
      class: 'star',
      color: 'blue' as const,
      start: { x: 0.7, y: 0.3 },
      motion: { kind: 'static' as const },
    };
    const shown = base({ objects: [ball({ motion: { kind: 'disappear', at: 0.5 } }), other] });
    const asked = base({ objects: [ball({ motion: { kind: 'static' } }), other] });
    assertOnly(judge(asked, render(shown)), 'permanence');
  });

  it('injected flicker lowers flicker only', () => {
    const spec = base({ background: { kind: 'sky' }, objects: [ball()] });
    const pixels = render(spec);
    const rand = lcg(3);
    const frame = spec.width * spec.height * 3;
    const flickered = pixels.slice();
    for (let f = 0; f < spec.frames; f++) {
      const g = 0.85 + 0.3 * rand(); // ±15 % brightness per frame
      for (let i = f * frame; i < (f + 1) * frame; i++)
        flickered[i] = Math.min(255, Math.round(pixels[i]! * g));
    }
    assertOnly(judge(spec, flickered), 'flicker');
  });

  it('wrong camera move lowers camera only', () => {
    const shown = base({
      background: { kind: 'grass' },
      camera: 'pan-left',
      objects: [ball({ motion: { kind: 'static' } })],
    });
    const asked = base({
      background: { kind: 'grass' },
      camera: 'static',
      objects: [ball({ motion: { kind: 'static' } })],
    });
    assertOnly(judge(asked, render(shown)), 'camera');
  });

  it('rejects pixels of the wrong size with a typed error', () => {
    const spec = base({ objects: [ball()] });
    assert.throws(() => judge(spec, new Uint8Array(10)), { name: 'ClipShapeError' });
  });
});

/** Separable Gaussian blur of every frame (RGB uint8, (frames, height, width, 3)): soft edges. */
function blurred(pixels: Uint8Array, width: number, height: number, sigma: number): Uint8Array {
  const radius = Math.ceil(2 * sigma);
  const kernel = Array.from({ length: 2 * radius + 1 }, (_, i) =>
    Math.exp(-((i - radius) ** 2) / (2 * sigma ** 2)),
  );
  const sum = kernel.reduce((a, b) => a + b, 0);
  const pass = (src: ArrayLike<number>, dst: Float32Array | Uint8Array, along: 'x' | 'y', frame: number) => {
    const o = frame * width * height * 3;
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        for (let c = 0; c < 3; c++) {
          let v = 0;
          for (let k = -radius; k <= radius; k++) {
            const xx = along === 'x' ? Math.min(width - 1, Math.max(0, x + k)) : x;
            const yy = along === 'y' ? Math.min(height - 1, Math.max(0, y + k)) : y;
            v += kernel[k + radius]! * src[o + (yy * width + xx) * 3 + c]!;
          }
          dst[o + (y * width + x) * 3 + c] = v / sum;
        }
  };
  const across = new Float32Array(pixels.length);
  const out = new Uint8Array(pixels.length);
  for (let f = 0; f < pixels.length / (width * height * 3); f++) {
    pass(pixels, across, 'x', f);
    pass(across, out, 'y', f);
  }
  return out;
}

describe('oracle on soft edges (a decoder, a blur)', () => {
  const shape = (cls: string) =>
    base({
      objects: [
        {
          id: 'a',
          class: cls,
          color: 'red',
          size: 'medium',
          start: { x: 0.3, y: 0.5 },
          motion: { kind: 'linear', direction: 'right' },
        },
      ],
    });
  // Under the plain silhouette match a hexagon blurred by 1 px was judged a ball, a heart something else.
  const SHAPES = ['square', 'triangle', 'star', 'heart', 'diamond', 'cross', 'hexagon', 'crescent'];

  it('a render blurred by 1 px keeps its class', () => {
    for (const cls of SHAPES) {
      const score = judge(shape(cls), blurred(render(shape(cls)), 64, 64, 1)).scores.class!;
      assert.ok(score >= 0.9, `${cls}: class ${score}`);
    }
  });

  it('a blurred render of another class still loses class', () => {
    for (const cls of SHAPES) {
      const soft = blurred(render(shape(cls)), 64, 64, 1);
      for (const asked of ['ball', 'square', 'star'].filter((c) => c !== cls)) {
        const score = judge(shape(asked), soft).scores.class!;
        assert.ok(score <= 0.1, `${cls} shown, ${asked} asked: class ${score}`);
      }
    }
  });
});
