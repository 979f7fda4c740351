/**
 * A segmentation output's class map (the winning class at every position) and the "class c where it wins" target:
 * s_i = Σ over the positions where argmax == c of out[i, c, position] — the sum Captum's segmentation tutorial
 * attributes, as a mask target (one mask per example: each example's own winning pixels).
 * Pure: the engine computes class maps, the inspector builds masks from them, the tests check both.
 */

/** Where the class axis is: `[N, C, …spatial]` or `[N, …spatial, C]`. */
export type ClassLayout = 'channels-first' | 'channels-last';

export interface ClassMap {
  /** `[N, …spatial]`. */
  dims: number[];
  /** The winning class at each position (ties: the lowest class index, as argmax does). */
  data: Uint8Array | Uint16Array | Int32Array;
  /** Number of classes (the output's class axis). */
  classes: number;
  /** pixels[i][c]: positions of example i where class c wins. */
  pixels: number[][];
}

export interface WinsMask {
  /** The output's own shape (a mask per example). */
  dims: number[];
  /** 1 at (i, c, position) where class c wins position of example i, 0 elsewhere. */
  data: Uint8Array;
  /** Positions selected per example. */
  pixels: number[];
}

function geometry(dims: readonly number[], layout: ClassLayout): { n: number; classes: number; positions: number; spatial: number[] } {
  if (dims.length < 3) throw new Error(`a class map needs an output of rank 3 or more ([N, C, …positions]); got [${dims.join(', ')}]`);
  const classes = layout === 'channels-first' ? dims[1] : dims[dims.length - 1];
  const spatial = layout === 'channels-first' ? dims.slice(2) : dims.slice(1, -1);
  return { n: dims[0], classes, positions: spatial.reduce((a, b) => a * b, 1), spatial };
}

/** Argmax over the class axis at every position of every example. */
export function classMapOf(data: ArrayLike<number>, dims: readonly number[], layout: ClassLayout = 'channels-first'): ClassMap {
  const { n, classes, positions, spatial } = geometry(dims, layout);
  const out = classes <= 256 ? new Uint8Array(n * positions) : classes <= 65536 ? new Uint16Array(n * positions) : new Int32Array(n * positions);
  const pixels = Array.from({ length: n }, () => new Array<number>(classes).fill(0));
  // Element (i, c, p) sits at i·C·P + c·P + p (channels first) or i·P·C + p·C + c (channels last).
  const [cStride, pStride] = layout === 'channels-first' ? [positions, 1] : [1, classes];
  for (let i = 0; i < n; i++) {
    const base = i * classes * positions;
    for (let p = 0; p < positions; p++) {
      let best = 0;
      let bestValue = data[base + p * pStride];
      for (let c = 1; c < classes; c++) {
        const v = data[base + c * cStride + p * pStride];
        // NaN never wins; a tie keeps the lower class.
        if (v > bestValue || (bestValue !== bestValue && v === v)) {
          best = c;
          bestValue = v;
        }
      }
      out[i * positions + p] = best;
      pixels[i][best]++;
    }
  }
  return { dims: [n, ...spatial], data: out, classes, pixels };
}

/**
 * The mask for "class `cls` where it wins", shaped like the output: 1 at (i, cls, p) for every position p where
 * `map` says class `cls` wins in example i.
 */
export function winsMask(map: Pick<ClassMap, 'dims' | 'data' | 'classes'>, cls: number, layout: ClassLayout = 'channels-first'): WinsMask {
  const { classes } = map;
  if (!Number.isInteger(cls) || cls < 0 || cls >= classes) throw new Error(`class ${cls} is out of range (the output has ${classes} classes)`);
  const n = map.dims[0];
  const spatial = map.dims.slice(1);
  const positions = spatial.reduce((a, b) => a * b, 1);
  const data = new Uint8Array(n * classes * positions);
  const pixels = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < positions; p++) {
      if (map.data[i * positions + p] !== cls) continue;
      data[layout === 'channels-first' ? (i * classes + cls) * positions + p : (i * positions + p) * classes + cls] = 1;
      pixels[i]++;
    }
  }
  return { dims: layout === 'channels-first' ? [n, classes, ...spatial] : [n, ...spatial, classes], data, pixels };
}
