import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GRAVITY, ORBIT_RADIUS, TURNS_PER_SECOND, ZIGZAG_AMPLITUDE } from '../../src/world/motion.ts';
import { PALETTE } from '../../src/world/palette.ts';
import { renderClip } from '../../src/world/render.ts';
import { sampleScene } from '../../src/world/sample.ts';
import {
  DIRECTION_VECTORS,
  DIRECTIONS,
  parseSpec,
  SIZE_VALUES,
  SPEED_VALUES,
  SpecError,
  STYLES,
} from '../../src/world/spec.ts';

const W = 96;
const H = 64;
const FPS = 8;

function spec(objects: unknown[], over: Record<string, unknown> = {}) {
  return parseSpec({
    width: W,
    height: H,
    frames: 16,
    fps: FPS,
    background: { kind: 'solid', color: 'white' },
    objects,
    ...over,
  });
}
const obj = (motion: Record<string, unknown>, over: Record<string, unknown> = {}) => ({
  id: 'o0',
  class: 'ball',
  color: 'red',
  size: 'small',
  start: { x: 0.5, y: 0.5 },
  motion,
  ...over,
});

test('same spec and seed give identical bytes; another seed changes the texture', () => {
  const s = sampleScene(7, { width: 64, height: 48, frames: 8, maxObjects: 3, backgrounds: ['grass'] });
  const a = renderClip(s, 7);
  const b = renderClip(s, 7);
  assert.deepEqual(a.pixels, b.pixels);
  assert.deepEqual(a.truth, b.truth);
  assert.deepEqual(a.captions, b.captions);
  const c = renderClip(s, 8);
  assert.notDeepEqual(a.pixels, c.pixels);
  assert.deepEqual(a.truth, c.truth, 'the seed changes textures and wording, never geometry');
});

test('the fast path gives the same bytes as the reference renderer', () => {
  for (let i = 0; i < 60; i++) {
    const s = sampleScene(i, {
      width: 40 + (i % 4) * 12,
      height: 32 + (i % 3) * 16,
      frames: 4,
      maxObjects: 4,
    });
    const fast = renderClip(s, i, { captions: false });
    const ref = renderClip(s, i, { captions: false, reference: true });
    assert.deepEqual(fast.pixels, ref.pixels, `seed ${i} (${s.style}, ${s.camera})`);
  }
});

test('any size renders: RGB uint8 (frames, height, width, 3)', () => {
  for (const [w, h, f] of [
    [8, 8, 1],
    [33, 17, 3],
    [160, 90, 2],
  ] as const) {
    const c = renderClip(spec([obj({ kind: 'static' })], { width: w, height: h, frames: f }), 1);
    assert.equal(c.pixels.length, w * h * f * 3);
    assert.equal(c.truth.length, f);
  }
});

test('linear motion: x and y change by speed * width / fps pixels per frame in all 8 directions', () => {
  for (const direction of DIRECTIONS) {
    for (const speed of ['slow', 'fast'] as const) {
      const c = renderClip(spec([obj({ kind: 'linear', direction, speed })]), 0, { captions: false });
      const step = (SPEED_VALUES[speed] * W) / FPS;
      const [dx, dy] = DIRECTION_VECTORS[direction];
      for (let f = 1; f < 16; f++) {
        const a = c.truth[f - 1]!.objects[0]!;
        const b = c.truth[f]!.objects[0]!;
        assert.ok(Math.abs(b.x - a.x - dx * step) < 1e-9, `${direction} ${speed} x`);
        assert.ok(Math.abs(b.y - a.y - dy * step) < 1e-9, `${direction} ${speed} y`);
      }
    }
  }
});

test('static stays put; the drawn object is where the truth says, in its palette colour', () => {
  const c = renderClip(spec([obj({ kind: 'static' }, { size: 'large' })]), 3);
  for (const t of c.truth) {
    const o = t.objects[0]!;
    assert.equal(o.x, W / 2);
    assert.equal(o.y, H / 2);
    assert.equal(o.w, SIZE_VALUES.large * H);
    assert.ok(o.present, 'o.present');
    const i = (Math.floor(o.y) * W + Math.floor(o.x)) * 3;
    assert.deepEqual([...c.pixels.subarray(i, i + 3)], [...PALETTE.red]);
  }
});

