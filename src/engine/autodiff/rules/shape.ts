/**
 * VJP rules: shape and data-movement ops. Every shape is static in the backward graph, so each gradient is a
 * fixed rearrangement of dy (Reshape/Transpose/Slice/Pad/Gather) built from index maps computed here in JS, or,
 * where a forward element is read more than once, a sum (ReduceSum for Expand/Tile, a scatter-add for
 * reflect/edge/wrap Pad).
 */
import { type VjpContext, ZERO } from '../context';
import { registerRule } from '../registry';
import { AxisMap, adjointIndexMaps, normAxis, prod, singleInput } from './common';

function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

// ---------------------------------------------------------------------------------------------------------
// Slice and Pad index semantics (exported for the forward-semantics tests).
// ---------------------------------------------------------------------------------------------------------

const INT32_MAX = 2147483647;
/** INT64_MAX read into a JS number (it rounds to 2^63). */
const INT64_MAX_AS_NUMBER = 2 ** 63;

/** Input indices one Slice axis selects, in output order, with onnxruntime's clamping (incl. the INT_MAX end). */
export function sliceIndices(dim: number, start: number, end: number, step: number): number[] {
  if (step === 0) throw new Error('Slice step 0');
  let s = start < 0 ? start + dim : start;
  s = step < 0 ? Math.min(Math.max(s, 0), dim - 1) : Math.min(Math.max(s, 0), dim);
  let e: number;
  // onnxruntime reads an INT_MAX end as "to the end of the axis" in the direction of the step.
  if (end === INT32_MAX || end >= INT64_MAX_AS_NUMBER - 1) e = step < 0 ? -1 : dim;
  else {
    e = end < 0 ? end + dim : end;
    e = step < 0 ? Math.min(Math.max(e, -1), dim) : Math.min(Math.max(e, 0), dim);
  }
  const out: number[] = [];
  if (step > 0) for (let i = s; i < e; i += step) out.push(i);
  else for (let i = s; i > e; i += step) out.push(i);
  return out;
}

export type PadMode = 'constant' | 'reflect' | 'edge' | 'wrap';

/**
 * Input index each output position of one Pad axis reads (-1: the constant). Like onnxruntime, negative pads
 * crop first and the remaining pads extend the cropped axis.
 */
export function padIndexMap(n: number, begin: number, end: number, mode: PadMode): number[] {
  const offset = Math.max(-begin, 0);
  const m = n + Math.min(begin, 0) + Math.min(end, 0);
  // onnxruntime's output length is n + begin + end even when the crops exceed the axis (all constant then).
  const len = Math.max(n + begin + end, 0);
  if (m <= 0 && mode !== 'constant') throw new Error(`${mode} padding of an empty axis`);
  if (mode === 'reflect' && m < 2 && len > m) throw new Error('reflect padding needs at least 2 elements');
  if (mode === 'reflect' && Math.max(begin, end) > m - 1) throw new Error('reflect padding larger than the axis minus one');
  // onnxruntime's wrap differs from numpy's once a pad exceeds the axis; refuse rather than guess.
  if (mode === 'wrap' && Math.max(begin, end) > m) throw new Error('wrap padding larger than the axis');
  const map: number[] = [];
  for (let o = 0; o < len; o++) {
    const j = o - Math.max(begin, 0);
    let src: number;
    if (j >= 0 && j < m) src = j;
    else if (mode === 'constant') src = -1;
    else if (mode === 'edge') src = j < 0 ? 0 : m - 1;
    else if (mode === 'wrap') src = ((j % m) + m) % m;
    else {
      const period = 2 * (m - 1);
      const r = ((j % period) + period) % period;
      src = r < m ? r : period - r;
    }
    map.push(src < 0 ? -1 : src + offset);
  }
  return map;
}

// ---------------------------------------------------------------------------------------------------------
// Rules.
// ---------------------------------------------------------------------------------------------------------

