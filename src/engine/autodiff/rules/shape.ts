/**
 * VJP rules: shape and data-movement ops. Every shape is static in the backward graph, so each gradient is a
 * fixed rearrangement of dy (Reshape/Transpose/Slice/Pad/Gather) built from index maps computed here in JS, or,
 * where a forward element is read more than once, a sum (ReduceSum for Expand/Tile, a scatter-add for
 * reflect/edge/wrap Pad).
 */
import type { VjpContext } from '../context';
import { ElemType } from '../../onnx/proto';
import { registerRule, registerRules } from '../registry';

export const prod = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** Resolves a possibly negative axis, failing clearly when it is out of range. */
export function normAxis(c: VjpContext, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) c.fail(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

// ---------------------------------------------------------------------------------------------------------
// Index-map adjoints: the forward reads, along one axis, input index map[o] into output position o (or
// nothing when map[o] is -1); the adjoint sums dy[o] into dx[map[o]].
// ---------------------------------------------------------------------------------------------------------

export interface AxisMap {
  axis: number;
  /** map[o] = input index read by output position o, or -1 when o reads no input (a constant fill). */
  map: number[];
  /** The input's length along the axis. */
  inDim: number;
}

interface Contiguous {
  /** Output positions [o0, o1) read input positions [a, a + o1 - o0), in order; the rest read nothing. */
  o0: number;
  o1: number;
  a: number;
}

function contiguous(m: AxisMap): Contiguous | undefined {
  const o0 = m.map.findIndex((v) => v >= 0);
  if (o0 < 0) return undefined;
  let o1 = o0;
  while (o1 < m.map.length && m.map[o1] === m.map[o0] + (o1 - o0)) o1++;
  for (let o = o1; o < m.map.length; o++) if (m.map[o] >= 0) return undefined;
  return { o0, o1, a: m.map[o0] };
}

/**
 * Applies the transposed index maps to `g` (of shape `shape`, whose dim along each map's axis is map.length)
 * and returns a tensor whose dims along those axes are the maps' inDim. Exact: only copies and additions.
 */
export function adjointIndexMaps(c: VjpContext, g: string, shape: readonly number[], maps: AxisMap[]): string {
  const cur = [...shape];
  const outShape = [...shape];
  for (const m of maps) outShape[m.axis] = m.inDim;
  const trivial = (m: AxisMap) => m.map.length === m.inDim && m.map.every((v, i) => v === i);
  const active = maps.filter((m) => !trivial(m));
  if (!active.length) return g;
  // No element reaches the output: the gradient is zero.
  if (prod(shape) === 0 || active.some((m) => m.map.every((v) => v < 0))) return c.zeros(outShape);

  // Contiguous, ordered maps (Slice with step 1, constant Pad, cropping) become one Slice and one Pad.
  const rank = shape.length;
  const starts: number[] = [];
  const ends: number[] = [];
  const axes: number[] = [];
  const pads = new Array<number>(2 * rank).fill(0);
  const rest: AxisMap[] = [];
  for (const m of active) {
    const run = contiguous(m);
    if (!run) {
      rest.push(m);
      continue;
    }
    if (run.o0 > 0 || run.o1 < m.map.length) {
      starts.push(run.o0);
      ends.push(run.o1);
      axes.push(m.axis);
    }
    pads[m.axis] = run.a;
    pads[rank + m.axis] = m.inDim - run.a - (run.o1 - run.o0);
    cur[m.axis] = m.inDim;
  }
  if (axes.length) g = c.op('Slice', [g, c.i64(starts), c.i64(ends), c.i64(axes)]);
  if (pads.some((p) => p !== 0)) g = c.op('Pad', [g, c.i64(pads)]);

  for (const m of rest) {
    const valid = m.map.filter((v) => v >= 0);
    if (new Set(valid).size === valid.length) {
      // Injective (e.g. a strided or reversed Slice): dx is a Gather of dy, unread inputs take a zero slot.
      const zeroSlot = m.map.length;
      const inv = new Array<number>(m.inDim).fill(zeroSlot);
      m.map.forEach((v, o) => v >= 0 && (inv[v] = o));
      let src = g;
      if (inv.includes(zeroSlot)) {
        const slab = [...cur];
        slab[m.axis] = 1;
        src = c.op('Concat', [g, c.zeros(slab)], { axis: m.axis });
      }
      g = c.op('Gather', [src, c.i64(inv)], { axis: m.axis });
    } else {
      // Inputs read several times (reflect/edge/wrap Pad): scatter-add dy; unread positions go to a dummy slot.
      const dummy = valid.length < m.map.length ? 1 : 0;
      const idxDims = cur.map((d, i) => (i === m.axis ? d : 1));
      const idx = c.e.constant(ElemType.INT64, idxDims, m.map.map((v) => (v >= 0 ? v : m.inDim)));
      const target = [...cur];
      target[m.axis] = m.inDim + dummy;
      g = c.op('ScatterElements', [c.zeros(target), c.op('Expand', [idx, c.i64(cur)]), g], {
        axis: m.axis,
        reduction: 'add',
      });
      if (dummy) g = c.op('Slice', [g, c.i64([0]), c.i64([m.inDim]), c.i64([m.axis])]);
    }
    cur[m.axis] = m.inDim;
  }
  return g;
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
registerRules(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze'], {}, (c) => {
  const dy = c.dy(0);
  if (dy && c.needs(0)) c.addGrad(0, c.op('Reshape', [dy, c.i64(c.inShape(0))]));
});

registerRule('Transpose', {}, (c) => {
  const dy = c.dy(0);
  if (!dy || !c.needs(0)) return;
  const rank = c.inShape(0).length;
  const perm = c.attr<number[]>('perm', []);
  const p = perm.length ? perm : Array.from({ length: rank }, (_, i) => rank - 1 - i);
  c.addGrad(0, c.op('Transpose', [dy], { perm: inversePerm(p) }));
});

registerRule('Expand', { since: 8 }, (c) => {
  const dy = c.dy(0);
  if (dy && c.needs(0)) c.addGrad(0, c.unbroadcast(dy, c.outShape(0), c.inShape(0)));
});

registerRule('Tile', { since: 6 }, (c) => {
  const dy = c.dy(0);
  if (!dy || !c.needs(0)) return;
  const dims = c.inShape(0);
  const reps = c.values(1);
  // y along axis k is reps[k] copies of x: viewed as [r0, d0, r1, d1, …], the copies are the even axes.
  const axes = reps.map((r, k) => (r !== 1 ? 2 * k : -1)).filter((a) => a >= 0);
  if (!axes.length) return c.addGrad(0, dy);
  if (prod(reps) === 0) return c.addGrad(0, c.zeros(dims));
  const split = dims.flatMap((d, k) => [reps[k], d]);
  const summed = c.op('ReduceSum', [c.op('Reshape', [dy, c.i64(split)]), c.i64(axes)], { keepdims: 0 });
  c.addGrad(0, c.op('Reshape', [summed, c.i64(dims)]));
});

registerRule('Concat', {}, (c) => {
  const dy = c.dy(0)!;
  const rank = c.outShape(0).length;
  // Concat-1 defaulted axis to 1; it is required from opset 4.
  const axis = normAxis(c, c.attr('axis', 1), rank);
  let offset = 0;
  c.node.inputs.forEach((v, i) => {
    if (!v) return;
    const size = c.inShape(i)[axis];
    if (c.needs(i)) c.addGrad(i, c.op('Slice', [dy, c.i64([offset]), c.i64([offset + size]), c.i64([axis])]));
    offset += size;
  });
});

/** The split sizes do not matter: the outputs tile the input along the axis in order. */
registerRule('Split', {}, (c) => {
  if (!c.needs(0)) return;
  const rank = c.inShape(0).length;
  const axis = normAxis(c, c.attr('axis', 0), rank);
  const parts = c.node.outputs.map((o, k) => (o ? c.dyOrZeros(k) : undefined));
  if (parts.some((p) => p === undefined)) c.fail('an unnamed Split output is not supported');
  c.addGrad(0, parts.length === 1 ? parts[0]! : c.op('Concat', parts as string[], { axis }));
});

function sliceRule(c: VjpContext, starts: number[], ends: number[], axesIn: number[] | undefined, steps: number[] | undefined) {
  const dy = c.dy(0);
  if (!dy || !c.needs(0)) return;
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
    return c.addPlacedGrad(0, { slab, view, start: m.map[0], length: m.map.length });
  }
  c.addGrad(0, adjointIndexMaps(c, dy, out, maps));
}

