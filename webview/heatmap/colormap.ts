/**
 * Colormaps as 256-entry lookup tables (matplotlib's default N), sampled from d3-scale-chromatic, and
 * Captum's default colormap per sign. Lookup follows matplotlib: index = min(255, floor(t · 256)).
 */
import {
  interpolateBlues,
  interpolateBrBG,
  interpolateCividis,
  interpolateGreens,
  interpolateGreys,
  interpolateInferno,
  interpolateMagma,
  interpolatePiYG,
  interpolatePlasma,
  interpolatePRGn,
  interpolateRdBu,
  interpolateRdYlBu,
  interpolateRdYlGn,
  interpolateReds,
  interpolateSpectral,
  interpolateTurbo,
  interpolateViridis,
  interpolateYlOrRd,
} from 'd3-scale-chromatic';
import type { Sign } from './normalize';

export const LUT_SIZE = 256;

/** `RdWhGn` is Captum's own default for sign `all`: matplotlib's red → white → green (#ff0000, #ffffff, #008000). */
export const COLORMAPS = [
  'RdWhGn',
  'RdYlGn',
  'RdBu',
  'RdYlBu',
  'PiYG',
  'PRGn',
  'BrBG',
  'Spectral',
  'Greens',
  'Reds',
  'Blues',
  'Greys',
  'YlOrRd',
  'viridis',
  'magma',
  'inferno',
  'plasma',
  'cividis',
  'turbo',
  'gray',
] as const;
export type ColormapName = (typeof COLORMAPS)[number];
/** What the user picks: a colormap, or Captum's default for the current sign. */
export type ColormapChoice = ColormapName | 'default';

const INTERPOLATORS: Record<Exclude<ColormapName, 'RdWhGn' | 'gray'>, (t: number) => string> = {
  RdYlGn: interpolateRdYlGn,
  RdBu: interpolateRdBu,
  RdYlBu: interpolateRdYlBu,
  PiYG: interpolatePiYG,
  PRGn: interpolatePRGn,
  BrBG: interpolateBrBG,
  Spectral: interpolateSpectral,
  Greens: interpolateGreens,
  Reds: interpolateReds,
  Blues: interpolateBlues,
  Greys: interpolateGreys,
  YlOrRd: interpolateYlOrRd,
  viridis: interpolateViridis,
  magma: interpolateMagma,
  inferno: interpolateInferno,
  plasma: interpolatePlasma,
  cividis: interpolateCividis,
  turbo: interpolateTurbo,
};

/** Captum's `visualize_image_attr` defaults. */
export function defaultColormap(sign: Sign): ColormapName {
  switch (sign) {
    case 'all':
      return 'RdWhGn';
    case 'positive':
      return 'Greens';
    case 'negative':
      return 'Reds';
    case 'absolute_value':
      return 'Blues';
  }
}

export function resolveColormap(choice: ColormapChoice, sign: Sign): ColormapName {
  return choice === 'default' ? defaultColormap(sign) : choice;
}

/** Captum's value range per sign: [-1, 1] for `all`, [0, 1] otherwise. */
export function valueRange(sign: Sign): [number, number] {
  return sign === 'all' ? [-1, 1] : [0, 1];
}

/** Parses d3's `#rrggbb` and `rgb(r, g, b)` colour strings. */
export function parseColor(s: string): [number, number, number] {
  if (s.startsWith('#') && s.length === 7) return [parseInt(s.slice(1, 3), 16), parseInt(s.slice(3, 5), 16), parseInt(s.slice(5, 7), 16)];
  const m = /^rgb\(\s*(\d+(?:\.\d+)?),\s*(\d+(?:\.\d+)?),\s*(\d+(?:\.\d+)?)\s*\)$/.exec(s);
  if (!m) throw new Error(`cannot parse colour '${s}'`);
  return [Math.round(Number(m[1])), Math.round(Number(m[2])), Math.round(Number(m[3]))];
}

function linearLut(stops: readonly [number, number, number][]): Uint8Array {
  const lut = new Uint8Array(LUT_SIZE * 3);
  const segs = stops.length - 1;
  for (let i = 0; i < LUT_SIZE; i++) {
    const x = (i / (LUT_SIZE - 1)) * segs;
    const k = Math.min(Math.floor(x), segs - 1);
    const f = x - k;
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = Math.round(stops[k][c] + (stops[k + 1][c] - stops[k][c]) * f);
  }
  return lut;
}

const luts = new Map<ColormapName, Uint8Array>();

/** RGB triples, 256 of them; entry i is the colour at position i / 255. */
export function colormapLut(name: ColormapName): Uint8Array {
  let lut = luts.get(name);
  if (lut) return lut;
  if (name === 'RdWhGn') lut = linearLut([[255, 0, 0], [255, 255, 255], [0, 128, 0]]);
  else if (name === 'gray') lut = linearLut([[0, 0, 0], [255, 255, 255]]);
  else {
    const f = INTERPOLATORS[name];
    if (!f) throw new Error(`unknown colormap '${name}'`);
    lut = new Uint8Array(LUT_SIZE * 3);
    for (let i = 0; i < LUT_SIZE; i++) lut.set(parseColor(f(i / (LUT_SIZE - 1))), i * 3);
  }
  luts.set(name, lut);
  return lut;
}

/** matplotlib's lookup of a value already scaled to [0, 1] (out-of-range values take the end colours). */
export function lutIndex(t: number): number {
  if (!(t > 0)) return 0; // also NaN → the "under" end
  const i = Math.floor(t * LUT_SIZE);
  return i >= LUT_SIZE ? LUT_SIZE - 1 : i;
}

/** The colour of a normalised value `v` within `[vmin, vmax]`. */
export function colorAt(lut: Uint8Array, v: number, vmin: number, vmax: number): [number, number, number] {
  const i = lutIndex((v - vmin) / (vmax - vmin)) * 3;
  return [lut[i], lut[i + 1], lut[i + 2]];
}

export function isColormapName(s: unknown): s is ColormapName {
  return typeof s === 'string' && (COLORMAPS as readonly string[]).includes(s);
}
