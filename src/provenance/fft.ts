// In-place radix-2 FFT for square power-of-two grids, used by the invisible watermark detector to
// correlate a folded tile against its keyed patterns at every cyclic shift at once.

/** A complex grid of size n x n, real and imaginary parts row-major. */
export interface ComplexGrid {
  n: number;
  re: Float64Array;
  im: Float64Array;
}

export function complexGrid(n: number, real?: ArrayLike<number>): ComplexGrid {
  const re = new Float64Array(n * n);
  if (real) re.set(real);
  return { n, re, im: new Float64Array(n * n) };
}

function fft1d(
  re: Float64Array,
  im: Float64Array,
  offset: number,
  stride: number,
  n: number,
  inverse: boolean,
) {
  // Bit-reversal permutation.
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const a = offset + i * stride;
      const b = offset + j * stride;
      [re[a], re[b]] = [re[b]!, re[a]!];
      [im[a], im[b]] = [im[b]!, im[a]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = ((inverse ? 2 : -2) * Math.PI) / len;
    const wr = Math.cos(angle);
    const wi = Math.sin(angle);
    for (let start = 0; start < n; start += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = offset + (start + k) * stride;
        const b = offset + (start + k + len / 2) * stride;
        const tr = re[b]! * cr - im[b]! * ci;
        const ti = re[b]! * ci + im[b]! * cr;
        re[b] = re[a]! - tr;
        im[b] = im[a]! - ti;
        re[a] = re[a]! + tr;
        im[a] = im[a]! + ti;
        const nr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = nr;
      }
    }
  }
}

/** 2-D FFT in place; the inverse is scaled by 1/n² so that ifft(fft(x)) = x. */
export function fft2d(grid: ComplexGrid, inverse = false): ComplexGrid {
  const { n, re, im } = grid;
  if (n < 1 || (n & (n - 1)) !== 0) throw new RangeError(`FFT size must be a power of two, got ${n}`);
  for (let row = 0; row < n; row++) fft1d(re, im, row * n, 1, n, inverse);
  for (let col = 0; col < n; col++) fft1d(re, im, col, n, n, inverse);
  if (inverse) {
    const scale = 1 / (n * n);
    for (let i = 0; i < n * n; i++) {
      re[i] = re[i]! * scale;
      im[i] = im[i]! * scale;
    }
  }
  return grid;
}
