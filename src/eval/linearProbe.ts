// A linear probe: ridge regression onto one-hot answers, read by argmax. What `eval captions`
// reads from pooled captions and `eval tokens` from the DiT's own tokens: if a linear map finds an
// attribute in a representation, the layers after it can use it.

/** Ridge regression onto one-hot answers, with a bias: weights (features + 1) × answers. */
export function ridge(
  features: readonly Float32Array[],
  answers: readonly number[],
  count: number,
  strength: number,
): Float64Array[] {
  const d = features[0]!.length + 1;
  // Normal equations [XᵀX + λI | XᵀY], solved by Gauss–Jordan elimination with partial pivoting.
  const rows = Array.from({ length: d }, () => new Float64Array(d + count));
  features.forEach((f, n) => {
    const x = [...f, 1];
    for (let a = 0; a < d; a++) {
      const xa = x[a]!;
      if (xa === 0) continue;
      const row = rows[a]!;
      for (let b = 0; b < d; b++) row[b]! += xa * x[b]!;
      row[d + answers[n]!]! += xa;
    }
  });
  for (let a = 0; a < d; a++) rows[a]![a]! += strength;
  for (let c = 0; c < d; c++) {
    let pivot = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(rows[r]![c]!) > Math.abs(rows[pivot]![c]!)) pivot = r;
    [rows[c], rows[pivot]] = [rows[pivot]!, rows[c]!];
    const head = rows[c]!;
    const scale = head[c]!;
    for (let k = 0; k < d + count; k++) head[k]! /= scale;
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const row = rows[r]!;
      const factor = row[c]!;
      if (factor === 0) continue;
      for (let k = 0; k < d + count; k++) row[k]! -= factor * head[k]!;
    }
  }
  return rows.map((row) => row.slice(d));
}

/** The answer with the highest score under ridge weights. */
export function predict(weights: Float64Array[], features: Float32Array): number {
  const scores = new Float64Array(weights[0]!.length);
  const x = [...features, 1];
  x.forEach((xa, a) => {
    if (xa === 0) return;
    weights[a]!.forEach((w, k) => {
      scores[k]! += xa * w;
    });
  });
  return scores.indexOf(Math.max(...scores));
}