test('bounce stays inside the frame and reverses at the walls', () => {
  const c = renderClip(
    spec([obj({ kind: 'bounce', direction: 'down-right', speed: 'fast' }, { start: { x: 0.8, y: 0.7 } })], {
      frames: 40,
    }),
    0,
  );
  const r = (SIZE_VALUES.small * H) / 2;
  let flipsX = 0;
  let flipsY = 0;
  for (let f = 0; f < 40; f++) {
    const o = c.truth[f]!.objects[0]!;
    assert.ok(o.x >= r - 1e-9 && o.x <= W - r + 1e-9, `x ${o.x}`);
    assert.ok(o.y >= r - 1e-9 && o.y <= H - r + 1e-9, `y ${o.y}`);
    if (f >= 2) {
      const [a, b, d] = [c.truth[f - 2]!.objects[0]!, c.truth[f - 1]!.objects[0]!, o];
      if (Math.sign(b.x - a.x) !== Math.sign(d.x - b.x)) flipsX++;
      if (Math.sign(b.y - a.y) !== Math.sign(d.y - b.y)) flipsY++;
    }
  }
  assert.ok(flipsX >= 1 && flipsY >= 1, 'flipsX >= 1 && flipsY >= 1');
});

test('fall accelerates with gravity, lands on the floor and bounces', () => {
  const c = renderClip(spec([obj({ kind: 'fall' }, { start: { x: 0.5, y: 0.15 } })], { frames: 24 }), 0);
  const ys = c.truth.map((t) => t.objects[0]!.y);
  const floor = H - (SIZE_VALUES.small * H) / 2;
  // first frames: y = y0 + g t^2 / 2 (g in frame heights / s^2)
  for (let f = 1; f < 4; f++) {
    const t = f / FPS;
    assert.ok(
      Math.abs(ys[f]! - (0.15 * H + 0.5 * GRAVITY * H * t * t)) < 1e-6,
      'Math.abs(ys[f]! - (0.15 * H + 0.5 * GRAVITY * H * t * t)) < 1e-6',
    );
  }
  assert.ok(
    ys.every((y) => y <= floor + 1e-9),
    'ys.every((y) => y <= floor + 1e-9)',
  );
  assert.ok(
    ys.some((y) => Math.abs(y - floor) < 2),
    'reaches the floor',
  );
  const up = ys.findIndex((y, f) => f > 0 && y < ys[f - 1]! - 1e-9);
  assert.ok(up > 0, 'bounces back up');
});

test('orbit circles its start point at a fixed radius, clockwise or not', () => {
  for (const direction of ['right', 'left'] as const) {
    const c = renderClip(spec([obj({ kind: 'orbit', direction })]), 0);
    const R = ORBIT_RADIUS * H;
    const cx = 0.5 * W;
    const cy = 0.5 * H;
    for (const t of c.truth) {
      const o = t.objects[0]!;
      assert.ok(
        Math.abs(Math.hypot(o.x - cx, o.y - cy) - R) < 1e-6,
        'Math.abs(Math.hypot(o.x - cx, o.y - cy) - R) < 1e-6',
      );
    }
    // starts at the top, then moves right when clockwise
    assert.ok(
      Math.abs(c.truth[0]!.objects[0]!.y - (cy - R)) < 1e-9,
      'Math.abs(c.truth[0]!.objects[0]!.y - (cy - R)) < 1e-9',
    );
    const moved = c.truth[1]!.objects[0]!.x - cx;
    assert.ok(direction === 'right' ? moved > 0 : moved < 0, 'direction === right ? moved > 0 : moved < 0');
  }
});

