// Scaling study: oracle scores against training compute for three DiT sizes (issue 6; Sora's
// report shows quality growing with compute). The members are the small model's DiT at widths 96,
// 144 and 192 (presets small-96, small-144, small), each trained from scratch on the shipped
// autoencoder and caption encoder with one recipe, and scored by the eval suite whenever it has
// used the same training FLOPs as the others. Long: `npm run bench -- scaling` runs it (the plain
// `npm run bench` skips it), and a rerun resumes from the last scored point (runs/scaling).
//
// Options (`npm run bench -- scaling --budget=1200`): --budget (compute in steps of the small
// model; default 600), --points (scored compute points; 3), --count (prompts per score; 40),
// --out (runs/scaling), --weights (the model whose autoencoder and encoder they share),
// --rescore (score the saved models of the points already done again, e.g. after an oracle change).
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runSuite, type SuiteReport } from '../src/eval/suite.ts';
import { DEFAULT_WEIGHTS, loadModel, type ModelBundle, saveModel } from '../src/models/bundle.ts';
import { ditTrainingFlops, getPreset, presetParameterCounts } from '../src/models/presets.ts';
import { VideoPipeline } from '../src/pipeline/generate.ts';
import { DEFAULT_SETTINGS } from '../src/pipeline/settings.ts';
import { parseTrainConfig } from '../src/train/config.ts';
import { packBundle } from '../src/train/pack.ts';
import { Trainer } from '../src/train/trainer.ts';
import { report } from './_report.ts';

const option = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const budgetSmallSteps = Number(option('budget', '600'));
const pointCount = Number(option('points', '3'));
const promptCount = Number(option('count', '40'));
const out = option('out', 'runs/scaling');
const weights = option('weights', DEFAULT_WEIGHTS);
const rescore = process.argv.includes('--rescore');

const MEMBERS = ['small-96', 'small-144', 'small'] as const;
// The shipped model's recipe (see weights/MODEL_CARD.md), with a faster EMA for short runs.
const BUCKETS = [
  { width: 64, height: 64, frames: 17, batch: 8 },
  { width: 64, height: 64, frames: 17, batch: 8 },
  { width: 64, height: 64, frames: 1, batch: 64 },
];

/** Training FLOPs of one step on each bucket's clip shape, keyed like StepReport.clip. */
function flopsByClip(presetName: string): Map<string, number> {
  const preset = getPreset(presetName);
  return new Map(
    BUCKETS.map((b) => [`${b.width}x${b.height}x${b.frames}`, ditTrainingFlops(preset, b, b.batch)]),
  );
}

const meanStepFlops = (presetName: string) => {
  const byClip = flopsByClip(presetName);
  return (
    BUCKETS.reduce((sum, b) => sum + byClip.get(`${b.width}x${b.height}x${b.frames}`)!, 0) / BUCKETS.length
  );
};

interface ScalingPoint {
  preset: string;
  ditParams: number;
  point: number;
  step: number;
  trainPflop: number;
  trainSeconds: number;
  overall: number;
  dimensions: Record<string, number | null>;
}

const resultsPath = join(out, 'results.jsonl');
await mkdir(out, { recursive: true });
const done: ScalingPoint[] = (await readFile(resultsPath, 'utf8').catch(() => ''))
  .split('\n')
  .filter((line) => line.trim())
  .map((line) => JSON.parse(line) as ScalingPoint);
const modelPath = (presetName: string, point: number) => join(out, presetName, `point-${point}.safetensors`);
if (rescore) {
  for (const p of done) Object.assign(p, await scores(await loadModel(modelPath(p.preset, p.point))));
  await writeFile(resultsPath, done.map((p) => `${JSON.stringify(p)}\n`).join(''));
}
for (const p of done) report({ name: `scaling_${p.preset}_${p.point}`, ...p, resumed: !rescore });

