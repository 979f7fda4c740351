/**
 * `HeatmapOverlay`: Captum's `visualize_image_attr` for one map and one image, as RGBA pixels.
 *   heat_map          colormap(norm) alone
 *   blended_heat_map  grey image (mean of RGB, autoscaled like matplotlib's imshow), colormap(norm) on top at alpha_overlay
 *   masked_image      image · norm (not for sign `all`)
 *   alpha_scaling     image with alpha = norm · 255 (not for sign `all`)
 * The map is upsampled to the image size first (as `LayerAttribution.interpolate` does before visualising),
 * or, at native resolution, normalised on the layer's own grid and drawn as blocks. Upsampled maps and sorted
 * masses are cached, so changing sign, method, colormap, opacity or clipping only re-runs the pixel loop.
 */
import { type ColormapChoice, type ColormapName, colormapLut, LUT_SIZE, resolveColormap, valueRange } from './colormap';
import { MassIndex, normalizeWithThreshold, type Sign } from './normalize';
import { nearestIndices, resize, type Upsampling } from './resample';
import type { AttributionMap } from './tensorMap';

export type Method = 'heat_map' | 'blended_heat_map' | 'masked_image' | 'alpha_scaling';
export const METHODS: readonly Method[] = ['blended_heat_map', 'heat_map', 'masked_image', 'alpha_scaling'];

export interface DisplayOptions {
  method: Method;
  sign: Sign;
  colormap: ColormapChoice;
  /** Captum's alpha_overlay, for `blended_heat_map`. */
  opacity: number;
  /** Captum's outlier_perc: the share of attribution mass clipped at the top. */
  outlierPerc: number;
  upsampling: Upsampling;
  /** Normalise and draw on the layer's own grid instead of the upsampled one. */
  nativeResolution: boolean;
}

export const DEFAULT_DISPLAY: Readonly<DisplayOptions> = Object.freeze({
  method: 'blended_heat_map',
  sign: 'all',
  colormap: 'default',
  opacity: 0.5,
  outlierPerc: 2,
  upsampling: 'bilinear',
  nativeResolution: false,
});

export interface RgbaImage {
  width: number;
  height: number;
  rgba: Uint8Array | Uint8ClampedArray;
}

export interface OverlayFrame {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
  /** Captum's threshold in attribution units (negative for sign `negative`; 0: no mass of that sign). */
  threshold: number;
  colormap: ColormapName;
  vmin: number;
  vmax: number;
  /** The normalised values on the grid that was normalised (`gridWidth × gridHeight`). */
  normalized: Float32Array;
  gridWidth: number;
  gridHeight: number;
  /** The method actually drawn (heat_map when there is no image to draw on). */
  method: Method;
  /** Why nothing could be drawn (Captum refuses some combinations). */
  error?: string;
}

interface Grid {
  width: number;
  height: number;
  values: Float64Array;
  mass: MassIndex;
}

export class HeatmapOverlay {
  readonly width: number;
  readonly height: number;
  private readonly grids = new Map<string, Grid>();
  private grey?: Uint8Array;
  private normBuf?: Float32Array;

  constructor(
    readonly map: AttributionMap,
    readonly image?: RgbaImage,
  ) {
    if (map.values.length !== map.width * map.height) throw new RangeError('map size does not match its values');
    if (image && image.rgba.length !== image.width * image.height * 4) throw new RangeError('image size does not match its pixels');
    const onImage = image && map.spatial;
    this.width = onImage ? image.width : map.width;
    this.height = onImage ? image.height : map.height;
  }

  /**
   * Draws into `out` (reused when the size fits). `scale` replaces Captum's clipping threshold: full colour at
   * that value (its sign as the threshold's: negative for sign `negative`), as the channel tiles use it.
   */
  render(opts: DisplayOptions, out?: Uint8ClampedArray, scale?: number): OverlayFrame {
    const image = this.image && this.map.spatial ? this.image : undefined;
    const method: Method = image ? opts.method : 'heat_map';
    const grid = this.grid(opts);
    const threshold = scale ?? grid.mass.threshold(opts.sign, opts.outlierPerc);
    const n = grid.width * grid.height;
    if (!this.normBuf || this.normBuf.length !== n) this.normBuf = new Float32Array(n);
    const normalized = normalizeWithThreshold(grid.values, opts.sign, threshold, this.normBuf);
    const colormap = resolveColormap(opts.colormap, opts.sign);
    const [vmin, vmax] = valueRange(opts.sign);
    const size = this.width * this.height * 4;
    const rgba = out && out.length === size ? out : new Uint8ClampedArray(size);
    const frame: OverlayFrame = { width: this.width, height: this.height, rgba, threshold, colormap, vmin, vmax, normalized, gridWidth: grid.width, gridHeight: grid.height, method };
    if (opts.sign === 'all' && (method === 'masked_image' || method === 'alpha_scaling')) {
      rgba.fill(0);
      frame.error = `${method === 'masked_image' ? 'Masked image' : 'Alpha scaling'} needs one sign: choose positive, negative or absolute value.`;
      return frame;
    }
    // Which grid cell each output pixel shows (identity unless drawing a native grid as blocks).
    const cellOf = grid.width === this.width && grid.height === this.height ? undefined : this.cellIndex(grid);
    compose(method, normalized, cellOf, colormapLut(colormap), vmin, vmax, opts.opacity, image, image && method === 'blended_heat_map' ? this.greyImage(image) : undefined, rgba);
    return frame;
  }