test('zigzag advances along its heading and swings across it', () => {
  const c = renderClip(
    spec([obj({ kind: 'zigzag', direction: 'right' }, { start: { x: 0.2, y: 0.5 } })], { frames: 16 }),
    0,
  );
  const step = (SPEED_VALUES.medium * W) / FPS;
  const A = ZIGZAG_AMPLITUDE * H;
  let sawAbove = false;
  let sawBelow = false;
  c.truth.forEach((t, f) => {
    const o = t.objects[0]!;
    assert.ok(Math.abs(o.x - (0.2 * W + step * f)) < 1e-9, 'Math.abs(o.x - (0.2 * W + step * f)) < 1e-9');
    const off = o.y - 0.5 * H;
    assert.ok(Math.abs(off) <= A + 1e-9, 'Math.abs(off) <= A + 1e-9');
    if (off > A / 2) sawBelow = true;
    if (off < -A / 2) sawAbove = true;
  });
  assert.ok(sawAbove && sawBelow, 'sawAbove && sawBelow');
});

test('grow and shrink change the size monotonically; rotate turns at its rate', () => {
  const g = renderClip(spec([obj({ kind: 'grow' })]), 0).truth.map((t) => t.objects[0]!.w);
  const s = renderClip(spec([obj({ kind: 'shrink' })]), 0).truth.map((t) => t.objects[0]!.w);
  for (let f = 1; f < 16; f++) {
    assert.ok(g[f]! > g[f - 1]!, 'g[f]! > g[f - 1]!');
    assert.ok(s[f]! < s[f - 1]!, 's[f]! < s[f - 1]!');
  }
  for (const [direction, sign] of [
    ['right', 1],
    ['left', -1],
  ] as const) {
    const r = renderClip(spec([obj({ kind: 'rotate', direction, speed: 'fast' })]), 0).truth.map(
      (t) => t.objects[0]!.angle,
    );
    for (let f = 1; f < 16; f++)
      assert.ok(
        Math.abs(r[f]! - r[f - 1]! - (sign * 2 * Math.PI * TURNS_PER_SECOND.fast) / FPS) < 1e-9,
        `rotate ${direction}`,
      );
  }
});

test('appear and disappear switch at `at`, and the pixels agree', () => {
  const a = renderClip(spec([obj({ kind: 'appear', at: 0.25 }, { size: 'large' })]), 0);
  const d = renderClip(spec([obj({ kind: 'disappear', at: 0.75 }, { size: 'large' })]), 0);
  const centre = (c: typeof a, f: number) => {
    const i = (f * W * H + (H / 2) * W + W / 2) * 3;
    return [...c.pixels.subarray(i, i + 3)];
  };
  for (let f = 0; f < 16; f++) {
    assert.equal(a.truth[f]!.objects[0]!.present, f >= 4);
    assert.equal(d.truth[f]!.objects[0]!.present, f < 12);
    assert.deepEqual(centre(a, f), f >= 4 ? [...PALETTE.red] : [...PALETTE.white]);
  }
});

test('passing behind: the truth reports occlusion, and masks agree with it', () => {
  const s = spec(
    [
      obj({ kind: 'linear', direction: 'right', speed: 'fast' }, { start: { x: 0.1, y: 0.5 }, depth: 0 }),
      {
        id: 'wall',
        class: 'square',
        color: 'blue',
        size: 'large',
        start: { x: 0.5, y: 0.5 },
        motion: { kind: 'static' },
        depth: 1,
      },
    ],
    { frames: 12 },
  );
  const c = renderClip(s, 0, { masks: true });
  const occ = c.truth.map((t) => t.objects[0]!.occluded);
  assert.equal(occ[0], 0);
  assert.ok(Math.max(...occ) === 1, 'fully hidden at some frame');
  assert.ok(
    c.truth.every((t) => t.objects[0]!.present),
    'still present (object permanence)',
  );
  assert.ok(
    c.truth.every((t) => t.objects[1]!.occluded === 0),
    'the nearer object is never hidden',
  );
  for (const t of c.truth) {
    const m = c.masks!.subarray(t.frame * W * H, (t.frame + 1) * W * H);
    t.objects.forEach((o, k) => {
      const count = m.reduce((n, v) => n + (v === k ? 1 : 0), 0);
      assert.equal(count, o.visibleArea);
    });
  }
});

