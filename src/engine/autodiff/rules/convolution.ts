/**
 * VJP rules: Conv and ConvTranspose. Each one's input gradient is the other with the same weight; padding
 * (auto_pad, output_shape) is resolved to explicit numbers from the static shapes, the way onnxruntime does.
 */
import type { VjpContext } from '../context';
import { registerRule } from '../registry';
import { SpatialWindow, intsAttr, prod, range, resolveReadPads, windowAdjoint } from './common';

/**
 * Weight gradient of a window read y = conv(x, W): dW[m, c, k] = Σ_{n,o} dy[n, m, o] · xpad[n, c, o·s + k·d],
 * itself a Conv of x (batch and channel axes swapped, groups kept apart) with dy as the kernel, strides and
 * dilations exchanged. x: [N, Cin, inSp], dy: [N, Cout, outSp]; returns [Cout, Cin/group, kernel].
 */
function weightGradient(
  c: VjpContext,
  x: string,
  dy: string,
  xShape: number[],
  dyShape: number[],
  win: SpatialWindow,
  group: number,
): string {
  const r = xShape.length - 2;
  const [n, cin] = xShape;
  const inSp = xShape.slice(2);
  const outSp = dyShape.slice(2);
  const sp = range(3, 3 + r);
  // x → [Cin/G, G·N, inSp]: each group's batch becomes its input channels.
  const xg = c.op('Reshape', [x, c.i64([n, group, cin / group, ...inSp])]);
  const xt = c.op('Transpose', [xg], { perm: [2, 1, 0, ...sp] });
  const xr = c.op('Reshape', [xt, c.i64([cin / group, group * n, ...inSp])]);
  // dy → [Cout, N, outSp] (group-major, as Conv orders output channels).
  const dyt = c.op('Transpose', [dy], { perm: [1, 0, ...range(2, 2 + r)] });
  const endPads: number[] = [];
  const kOut: number[] = [];
  inSp.forEach((len, i) => {
    const reach = (outSp[i] - 1) * win.strides[i] + (win.kernel[i] - 1) * win.dilations[i] + 1 - win.padBegin[i];
    const pe = Math.max(0, reach - len);
    endPads.push(pe);
    kOut.push(Math.floor((len + win.padBegin[i] + pe - ((outSp[i] - 1) * win.strides[i] + 1)) / win.dilations[i]) + 1);
  });
  const conv = c.op('Conv', [xr, dyt], {
    kernel_shape: outSp,
    strides: win.dilations,
    dilations: win.strides,
    pads: [...win.padBegin, ...endPads],
    group,
  });
  // [Cin/G, Cout, k'] → [Cout, Cin/G, k'], cropped to the kernel.
  let gw = c.op('Transpose', [conv], { perm: [1, 0, ...range(2, 2 + r)] });
  if (kOut.some((k, i) => k !== win.kernel[i])) {
    gw = c.op('Slice', [gw, c.i64(new Array<number>(r).fill(0)), c.i64(win.kernel), c.i64(range(2, 2 + r))]);
  }
  return gw;
}

/** Sum over every axis but the channel axis (bias gradient). */
function biasGradient(c: VjpContext, dy: string, rank: number): string {
  return c.op('ReduceSum', [dy, c.i64([0, ...range(2, rank)])], { keepdims: 0 });
}

/**
 * For stride 1 the input gradient is itself a Conv: dy convolved with the weight flipped in space and transposed
 * per group, padded by d·(k−1) − p. onnxruntime runs Conv much faster than ConvTranspose (layout transforms and
 * fusions apply), so this path is taken whenever the weight is a constant in the file; otherwise undefined.
 */
