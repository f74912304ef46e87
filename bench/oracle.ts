// Oracle speed: clips judged per second at two sizes (one core; the reference renders included).
import { scoreClip } from '../src/eval/oracle.ts';
import { renderClip } from '../src/world/render.ts';
import { parseSpec } from '../src/world/spec.ts';
import { report, timeMs } from './_report.ts';

for (const [width, height, frames] of [
  [64, 64, 16],
  [128, 128, 32],
] as const) {
  const spec = parseSpec({
    width,
    height,
    frames,
    background: { kind: 'grass' },
    objects: [
      {
        id: 'a',
        class: 'ball',
        color: 'red',
        start: { x: 0.3, y: 0.4 },
        motion: { kind: 'linear', direction: 'right' },
      },
      { id: 'b', class: 'cat', color: 'orange', start: { x: 0.7, y: 0.7 }, motion: { kind: 'static' } },
    ],
  });
  const pixels = renderClip(spec, 1, { captions: false }).pixels;
  const ms = await timeMs(() => scoreClip(spec, pixels, { seed: 1 }), 3, 1);
  report({
    name: `oracle_${width}x${height}x${frames}`,
    ms_per_clip: Math.round(ms * 10) / 10,
    clips_per_s: 1000 / ms,
  });
}
