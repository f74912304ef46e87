// The keyed spread-spectrum pattern of the invisible watermark. A 64x64-pixel tile is divided into
// 16x16 cells of 4x4 pixels; each cell is a smooth half-sine bump ("chip") assigned by a keyed
// permutation to one of the 64 code bits (4 chips per bit per tile, disjoint, so bits do not
// interfere) with a keyed random sign. The tile repeats over the frame and over time: every tile
// in every frame repeats the whole codeword (repetition code, combined softly at detection), and
// cropping only shifts the tile cyclically, which the detector searches.
//
// Why cells of 4 pixels: the bump's energy sits around 1/8 cycle/pixel, a mid band that survives
// halving the size (it becomes 1/4 cycle/pixel, still below Nyquist), H.264 quantisation and GIF
// palettes, while staying faint enough to be hard to see at an amplitude of a few grey levels.
import { keyedPermutation, keyedUint32 } from './keyedRandom.ts';
import { CODE_BITS } from './watermarkCode.ts';

export const CELL = 4;
export const GRID = 16;
export const TILE = CELL * GRID;

/** Pixel shape of one chip, TILE-periodic: sin·sin bump inside its cell, values in (0, 1]. */
function bump(x: number, y: number): number {
  return Math.sin((Math.PI * ((x % CELL) + 0.5)) / CELL) * Math.sin((Math.PI * ((y % CELL) + 0.5)) / CELL);
}

/** For each cell (row-major), which code bit it carries and with which sign. */
export interface ChipLayout {
  bitOfCell: Int32Array;
  signOfCell: Float64Array;
}

export function chipLayout(key: string): ChipLayout {
  const order = keyedPermutation(key, 'kinema.wm.cells', GRID * GRID);
  const nextSign = keyedUint32(key, 'kinema.wm.signs');
  const bitOfCell = new Int32Array(GRID * GRID);
  const signOfCell = new Float64Array(GRID * GRID);
  for (let cell = 0; cell < GRID * GRID; cell++) {
    bitOfCell[cell] = order[cell]! % CODE_BITS;
    signOfCell[cell] = nextSign() & 1 ? 1 : -1;
  }
  return { bitOfCell, signOfCell };
}

/** The tile (TILE x TILE, row-major) for a codeword given as ±1 per bit. */
export function codewordTile(layout: ChipLayout, symbols: readonly number[]): Float64Array {
  const tile = new Float64Array(TILE * TILE);
  for (let y = 0; y < TILE; y++) {
    for (let x = 0; x < TILE; x++) {
      const cell = Math.floor(y / CELL) * GRID + Math.floor(x / CELL);
      tile[y * TILE + x] = layout.signOfCell[cell]! * symbols[layout.bitOfCell[cell]!]! * bump(x, y);
    }
  }
  return tile;
}

/** One tile per code bit, holding only that bit's signed chips (the matched filters). */
export function bitTiles(layout: ChipLayout): Float64Array[] {
  const tiles = Array.from({ length: CODE_BITS }, () => new Float64Array(TILE * TILE));
  for (let y = 0; y < TILE; y++) {
    for (let x = 0; x < TILE; x++) {
      const cell = Math.floor(y / CELL) * GRID + Math.floor(x / CELL);
      tiles[layout.bitOfCell[cell]!]![y * TILE + x] = layout.signOfCell[cell]! * bump(x, y);
    }
  }
  return tiles;
}
