// World generation speed, one core: clips rendered per second (frames + per-frame truth +
// three captions) for the training distribution at 64x64x16 and 128x128x32, plus parts of it.
// `clips_per_cpu_s` divides by this process's CPU time, so it is a per-core figure even when
// other work shares the machine; `clips_per_s` is wall-clock.
import { captionScene } from '../src/world/captions.ts';
import { parsePrompt } from '../src/world/prompt.ts';
import { renderClip } from '../src/world/render.ts';
import { sampleScene } from '../src/world/sample.ts';
import { parseSpec, type SceneSpec } from '../src/world/spec.ts';
import { report } from './_report.ts';

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Runs `fn(i)` for about `seconds` of CPU time after a warm-up; returns per-CPU-second and per-wall-second rates. */
function rate(fn: (i: number) => unknown, seconds: number): { perCpu: number; perWall: number; n: number } {
  // warm up (JIT, caches) for a quarter of the measuring time
  const w0 = cpuSeconds();
  for (let i = 0; cpuSeconds() - w0 < seconds / 4; i++) fn(i);
  const c0 = cpuSeconds();
  const t0 = performance.now();
  let n = 0;
  while (cpuSeconds() - c0 < seconds) fn(n++);
  const cpu = cpuSeconds() - c0;
  const wall = (performance.now() - t0) / 1000;
  return { perCpu: n / cpu, perWall: n / wall, n };
}

const round = (v: number) => Math.round(v);
const seconds = Number(process.env.KINEMA_BENCH_SECONDS ?? 2);

for (const [width, height, frames] of [
  [64, 64, 16],
  [128, 128, 32],
] as const) {
  const size = `${width}x${height}x${frames}`;
  const specs: SceneSpec[] = Array.from({ length: 256 }, (_, i) =>
    sampleScene(i, { width, height, frames, fps: 8, maxObjects: 3 }),
  );
  // warm-up: let the JIT compile every path first (its compile threads count as this process's CPU)
  rate((i) => renderClip(specs[i % specs.length]!, i), seconds);
  const full = rate((i) => renderClip(specs[i % specs.length]!, i), seconds);
  report({
    name: `world_render_${size}`,
    what: 'sampled scene distribution: pixels + truth + captions',
    clips_per_cpu_s: round(full.perCpu),
    clips_per_s: round(full.perWall),
    goal_clips_per_cpu_s: width === 64 ? 1000 : undefined,
    clips: full.n,
  });
  const pixelsOnly = rate((i) => renderClip(specs[i % specs.length]!, i, { captions: false }), seconds);
  report({
    name: `world_render_pixels_${size}`,
    clips_per_cpu_s: round(pixelsOnly.perCpu),
    clips_per_s: round(pixelsOnly.perWall),
  });
  const simple = specs.map((s) => parseSpec({ ...s, style: 'flat', camera: 'static', lighting: 'constant' }));
  const flat = rate((i) => renderClip(simple[i % simple.length]!, i), seconds);
  report({
    name: `world_render_flat_static_${size}`,
    clips_per_cpu_s: round(flat.perCpu),
    clips_per_s: round(flat.perWall),
  });
  const sample = rate((i) => sampleScene(i, { width, height, frames, maxObjects: 3 }), seconds / 4);
  report({ name: `world_sample_${size}`, specs_per_cpu_s: round(sample.perCpu) });
}

const specs = Array.from({ length: 256 }, (_, i) =>
  sampleScene(i, { width: 64, height: 64, frames: 16, maxObjects: 3 }),
);
const cap = rate((i) => captionScene(specs[i % specs.length]!, i), seconds / 2);
report({ name: 'world_captions', captions_per_cpu_s: round(cap.perCpu) });
const texts = specs.map((s, i) => captionScene(s, i).detailed);
const parse = rate(
  (i) => parsePrompt(texts[i % texts.length]!, { width: 64, height: 64, frames: 16 }),
  seconds / 2,
);
report({ name: 'world_parse_detailed_caption', prompts_per_cpu_s: round(parse.perCpu) });