/** Element order is unchanged, so the gradient is dy reshaped to the input shape (any opset's convention). */
singleInput(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze'], {}, (c, dy) => c.op('Reshape', [dy, c.i64(c.inShape(0))]));

singleInput('Transpose', {}, (c, dy) => {
  const rank = c.inShape(0).length;
  const perm = c.attr<number[]>('perm', []);
  const p = perm.length ? perm : Array.from({ length: rank }, (_, i) => rank - 1 - i);
  return c.op('Transpose', [dy], { perm: inversePerm(p) });
});

// The input broadcasts to the output: the builder sums dy back to the input's shape.
singleInput('Expand', { since: 8, broadcasting: true }, (_c, dy) => dy);

singleInput('Tile', { since: 6 }, (c, dy) => {
  const dims = c.inShape(0);
  const reps = c.values(1);
  // y along axis k is reps[k] copies of x: viewed as [r0, d0, r1, d1, …], the copies are the even axes.
  const axes = reps.map((r, k) => (r !== 1 ? 2 * k : -1)).filter((a) => a >= 0);
  if (!axes.length) return dy;
  if (prod(reps) === 0) return ZERO;
  const split = dims.flatMap((d, k) => [reps[k], d]);
  const summed = c.op('ReduceSum', [c.op('Reshape', [dy, c.i64(split)]), c.i64(axes)], { keepdims: 0 });
  return c.op('Reshape', [summed, c.i64(dims)]);
});

registerRule('Concat', {}, (c) => {
  const dy = c.dy(0)!;
  const rank = c.outShape(0).length;
  // Concat-1 defaulted axis to 1; it is required from opset 4.
  const axis = normAxis(c, c.attr('axis', 1), rank);
  let offset = 0;
  return c.node.inputs.map((v, i) => {
    if (!v) return undefined;
    const [start, end] = [offset, offset + c.inShape(i)[axis]];
    offset = end;
    return () => c.op('Slice', [dy, c.i64([start]), c.i64([end]), c.i64([axis])]);
  });
});

/** The split sizes do not matter: the outputs tile the input along the axis in order. */
registerRule('Split', {}, (c) => [
  () => {
    const rank = c.inShape(0).length;
    const axis = normAxis(c, c.attr('axis', 0), rank);
    const parts = c.node.outputs.map((o, k) => (o ? c.dyOrZeros(k) : undefined));
    if (parts.some((p) => p === undefined)) c.fail('an unnamed Split output is not supported');
    return parts.length === 1 ? parts[0]! : c.op('Concat', parts as string[], { axis });
  },
]);

function sliceGrad(c: VjpContext, dy: string, starts: number[], ends: number[], axesIn: number[] | undefined, steps: number[] | undefined) {
  const dims = c.inShape(0);
  const rank = dims.length;
  if (ends.length !== starts.length) c.fail('starts and ends differ in length');
  const axes = (axesIn && axesIn.length ? axesIn : starts.map((_, i) => i)).map((a) => normAxis(c, a, rank));
  if (new Set(axes).size !== axes.length) c.fail('duplicate axes are not supported');
  const maps: AxisMap[] = axes.map((axis, i) => {
    const step = steps && i < steps.length ? steps[i] : 1;
    if (step === 0) c.fail('step 0 is not supported');
    return { axis, map: sliceIndices(dims[axis], starts[i], ends[i], step), inDim: dims[axis] };
  });
  const out = c.outShape(0);
  for (const m of maps)
    if (m.map.length !== out[m.axis]) c.fail(`internal: slice of axis ${m.axis} has ${m.map.length} elements, output has ${out[m.axis]}`);
  // A step-1 slice along one axis (x[..., a:b], a chunk): a placed slab, joined with its siblings.
  const active = maps.filter((m) => !(m.map.length === m.inDim && m.map.every((v, j) => v === j)));
  const [m] = active;
  if (active.length === 1 && m.map.length > 0 && m.map.every((v, j) => v === m.map[0] + j)) {
    const view: [number, number, number] = [prod(dims.slice(0, m.axis)), m.inDim, prod(dims.slice(m.axis + 1))];
    const slab = c.op('Reshape', [dy, c.i64([view[0], m.map.length, view[2]])]);
    return { slab, view, start: m.map[0], length: m.map.length };
  }
  return adjointIndexMaps(c, dy, out, maps);
}

singleInput('Slice', { until: 9 }, (c, dy) =>
  sliceGrad(c, dy, c.attr<number[]>('starts', []), c.attr<number[]>('ends', []), c.attr<number[] | undefined>('axes', undefined), undefined),
);
singleInput('Slice', { since: 10 }, (c, dy) => sliceGrad(c, dy, c.values(1), c.values(2), c.maybeValues(3), c.maybeValues(4)));

function padRule(c: VjpContext, padsIn: number[], axesIn: number[] | undefined, mode: string) {
  const dy = c.dy(0);
  if (!dy) return;
  if (!['constant', 'reflect', 'edge', 'wrap'].includes(mode)) c.fail(`attribute mode=${mode} is not supported`);
  const dims = c.inShape(0);
  const rank = dims.length;
  const axes = axesIn ? axesIn.map((a) => normAxis(c, a, rank)) : dims.map((_, i) => i);
  if (padsIn.length !== 2 * axes.length) c.fail(`pads has ${padsIn.length} values for ${axes.length} axes`);
  const maps: AxisMap[] = [];
  axes.forEach((axis, i) => {
    const [b, e] = [padsIn[i], padsIn[axes.length + i]];
    if (b === 0 && e === 0) return;
    let map: number[];
    try {
      map = padIndexMap(dims[axis], b, e, mode as PadMode);
    } catch (err) {
      return c.fail(`${(err as Error).message} (axis ${axis}) is not supported`);
    }
    maps.push({ axis, map, inDim: dims[axis] });
  });
  const out = c.outShape(0);
  // The constant value (input 2 from opset 11) receives the dy of every padded position.
  const value = () => {
    if (mode !== 'constant') return ZERO;
    const fullPads = new Array<number>(2 * rank).fill(0);
    axes.forEach((axis, i) => {
      fullPads[axis] = padsIn[i];
      fullPads[rank + axis] = padsIn[axes.length + i];
    });
    const mask = c.op('Pad', [c.zeros(dims), c.i64(fullPads), c.scalar(1)]);
    const total = c.op('ReduceSum', [c.op('Mul', [dy, mask]), c.i64(out.map((_, i) => i))], { keepdims: 0 });
    return c.op('Reshape', [total, c.i64(c.inShape(2))]);
  };
  return [() => adjointIndexMaps(c, dy, out, maps), undefined, value];
}

registerRule('Pad', { since: 2, until: 10 }, (c) => padRule(c, c.attr<number[]>('pads', []), undefined, c.attr('mode', 'constant')));
registerRule('Pad', { since: 11, until: 17 }, (c) => padRule(c, c.values(1), undefined, c.attr('mode', 'constant')));
registerRule('Pad', { since: 18 }, (c) => padRule(c, c.values(1), c.maybeValues(3), c.attr('mode', 'constant')));

/**
 * DepthToSpace/SpaceToDepth are Reshape → Transpose → Reshape; the adjoint runs the chain backwards:
 * Reshape dy to the transposed shape, apply the inverse permutation, Reshape to the input shape.
 */
function rearrangeBack(c: VjpContext, split: number[], perm: number[]) {
  const dy = c.dy(0);
  if (!dy) return;
  return [
    () => {
      const permuted = perm.map((p) => split[p]);
      const t = c.op('Transpose', [c.op('Reshape', [dy, c.i64(permuted)])], { perm: inversePerm(perm) });
      return c.op('Reshape', [t, c.i64(c.inShape(0))]);
    },
  ];
}

registerRule('DepthToSpace', {}, (c) => {
  const [n, ch, h, w] = c.inShape(0);
  if (c.inShape(0).length !== 4) c.fail('only 4-D inputs are supported');
  const b = c.attr('blocksize', 0);
  const mode = c.attr('mode', 'DCR');
  if (mode === 'DCR') return rearrangeBack(c, [n, b, b, ch / (b * b), h, w], [0, 3, 4, 1, 5, 2]);
  if (mode === 'CRD') return rearrangeBack(c, [n, ch / (b * b), b, b, h, w], [0, 1, 4, 2, 5, 3]);
  return c.fail(`attribute mode=${mode} is not supported`);
});

registerRule('SpaceToDepth', {}, (c) => {
  const [n, ch, h, w] = c.inShape(0);
  if (c.inShape(0).length !== 4) c.fail('only 4-D inputs are supported');
  const b = c.attr('blocksize', 0);
  return rearrangeBack(c, [n, ch, h / b, b, w / b, b], [0, 3, 5, 1, 2, 4]);
});

/** Crops or zero-pads each listed axis to the target length, centred with the smaller half first. */
singleInput('CenterCropPad', { since: 18 }, (c, dy) => {
  const dims = c.inShape(0);
  const target = c.values(1);
  const axes = c.attr<number[]>('axes', dims.map((_, i) => i)).map((a) => normAxis(c, a, dims.length));
  if (target.length !== axes.length) c.fail(`shape has ${target.length} values for ${axes.length} axes`);
  const maps: AxisMap[] = axes.map((axis, i) => {
    const [n, t] = [dims[axis], target[i]];
    const shift = t <= n ? Math.floor((n - t) / 2) : -Math.floor((t - n) / 2);
    const map = Array.from({ length: t }, (_, o) => (o + shift >= 0 && o + shift < n ? o + shift : -1));
    return { axis, map, inDim: n };
  });
  return adjointIndexMaps(c, dy, c.outShape(0), maps);
});
