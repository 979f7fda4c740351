/** VJP rules: MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool. */
import type { VjpContext } from '../context';
import { SpatialWindow, intsAttr, prod, resolveReadPads, singleInput, windowAdjoint } from './common';

/** Scatter-adds `values` at flat offsets `indices` into a zero tensor shaped `shape` (overlapping windows add up). */
function scatterAddFlat(c: VjpContext, indices: string, values: string, shape: number[]): string {
  const flatIndices = c.op('Reshape', [indices, c.i64([-1])]);
  const flatValues = c.op('Reshape', [values, c.i64([-1])]);
  const flat = c.op('ScatterElements', [c.zeros([prod(shape)]), flatIndices, flatValues], { axis: 0, reduction: 'add' });
  return c.op('Reshape', [flat, c.i64(shape)]);
}

singleInput('MaxPool', {}, (c, dy) => {
  // Recompute the pooling with its Indices output (row-major offsets into the whole N·C·spatial input) and
  // route each output's gradient to its arg-max; copying the window attributes keeps the windows identical.
  const attrs: Record<string, number | number[] | string> = { storage_order: 0 };
  for (const name of ['auto_pad', 'kernel_shape', 'strides', 'pads', 'ceil_mode', 'dilations']) {
    if (c.hasAttr(name)) attrs[name] = c.attr<number | number[] | string>(name, 0);
  }
  const [, indices] = c.e.op('MaxPool', [c.x(0)], attrs, 2);
  return scatterAddFlat(c, indices, dy, c.inShape(0));
});

singleInput('AveragePool', {}, (c, dy) => {
  const xShape = c.inShape(0);
  const inSp = xShape.slice(2);
  const outSp = c.outShape(0).slice(2);
  const r = inSp.length;
  const kernel = c.attr<number[]>('kernel_shape', []);
  if (kernel.length !== r) c.fail(`attribute kernel_shape=[${kernel}] does not have ${r} values`);
  const strides = intsAttr(c, 'strides', r, 1);
  const dilations = intsAttr(c, 'dilations', r, 1);
  const includePad = c.attr<number>('count_include_pad', 0) !== 0;
  // onnxruntime computes SAME pooling pads with the undilated kernel.
  const pads = resolveReadPads(c, inSp, strides, kernel);
  if ([...pads.begin, ...pads.end].some((p) => p < 0)) c.fail(`negative padding [${pads.begin},${pads.end}] is not supported`);
  // The static output size must be the floor or ceil_mode count of windows over the resolved padding.
  inSp.forEach((n, i) => {
    const span = (n + pads.begin[i] + pads.end[i] - (kernel[i] - 1) * dilations[i] - 1) / strides[i];
    if (outSp[i] < Math.floor(span) + 1 || outSp[i] > Math.ceil(span) + 1)
      c.fail(`could not resolve the padding (output size ${outSp[i]} on spatial axis ${i})`);
  });
  // 1/divisor per output position, from the static shapes. Divisor: the taps inside the input
  // (count_include_pad=0), or the taps inside the padded input [−p_begin, in + p_end) (count_include_pad=1; a
  // ceil_mode window running past the end pad counts only its taps inside). This matches onnxruntime 1.30.
  const perAxis = inSp.map((n, i) =>
    Array.from({ length: outSp[i] }, (_, o) => {
      let inside = 0;
      let padded = 0;
      for (let k = 0; k < kernel[i]; k++) {
        const p = o * strides[i] - pads.begin[i] + k * dilations[i];
        if (p >= 0 && p < n) inside++;
        if (p < n + pads.end[i]) padded++;
      }
      return { inside, padded };
    }),
  );
  const scale = new Array<number>(prod(outSp));
  const idx = new Array<number>(r).fill(0);
  for (let f = 0; f < scale.length; f++) {
    let rem = f;
    for (let i = r - 1; i >= 0; i--) {
      idx[i] = rem % outSp[i];
      rem = Math.floor(rem / outSp[i]);
    }
    let inside = 1;
    let padded = 1;
    for (let i = 0; i < r; i++) {
      inside *= perAxis[i][idx[i]].inside;
      padded *= perAxis[i][idx[i]].padded;
    }
    // A window with no input tap outputs 0 and passes no gradient.
    scale[f] = inside === 0 ? 0 : 1 / (includePad ? padded : inside);
  }
  const g = c.op('Mul', [dy, c.constant(outSp, scale)]);
  // The adjoint of the window sum: a depthwise ConvTranspose with an all-ones kernel.
  const channels = xShape[1];
  const ones = c.constant([channels, 1, ...kernel], new Array<number>(channels * prod(kernel)).fill(1));
  const win: SpatialWindow = { kernel, strides, dilations, padBegin: pads.begin };
  return windowAdjoint(c, g, ones, inSp, outSp, win, channels);
});

singleInput('GlobalAveragePool', {}, (c, dy) => {
  const xShape = c.inShape(0);
  const g = c.op('Mul', [dy, c.scalar(1 / prod(xShape.slice(2)))]);
  return c.op('Expand', [g, c.i64(xShape)]);
});

singleInput('GlobalMaxPool', {}, (c, dy) => {
  const xShape = c.inShape(0);
  const [n, ch] = xShape;
  const size = prod(xShape.slice(2));
  // The first arg-max per (n, c), like MaxPool's Indices.
  const flat = c.op('Reshape', [c.x(0), c.i64([n, ch, size])]);
  const arg = c.op('ArgMax', [flat], { axis: 2, keepdims: 1 });
  const g = c.op('ScatterElements', [c.zeros([n, ch, size]), arg, c.op('Reshape', [dy, c.i64([n, ch, 1])])], { axis: 2 });
  return c.op('Reshape', [g, c.i64(xShape)]);
});