registerRule('Slice', { until: 9 }, (c) =>
  sliceRule(c, c.attr<number[]>('starts', []), c.attr<number[]>('ends', []), c.attr<number[] | undefined>('axes', undefined), undefined),
);
registerRule('Slice', { since: 10 }, (c) => sliceRule(c, c.values(1), c.values(2), c.maybeValues(3), c.maybeValues(4)));

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
  if (c.needs(0)) c.addGrad(0, adjointIndexMaps(c, dy, out, maps));
  // The constant value (input 2 from opset 11) receives the dy of every padded position.
  if (c.hasInput(2) && c.needs(2)) {
    const vShape = c.inShape(2);
    let g: string;
    if (mode !== 'constant') g = c.zeros(vShape);
    else {
      const fullPads = new Array<number>(2 * rank).fill(0);
      axes.forEach((axis, i) => {
        fullPads[axis] = padsIn[i];
        fullPads[rank + axis] = padsIn[axes.length + i];
      });
      const mask = c.op('Pad', [c.zeros(dims), c.i64(fullPads), c.scalar(1)]);
      const total = c.op('ReduceSum', [c.op('Mul', [dy, mask]), c.i64(out.map((_, i) => i))], { keepdims: 0 });
      g = c.op('Reshape', [total, c.i64(vShape)]);
    }
    c.addGrad(2, g);
  }
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
  if (!dy || !c.needs(0)) return;
  const permuted = perm.map((p) => split[p]);
  const t = c.op('Transpose', [c.op('Reshape', [dy, c.i64(permuted)])], { perm: inversePerm(perm) });
  c.addGrad(0, c.op('Reshape', [t, c.i64(c.inShape(0))]));
}

