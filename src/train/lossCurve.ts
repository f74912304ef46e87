// Draws the training loss curve as a PNG (log-scale loss against step), so a run can be judged
// at a glance without any plotting tool. Pure pixels with pngjs: no canvas, no fonts.
import { PNG } from 'pngjs';

export interface LossPoint {
  step: number;
  loss: number;
}

const WIDTH = 640;
const HEIGHT = 360;
const MARGIN = 24;

type Rgb = readonly [number, number, number];

/** One curve of a comparison: its points and the colour of its moving average. */
export interface LossSeries {
  points: LossPoint[];
  color: Rgb;
}

/** PNG bytes of the curve: raw points in light grey, a moving average in blue. */
export function renderLossCurve(points: LossPoint[]): Buffer {
  return renderLossCurves([{ points, color: [30, 90, 220] }]);
}

/**
 * PNG bytes of several curves on shared axes (e.g. one run on two executors): every series' raw
 * points in light grey, then each moving average in its own colour, drawn in order.
 */
export function renderLossCurves(series: LossSeries[]): Buffer {
  const png = new PNG({ width: WIDTH, height: HEIGHT });
  png.data.fill(255);
  const curves = series.map((s) => s.points.filter((p) => Number.isFinite(p.loss) && p.loss > 0));
  drawAxes(png);
  const all = curves.flat();
  if (all.length < 2) return PNG.sync.write(png);

  // Shared ranges, so the curves can be read against each other. (Loops, not Math.min(...xs):
  // spreading a long run's points as arguments overflows the stack beyond ~150k steps.)
  let [s0, s1, l0, l1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const p of all) {
    const log = Math.log10(p.loss);
    [s0, s1, l0, l1] = [Math.min(s0, p.step), Math.max(s1, p.step), Math.min(l0, log), Math.max(l1, log)];
  }
  const x = (step: number) => MARGIN + ((step - s0) / Math.max(1, s1 - s0)) * (WIDTH - 2 * MARGIN);
  const y = (log: number) => HEIGHT - MARGIN - ((log - l0) / Math.max(1e-9, l1 - l0)) * (HEIGHT - 2 * MARGIN);

  // Decade grid lines make the log scale readable without labels.
  for (let d = Math.ceil(l0); d <= Math.floor(l1); d++) {
    drawLine(png, MARGIN, y(d), WIDTH - MARGIN, y(d), [225, 225, 225]);
  }
  const polyline = (finite: LossPoint[], logs: number[], rgb: Rgb) => {
    for (let i = 1; i < finite.length; i++) {
      drawLine(png, x(finite[i - 1]!.step), y(logs[i - 1]!), x(finite[i]!.step), y(logs[i]!), rgb);
    }
  };
  const logCurves = curves.map((finite) => finite.map((p) => Math.log10(p.loss)));
  // All raw points before any average, so no grey line is drawn over a coloured one.
  for (const [c, finite] of curves.entries()) polyline(finite, logCurves[c]!, [200, 200, 200]);
  curves.forEach((finite, c) => {
    const logs = logCurves[c]!;
    const window = Math.max(1, Math.round(finite.length / 50));
    const smooth = logs.map((_, i) => {
      const from = Math.max(0, i - window + 1);
      const slice = logs.slice(from, i + 1);
      return slice.reduce((a, b) => a + b, 0) / slice.length;
    });
    polyline(finite, smooth, series[c]!.color);
  });
  return PNG.sync.write(png);
}

function drawAxes(png: PNG): void {
  drawLine(png, MARGIN, HEIGHT - MARGIN, WIDTH - MARGIN, HEIGHT - MARGIN, [0, 0, 0]);
  drawLine(png, MARGIN, MARGIN, MARGIN, HEIGHT - MARGIN, [0, 0, 0]);
}

function drawLine(png: PNG, x0: number, y0: number, x1: number, y1: number, rgb: Rgb): void {
  const n = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
  for (let i = 0; i <= n; i++) {
    const px = Math.round(x0 + ((x1 - x0) * i) / n);
    const py = Math.round(y0 + ((y1 - y0) * i) / n);
    if (px < 0 || py < 0 || px >= png.width || py >= png.height) continue;
    const o = (py * png.width + px) * 4;
    png.data[o] = rgb[0];
    png.data[o + 1] = rgb[1];
    png.data[o + 2] = rgb[2];
    png.data[o + 3] = 255;
  }
}
