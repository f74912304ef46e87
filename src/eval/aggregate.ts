// Many clip reports → one summary: mean score per dimension over the clips where it applies.
import { type ClipReport, DIMENSIONS, type Dimension } from './oracle.ts';

export interface Aggregate {
  clips: number;
  overall: number;
  /** Per dimension: mean score and how many clips it applied to. */
  dimensions: Record<Dimension, { mean: number | null; count: number }>;
}

export function aggregate(reports: readonly ClipReport[]): Aggregate {
  const dimensions = {} as Aggregate['dimensions'];
  for (const d of DIMENSIONS) {
    const values = reports.map((r) => r.scores[d]).filter((v): v is number => v !== null);
    dimensions[d] = {
      mean: values.length ? values.reduce((a, b) => a + b, 0) / values.length : null,
      count: values.length,
    };
  }
  const overall = reports.length ? reports.reduce((a, r) => a + r.overall, 0) / reports.length : 0;
  return { clips: reports.length, overall, dimensions };
}