function flippedConvAdjoint(c: VjpContext, dy: string, inSp: number[], outSp: number[], win: SpatialWindow, group: number): string | undefined {
  if (win.strides.some((s) => s !== 1)) return undefined;
  const padB = win.kernel.map((k, i) => (k - 1) * win.dilations[i] - win.padBegin[i]);
  // Stride 1: out = in + pb + pe − d(k−1), so the adjoint's end pad d(k−1) − pe is in − out + pb.
  const padE = inSp.map((n, i) => n - outSp[i] + win.padBegin[i]);
  if ([...padB, ...padE].some((p) => p < 0)) return undefined;
  const wShape = c.inShape(1);
  const [cout, cinG, ...k] = wShape;
  const coutG = cout / group;
  const kSize = prod(k);
  const attrs = { kernel_shape: k, strides: win.strides, dilations: win.dilations, pads: [...padB, ...padE], group };
  // Flipped (for a 1×1 kernel: transposed) once in JS and kept: on the CPU the weights are session inputs
  // (sessionModel.ts), so a Transpose in the graph would run on every backward pass instead of being folded.
  let w: Float32Array;
  try {
    w = c.floatValues(1);
  } catch {
    return undefined; // computed or external weight: ConvTranspose reads it as it is
  }
  const wt = c.constant([cinG * group, coutG, ...k], flippedWeight(w, group, coutG, cinG, kSize));
  return c.op('Conv', [dy, wt], attrs);
}

/**
 * Flipped weights, kept per weight (a view into the model's bytes) for as long as the model lives: every layer
 * compiled below a Conv needs the same flipped copy, and computing it is most of a compile's JS time otherwise.
 */
const FLIPPED = new WeakMap<ArrayBuffer, Map<string, Float32Array>>();

function flippedWeight(w: Float32Array, group: number, coutG: number, cinG: number, kSize: number): Float32Array {
  let byBuffer = FLIPPED.get(w.buffer as ArrayBuffer);
  if (!byBuffer) FLIPPED.set(w.buffer as ArrayBuffer, (byBuffer = new Map()));
  const key = `${w.byteOffset}|${w.length}|${group}|${coutG}|${cinG}|${kSize}`;
  const hit = byBuffer.get(key);
  if (hit) return hit;
  const flipped = new Float32Array(w.length);
  if (kSize === 1) transposeGroups(w, flipped, group, coutG, cinG);
  // W'[g·CinG + ci, co, κ] = W[g·CoutG + co, ci, K−1−κ]  (flipping every spatial axis reverses the flat index).
  else for (let g = 0; g < group; g++)
    for (let co = 0; co < coutG; co++)
      for (let ci = 0; ci < cinG; ci++) {
        const src = ((g * coutG + co) * cinG + ci) * kSize;
        const dst = ((g * cinG + ci) * coutG + co) * kSize;
        for (let q = 0; q < kSize; q++) flipped[dst + q] = w[src + kSize - 1 - q];
      }
  byBuffer.set(key, flipped);
  return flipped;
}

/** 1×1 kernels: per group a [CoutG, CinG] → [CinG, CoutG] transpose, in tiles that stay in cache (1.5× faster than the element loop on a 2048×512 weight). */
function transposeGroups(w: Float32Array, out: Float32Array, group: number, rows: number, cols: number): void {
  const T = 32;
  for (let g = 0; g < group; g++) {
    const base = g * rows * cols;
    for (let r0 = 0; r0 < rows; r0 += T)
      for (let c0 = 0; c0 < cols; c0 += T) {
        const r1 = Math.min(rows, r0 + T);
        const c1 = Math.min(cols, c0 + T);
        for (let r = r0; r < r1; r++) {
          const src = base + r * cols;
          for (let c = c0; c < c1; c++) out[base + c * rows + r] = w[src + c];
        }
      }
  }
}

/** Shapes and window attributes Conv and ConvTranspose read the same way. */
function geometry(c: VjpContext) {
  const xShape = c.inShape(0);
  const yShape = c.outShape(0);
  const r = xShape.length - 2;
  return {
    xShape,
    yShape,
    r,
    inSp: xShape.slice(2),
    outSp: yShape.slice(2),
    kernel: c.inShape(1).slice(2),
    strides: intsAttr(c, 'strides', r, 1),
    dilations: intsAttr(c, 'dilations', r, 1),
  };
}

function checkNonNegative(c: VjpContext, pads: number[]): void {
  if (pads.some((p) => p < 0)) c.fail(`negative padding [${pads}] is not supported`);
}