  /** The largest magnitude of this sign on the grid these options draw (negative for `negative`). */
  maxValue(opts: DisplayOptions): number {
    return this.grid(opts).mass.max(opts.sign);
  }

  /** The raw (channel-summed, upsampled or native) attribution drawn at output pixel (x, y). */
  valueAt(x: number, y: number, opts: DisplayOptions): number | undefined {
    if (!(x >= 0 && y >= 0 && x < this.width && y < this.height)) return undefined;
    const grid = this.grid(opts);
    const gx = grid.width === this.width ? Math.floor(x) : Math.min(Math.floor((Math.floor(x) * grid.width) / this.width), grid.width - 1);
    const gy = grid.height === this.height ? Math.floor(y) : Math.min(Math.floor((Math.floor(y) * grid.height) / this.height), grid.height - 1);
    return grid.values[gy * grid.width + gx];
  }

  private grid(opts: DisplayOptions): Grid {
    const native = opts.nativeResolution || !this.image || !this.map.spatial;
    const key = native ? 'native' : opts.upsampling;
    let g = this.grids.get(key);
    if (!g) {
      const values = native ? this.map.values : resize(opts.upsampling, this.map.values, this.map.width, this.map.height, this.width, this.height);
      const width = native ? this.map.width : this.width;
      const height = native ? this.map.height : this.height;
      g = { width, height, values, mass: new MassIndex(values) };
      this.grids.set(key, g);
    }
    return g;
  }

  private cellIndexCache?: { key: string; idx: Int32Array };
  private cellIndex(grid: Grid): Int32Array {
    const key = `${grid.width}x${grid.height}`;
    if (this.cellIndexCache?.key === key) return this.cellIndexCache.idx;
    const xs = nearestIndices(grid.width, this.width);
    const ys = nearestIndices(grid.height, this.height);
    const idx = new Int32Array(this.width * this.height);
    for (let y = 0; y < this.height; y++) for (let x = 0; x < this.width; x++) idx[y * this.width + x] = ys[y] * grid.width + xs[x];
    this.cellIndexCache = { key, idx };
    return idx;
  }

  private greyImage(image: RgbaImage): Uint8Array {
    if (!this.grey) this.grey = greyBackground(image);
    return this.grey;
  }
}

/** matplotlib's `imshow(mean(image, axis=2), cmap='gray')`: the mean autoscaled to its own min..max. */
export function greyBackground(image: RgbaImage): Uint8Array {
  const n = image.width * image.height;
  const mean = new Float64Array(n);
  let lo = Infinity;
  let hi = -Infinity;
  const p = image.rgba;
  for (let i = 0; i < n; i++) {
    const m = (p[i * 4] + p[i * 4 + 1] + p[i * 4 + 2]) / 3;
    mean[i] = m;
    if (m < lo) lo = m;
    if (m > hi) hi = m;
  }
  const grey = colormapLut('gray');
  const out = new Uint8Array(n);
  const span = hi - lo;
  for (let i = 0; i < n; i++) {
    const t = span > 0 ? (mean[i] - lo) / span : 0;
    const k = t >= 1 ? LUT_SIZE - 1 : Math.floor(t * LUT_SIZE);
    out[i] = grey[k * 3];
  }
  return out;
}

function compose(
  method: Method,
  norm: Float32Array,
  cellOf: Int32Array | undefined,
  lut: Uint8Array,
  vmin: number,
  vmax: number,
  opacity: number,
  image: RgbaImage | undefined,
  grey: Uint8Array | undefined,
  out: Uint8ClampedArray,
): void {
  const n = out.length >> 2;
  const scale = LUT_SIZE / (vmax - vmin);
  const img = image?.rgba;
  const a = Math.min(1, Math.max(0, opacity));
  for (let i = 0; i < n; i++) {
    const v = norm[cellOf ? cellOf[i] : i];
    const o = i * 4;
    if (method === 'heat_map' || method === 'blended_heat_map') {
      let k = Math.floor((v - vmin) * scale);
      k = k < 0 || k !== k ? 0 : k >= LUT_SIZE ? LUT_SIZE - 1 : k;
      const r = lut[k * 3];
      const g = lut[k * 3 + 1];
      const b = lut[k * 3 + 2];
      if (grey) {
        const bg = (1 - a) * grey[i];
        out[o] = a * r + bg;
        out[o + 1] = a * g + bg;
        out[o + 2] = a * b + bg;
      } else {
        out[o] = r;
        out[o + 1] = g;
        out[o + 2] = b;
      }
      out[o + 3] = 255;
    } else if (method === 'masked_image') {
      // Captum's _prepare_image: astype(int) truncates, then clip to 0..255.
      out[o] = Math.trunc(img![o] * v);
      out[o + 1] = Math.trunc(img![o + 1] * v);
      out[o + 2] = Math.trunc(img![o + 2] * v);
      out[o + 3] = 255;
    } else {
      out[o] = img![o];
      out[o + 1] = img![o + 1];
      out[o + 2] = img![o + 2];
      out[o + 3] = Math.trunc(v * 255);
    }
  }
}