test('an object off the frame is not present; a pan moves everything the other way', () => {
  const off = renderClip(
    spec([obj({ kind: 'linear', direction: 'left', speed: 'fast' }, { start: { x: 0.1, y: 0.5 } })]),
    0,
  );
  assert.equal(off.truth[15]!.objects[0]!.present, false);
  assert.equal(off.truth[15]!.objects[0]!.occluded, 1);
  const pan = renderClip(spec([obj({ kind: 'static' })], { camera: 'pan-right' }), 0);
  const xs = pan.truth.map((t) => t.objects[0]!.x);
  for (let f = 1; f < 16; f++)
    assert.ok(xs[f]! < xs[f - 1]!, 'objects drift left when the camera pans right');
  assert.ok(
    pan.truth[15]!.camera.x > pan.truth[0]!.camera.x,
    'pan.truth[15]!.camera.x > pan.truth[0]!.camera.x',
  );
  const zoom = renderClip(spec([obj({ kind: 'static' })], { camera: 'zoom-in' }), 0);
  assert.ok(
    zoom.truth[15]!.objects[0]!.w > zoom.truth[0]!.objects[0]!.w,
    'zoom.truth[15]!.objects[0]!.w > zoom.truth[0]!.objects[0]!.w',
  );
  assert.ok(zoom.truth[15]!.camera.zoom > 1, 'zoom.truth[15]!.camera.zoom > 1');
});

test('styles render the same scene differently, with the same truth', () => {
  const base = sampleScene(3, {
    width: 64,
    height: 64,
    frames: 4,
    minObjects: 2,
    maxObjects: 2,
    cameras: ['static'],
  });
  const clips = STYLES.map((style) => renderClip(parseSpec({ ...base, style }), 3, { captions: false }));
  for (let i = 0; i < clips.length; i++) {
    for (let j = i + 1; j < clips.length; j++) {
      let diff = 0;
      for (let k = 0; k < clips[i]!.pixels.length; k++)
        if (clips[i]!.pixels[k] !== clips[j]!.pixels[k]) diff++;
      assert.ok(diff > 100, `${STYLES[i]} vs ${STYLES[j]}: ${diff} bytes differ`);
      assert.deepEqual(clips[i]!.truth, clips[j]!.truth);
    }
  }
});

test('lighting: fade-in brightens, day-to-night tints blue; truth brightness follows', () => {
  const mean = (c: ReturnType<typeof renderClip>, f: number, ch: number) => {
    let s = 0;
    for (let i = f * W * H * 3 + ch; i < (f + 1) * W * H * 3; i += 3) s += c.pixels[i]!;
    return s / (W * H);
  };
  const fade = renderClip(spec([obj({ kind: 'static' })], { lighting: 'fade-in' }), 0);
  assert.ok(mean(fade, 0, 1) < mean(fade, 15, 1) * 0.3, 'mean(fade, 0, 1) < mean(fade, 15, 1) * 0.3');
  assert.ok(
    fade.truth[0]!.brightness < 0.2 && fade.truth[15]!.brightness === 1,
    'fade.truth[0]!.brightness < 0.2 && fade.truth[15]!.brightness === 1',
  );
  const night = renderClip(spec([obj({ kind: 'static' })], { lighting: 'day-to-night' }), 0);
  assert.ok(mean(night, 15, 2) > mean(night, 15, 0) * 1.5, 'blue dominates at night');
});

test('bad specs name the bad field', () => {
  assert.throws(
    () => spec([obj({ kind: 'static' }, { class: 'unicorn' })]),
    (e: unknown) => e instanceof SpecError && e.path === 'objects.0.class' && /unicorn/.test(e.message),
  );
  assert.throws(
    () => spec([obj({ kind: 'linear', direction: 'sideways' })]),
    (e: unknown) => e instanceof SpecError && e.path === 'objects.0.motion.direction',
  );
  assert.throws(
    () => spec([], { width: 0 }),
    (e: unknown) => e instanceof SpecError && e.path === 'width',
  );
});