registerRule('DepthToSpace', {}, (c) => {
  const [n, ch, h, w] = c.inShape(0);
  if (c.inShape(0).length !== 4) c.fail('only 4-D inputs are supported');
  const b = c.attr('blocksize', 0);
  const mode = c.attr('mode', 'DCR');
  if (mode === 'DCR') rearrangeBack(c, [n, b, b, ch / (b * b), h, w], [0, 3, 4, 1, 5, 2]);
  else if (mode === 'CRD') rearrangeBack(c, [n, ch / (b * b), b, b, h, w], [0, 1, 4, 2, 5, 3]);
  else c.fail(`attribute mode=${mode} is not supported`);
});

registerRule('SpaceToDepth', {}, (c) => {
  const [n, ch, h, w] = c.inShape(0);
  if (c.inShape(0).length !== 4) c.fail('only 4-D inputs are supported');
  const b = c.attr('blocksize', 0);
  rearrangeBack(c, [n, ch, h / b, b, w / b, b], [0, 3, 5, 1, 2, 4]);
});

/** Crops or zero-pads each listed axis to the target length, centred with the smaller half first. */
registerRule('CenterCropPad', { since: 18 }, (c) => {
  const dy = c.dy(0);
  if (!dy || !c.needs(0)) return;
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
  c.addGrad(0, adjointIndexMaps(c, dy, c.outShape(0), maps));
});
