// The keyed spread-spectrum pattern of the invisible watermark: a smooth luma field that repeats
// every TILE pixels in x and y and is identical in every frame.
//
// The tile is a GRID x GRID array of cells of CELL pixels. Each cell holds one amplitude and the
// field between cell centres is a raised-cosine interpolation of them (smooth: no edges for a
// codec or a palette to break). Every code bit is spread over ALL cells by a keyed Walsh–Hadamard
// sequence (keyed row per bit, keyed cell order, keyed sign per cell): the 80 bits are orthogonal,
// and each bit sees the whole tile, so an object over part of the frame weakens every bit a little
// instead of wiping out a few (which the CRC could not survive). 256 cells for 80 bits leave a
// redundancy of 3.2, which is what lets the detector find the tile's position after a crop.
//
// Why cells of 4 pixels (measured on 64x64 world clips, bit errors at the known position): cells
// of 8 pixels ride through H.264 crf 30, halving and GIF almost untouched, but the world's own
// texture (waves, hatching, gradients) lives in that band and flips about a third of the bits
// before any attack; at 4 pixels the host flips under a tenth and crf 30 adds about as much.
import { keyedPermutation, keyedUint32 } from './keyedRandom.ts';
import { CODE_BITS } from './watermarkCode.ts';

export const CELL = 4;
export const GRID = 16;
export const TILE = CELL * GRID;
const CELLS = GRID * GRID;

/** Keyed spreading: for each bit its Hadamard row; for each cell its Hadamard column and sign. */
export interface ChipLayout {
  rowOfBit: Int32Array;
  columnOfCell: Int32Array;
  signOfCell: Float64Array;
}

export function chipLayout(key: string): ChipLayout {
  const rows = keyedPermutation(key, 'kinema.wm2.rows', CELLS);
  const columns = keyedPermutation(key, 'kinema.wm2.cells', CELLS);
  const nextSign = keyedUint32(key, 'kinema.wm2.signs');
  const signOfCell = new Float64Array(CELLS);
  for (let cell = 0; cell < CELLS; cell++) signOfCell[cell] = nextSign() & 1 ? 1 : -1;
  return {
    rowOfBit: Int32Array.from(rows.slice(0, CODE_BITS)),
    columnOfCell: Int32Array.from(columns),
    signOfCell,
  };
}

/** Entry (row, column) of the Sylvester–Hadamard matrix: ±1 by the parity of row AND column. */
function hadamard(row: number, column: number): number {
  let v = row & column;
  let parity = 0;
  while (v) {
    parity ^= v & 1;
    v >>>= 1;
  }
  return parity ? -1 : 1;
}

/** Spreading chip of `bit` in `cell`: ±1. */
function chip(layout: ChipLayout, bit: number, cell: number): number {
  return layout.signOfCell[cell]! * hadamard(layout.rowOfBit[bit]!, layout.columnOfCell[cell]!);
}

/** The two nearest cell centres along one axis (TILE-periodic) and the first one's weight. */
function axisWeights(p: number): { a: number; b: number; wa: number } {
  const u = (p + 0.5) / CELL - 0.5; // in cell units, cell centres at integers
  const a = Math.floor(u);
  return { a: (a + GRID) % GRID, b: (a + 1) % GRID, wa: (1 + Math.cos(Math.PI * (u - a))) / 2 };
}

/** Smooth TILE x TILE field through the per-cell amplitudes (row-major cells). */
function interpolate(amplitude: Float64Array): Float64Array {
  const tile = new Float64Array(TILE * TILE);
  for (let y = 0; y < TILE; y++) {
    const wy = axisWeights(y);
    for (let x = 0; x < TILE; x++) {
      const wx = axisWeights(x);
      const top = amplitude[wy.a * GRID + wx.a]! * wx.wa + amplitude[wy.a * GRID + wx.b]! * (1 - wx.wa);
      const bottom = amplitude[wy.b * GRID + wx.a]! * wx.wa + amplitude[wy.b * GRID + wx.b]! * (1 - wx.wa);
      tile[y * TILE + x] = top * wy.wa + bottom * (1 - wy.wa);
    }
  }
  return tile;
}

/**
 * The tile (TILE x TILE, row-major) for signed per-bit weights: ±1 per bit for a plain codeword
 * (unit RMS cells); the embedder raises the weight of bits the host works against.
 */
export function codewordTile(layout: ChipLayout, weights: readonly number[]): Float64Array {
  const amplitude = new Float64Array(CELLS);
  for (let cell = 0; cell < CELLS; cell++) {
    let sum = 0;
    for (let bit = 0; bit < CODE_BITS; bit++) sum += weights[bit]! * chip(layout, bit, cell);
    amplitude[cell] = sum / Math.sqrt(CODE_BITS);
  }
  return interpolate(amplitude);
}

/** One tile per code bit: its spreading sequence, interpolated (the matched filters). */
export function bitTiles(layout: ChipLayout): Float64Array[] {
  return Array.from({ length: CODE_BITS }, (_, bit) => {
    const amplitude = new Float64Array(CELLS);
    for (let cell = 0; cell < CELLS; cell++) amplitude[cell] = chip(layout, bit, cell);
    return interpolate(amplitude);
  });
}