registerRule('Conv', {}, (c) => {
  const dy = c.dy(0);
  if (!dy) return;
  const { xShape, yShape, inSp, outSp, kernel, strides, dilations } = geometry(c);
  const group = c.attr<number>('group', 1);
  const dilated = kernel.map((k, i) => (k - 1) * dilations[i] + 1);
  const pads = resolveReadPads(c, inSp, strides, dilated);
  checkNonNegative(c, pads.begin);
  // The end pad only matters through the output size, which is static: check the resolution agrees with it.
  inSp.forEach((n, i) => {
    const expect = Math.floor((n + pads.begin[i] + pads.end[i] - dilated[i]) / strides[i]) + 1;
    if (expect !== outSp[i])
      c.fail(`could not resolve the padding (output size ${outSp[i]}, expected ${expect} on spatial axis ${i})`);
  });
  const win: SpatialWindow = { kernel, strides, dilations, padBegin: pads.begin };
  return [
    () => flippedConvAdjoint(c, dy, inSp, outSp, win, group) ?? windowAdjoint(c, dy, c.x(1), inSp, outSp, win, group),
    () => weightGradient(c, c.x(0), dy, xShape, yShape, win, group),
    () => biasGradient(c, dy, yShape.length),
  ];
});

/**
 * The ONNX spec's split of a ConvTranspose total padding, which onnxruntime 1.30 follows (its older releases
 * did the opposite): the odd unit goes to the end for SAME_UPPER, to the beginning otherwise.
 */
function transposeHead(autoPad: string, total: number): number {
  return autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : total - Math.floor(total / 2);
}

registerRule('ConvTranspose', {}, (c) => {
  const dy = c.dy(0);
  if (!dy) return;
  const { xShape, yShape, r, inSp, outSp, kernel, strides, dilations } = geometry(c);
  const outputPadding = intsAttr(c, 'output_padding', r, 0);
  const group = c.attr<number>('group', 1);
  const autoPad = c.attr<string>('auto_pad', 'NOTSET') || 'NOTSET';
  const outputShape = c.attr<number[]>('output_shape', []);
  const full = inSp.map((n, i) => (n - 1) * strides[i] + outputPadding[i] + (kernel[i] - 1) * dilations[i] + 1);
  let padBegin: number[];
  if (outputShape.length) {
    const target = outputShape.length === r ? outputShape : outputShape.slice(2);
    padBegin = full.map((f, i) => transposeHead(autoPad, Math.max(0, f - target[i])));
  } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    padBegin = full.map((f, i) => transposeHead(autoPad, Math.max(0, f - inSp[i] * strides[i])));
  } else if (autoPad === 'NOTSET' || autoPad === 'VALID') {
    padBegin = autoPad === 'VALID' ? new Array<number>(r).fill(0) : intsAttr(c, 'pads', 2 * r, 0).slice(0, r);
  } else {
    return c.fail(`attribute auto_pad=${autoPad} is not supported`);
  }
  checkNonNegative(c, padBegin);
  // y[o] gathers x[i] through tap k where o = i·s + k·d − p_begin: dx is the Conv reading dy at those positions.
  const win: SpatialWindow = { kernel, strides, dilations, padBegin };
  const input = () => {
    const dilated = kernel.map((k, i) => (k - 1) * dilations[i] + 1);
    const endPads = inSp.map((n, i) => Math.max(0, (n - 1) * strides[i] + dilated[i] - padBegin[i] - outSp[i]));
    const pads = [...padBegin, ...endPads];
    // Exactly the input size while output_padding < stride (which onnxruntime enforces on the forward node).
    const convOut = outSp.map((o, i) => Math.floor((o + padBegin[i] + endPads[i] - dilated[i]) / strides[i]) + 1);
    if (convOut.some((n, i) => n !== inSp[i])) c.fail(`output_padding=[${outputPadding}] is not supported`);
    return c.op('Conv', [dy, c.x(1)], { kernel_shape: kernel, strides, dilations, pads, group });
  };
  return [
    input,
    // Seen from y's side, the weight [C, M/G, k] is that of a Conv reading dy and producing x.
    () => weightGradient(c, dy, c.x(0), yShape, xShape, win, group),
    () => biasGradient(c, dy, yShape.length),
  ];
});
