// Small scoring helpers shared by the dimensions.

/** 1 at or below `good`, 0 at or above `bad`, linear between (works for good > bad too). */
export function ramp(value: number, good: number, bad: number): number {
  const t = (value - good) / (bad - good);
  return Math.min(1, Math.max(0, 1 - t));
}

/**
 * Ranking score: is the expected candidate nearer than every alternative? `expected` and `others`
 * are distances. The relative margin (best other - expected) / (sum + 1) is 1 for an exact match,
 * about 0 for a tie and negative when an alternative fits better; 1 from a margin of 0.15, 0 from
 * -0.05 (a tie is already a failure: the clip does not show what the spec names).
 */
export function rankScore(expected: number, others: readonly number[]): number {
  if (others.length === 0) return 1;
  const best = Math.min(...others);
  const margin = (best - expected) / (best + expected + 1);
  return ramp(-margin, -0.15, 0.05);
}

export function mean(values: readonly number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;
}

/** Mean of the scores that apply (non-null); null when none does. */
export function meanScore(values: readonly (number | null)[]): number | null {
  const v = values.filter((x): x is number => x !== null && !Number.isNaN(x));
  return v.length ? mean(v) : null;
}

/** Smallest of the scores that apply (non-null); null when none does. */
export function minScore(values: readonly (number | null)[]): number | null {
  const v = values.filter((x): x is number => x !== null && !Number.isNaN(x));
  return v.length ? Math.min(...v) : null;
}