const budgetFlops = budgetSmallSteps * meanStepFlops('small');
const base = await loadModel(weights);
for (const presetName of MEMBERS) {
  const mine = done.filter((p) => p.preset === presetName);
  if (mine.length >= pointCount) continue;
  const byClip = flopsByClip(presetName);
  const steps = Math.round(budgetFlops / meanStepFlops(presetName));
  const config = parseTrainConfig({
    stage: 'dit',
    preset: presetName,
    steps,
    out: join(out, presetName),
    initFrom: weights,
    freshDit: true,
    buckets: BUCKETS,
    conditioning: { firstFrame: 0.4, prefix: 0.1, firstAndLast: 0.1 },
    captionProbe: 0.2,
    lr: 1e-3,
    warmupSteps: Math.min(200, Math.round(steps / 10)),
    emaDecay: 0.99,
    checkpointEvery: 1_000_000, // saved at each scored point instead
    data: { source: 'world', level: 0 },
  });
  const trainer = await Trainer.create(config, { resume: true });
  let flops = mine.at(-1)?.trainPflop ? mine.at(-1)!.trainPflop * 1e15 : 0;
  let seconds = mine.at(-1)?.trainSeconds ?? 0;
  for (let point = mine.length + 1; point <= pointCount; point++) {
    const target = (budgetFlops * point) / pointCount;
    while (flops < target && trainer.currentStep < steps) {
      const step = await trainer.trainStep();
      if (step.step % config.logEvery === 0) await trainer.log(step);
      flops += byClip.get(step.clip)!;
      seconds += step.seconds;
    }
    await trainer.save();
    const model = packBundle({
      base,
      dit: trainer.checkpoint(),
      id: `scaling-${presetName}-${trainer.currentStep}`,
    });
    await saveModel(modelPath(presetName, point), model);
    const result: ScalingPoint = {
      preset: presetName,
      ditParams: presetParameterCounts(getPreset(presetName)).dit,
      point,
      step: trainer.currentStep,
      trainPflop: flops / 1e15,
      trainSeconds: Math.round(seconds),
      ...(await scores(model)),
    };
    await appendFile(resultsPath, `${JSON.stringify(result)}\n`);
    done.push(result);
    report({ name: `scaling_${presetName}_${point}`, ...result });
  }
  await trainer.dispose();
}
await writeFile(join(out, 'scaling.svg'), scalingPlot(done));

/** The eval suite's level-0 scores of a model at the default sampling settings. */
async function scores(model: ModelBundle): Promise<Pick<ScalingPoint, 'overall' | 'dimensions'>> {
  const pipeline = VideoPipeline.fromModel(model);
  const suite: SuiteReport = await runSuite(pipeline, {
    count: promptCount,
    level: 0,
    width: 64,
    height: 64,
    frames: 17,
    fps: 8,
    steps: DEFAULT_SETTINGS.steps,
    guidanceScale: DEFAULT_SETTINGS.guidanceScale,
    captionStyle: 'detailed',
  });
  await pipeline.dispose();
  return {
    overall: suite.overall,
    dimensions: Object.fromEntries(Object.entries(suite.dimensions).map(([k, v]) => [k, v.mean])),
  };
}

/** Overall score against training compute (log scale), one line per member, as an SVG. */
function scalingPlot(points: ScalingPoint[]): string {
  const [w, h, left, bottom] = [560, 340, 56, 40];
  const xs = points.map((p) => Math.log10(p.trainPflop));
  const [x0, x1] = [Math.min(...xs) - 0.05, Math.max(...xs) + 0.05];
  // the scores' own range, in tenths
  const overalls = points.map((p) => p.overall);
  const [y0, y1] = [Math.floor(Math.min(...overalls) * 10) / 10, Math.ceil(Math.max(...overalls) * 10) / 10];
  const px = (pflop: number) => left + ((Math.log10(pflop) - x0) / (x1 - x0)) * (w - left - 16);
  const py = (score: number) => h - bottom - ((score - y0) / (y1 - y0)) * (h - bottom - 16);
  const colours = ['#d62728', '#ff7f0e', '#1f77b4'];
  const lines = MEMBERS.map((name, i) => {
    const mine = points.filter((p) => p.preset === name).sort((a, b) => a.trainPflop - b.trainPflop);
    const path = mine.map((p) => `${px(p.trainPflop).toFixed(1)},${py(p.overall).toFixed(1)}`).join(' ');
    const dots = mine
      .map((p) => `<circle cx="${px(p.trainPflop).toFixed(1)}" cy="${py(p.overall).toFixed(1)}" r="3"/>`)
      .join('');
    const label = `<text x="${w - 150}" y="${30 + i * 16}">${name}</text>`;
    return `<g stroke="${colours[i]}" fill="${colours[i]}"><polyline fill="none" points="${path}"/>${dots}${label}</g>`;
  });
  const ticks = Array.from({ length: Math.round((y1 - y0) * 20) + 1 }, (_, i) => y0 + i * 0.05)
    .map((s) => `<text x="${left - 34}" y="${py(s) + 4}">${s.toFixed(2)}</text>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="11">
<rect width="${w}" height="${h}" fill="white"/>
<line x1="${left}" y1="${h - bottom}" x2="${w - 16}" y2="${h - bottom}" stroke="black"/>
<line x1="${left}" y1="16" x2="${left}" y2="${h - bottom}" stroke="black"/>
${ticks}
<text x="${left}" y="${h - 10}">training compute, TFLOP (log scale): ${(1000 * Math.min(...points.map((p) => p.trainPflop))).toFixed(1)} … ${(1000 * Math.max(...points.map((p) => p.trainPflop))).toFixed(1)}</text>
<text x="8" y="12">oracle overall (level 0, ${promptCount} prompts)</text>
${lines.join('\n')}
</svg>
`;
}
