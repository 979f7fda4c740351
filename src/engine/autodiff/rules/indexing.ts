/**
 * VJP rules: gathers. The gradient w.r.t. the data is a scatter-add of dy into zeros (repeated indices
 * accumulate); indices are forward values, so they may be data-dependent. Only the data is differentiable.
 */
import { ElemType } from '../../onnx/proto';
import { type VjpContext, ZERO } from '../context';
import { registerRule } from '../registry';
import { adjointIndexMaps, normAxis, once, prod, singleInput, staticValues } from './common';

/**
 * Input i as int64 with negative entries wrapped by `bound` (one axis size, or one per index column), so the
 * scatter never depends on how a provider treats negative indices.
 */
function wrappedIndices(c: VjpContext, i: number, bound: string): string {
  let idx = c.x(i);
  if (c.elemType(c.node.inputs[i]) !== ElemType.INT64) idx = c.op('Cast', [idx], { to: ElemType.INT64 });
  return c.op('Where', [c.op('Less', [idx, c.i64([0])]), c.op('Add', [idx, bound]), idx]);
}

singleInput('Gather', {}, (c, dy) => {
  const dims = c.inShape(0);
  const axis = normAxis(c, c.attr('axis', 0), dims.length);
  const n = dims[axis];
  const pre = prod(dims.slice(0, axis));
  const post = prod(dims.slice(axis + 1));
  const m = prod(c.inShape(1));
  if (m === 0 || prod(dims) === 0) return ZERO;
  // View dy as [pre, M, post] and dx as [pre, N, post]: output position j along the middle axis read index[j].
  const dy3 = c.op('Reshape', [dy, c.i64([pre, m, post])]);
  const known = staticValues(c, 1);
  let dx3: string;
  if (known) {
    const map = known.map((v) => (v < 0 ? v + n : v));
    if (map.some((v) => v < 0 || v >= n)) c.fail('an index is out of range');
    // A contiguous range (x[:, 0], qkv[1], x[2:5] as indices): a placed slab, joined with its siblings.
    if (map.every((v, j) => v === map[0] + j)) return { slab: dy3, view: [pre, n, post], start: map[0], length: m };
    dx3 = adjointIndexMaps(c, dy3, [pre, m, post], [{ axis: 1, map, inDim: n }]);
  } else {
    const idx = c.op('Reshape', [wrappedIndices(c, 1, c.i64([n])), c.i64([1, m, 1])]);
    const full = c.op('Expand', [idx, c.i64([pre, m, post])]);
    dx3 = c.op('ScatterElements', [c.zeros([pre, n, post]), full, dy3], { axis: 1, reduction: 'add' });
  }
  return c.op('Reshape', [dx3, c.i64(dims)]);
});

singleInput('GatherElements', { since: 11 }, (c, dy) => {
  const dims = c.inShape(0);
  const axis = normAxis(c, c.attr('axis', 0), dims.length);
  if (prod(c.inShape(1)) === 0) return ZERO;
  const idx = wrappedIndices(c, 1, c.i64([dims[axis]]));
  return c.op('ScatterElements', [c.zeros(dims), idx, dy], { axis, reduction: 'add' });
});

singleInput('GatherND', { since: 11 }, (c, dy) => {
  const dims = c.inShape(0);
  const q = c.inShape(1);
  const b = c.attr('batch_dims', 0);
  const k = q[q.length - 1];
  if (b < 0 || b >= q.length || b + k > dims.length) c.fail(`batch_dims=${b} does not fit the shapes`);
  if (prod(q) === 0) return ZERO;
  let idx = wrappedIndices(c, 1, c.i64(dims.slice(b, b + k)));
  if (b > 0) {
    // ScatterND has no batch_dims: prepend each batch coordinate to the index tuples.
    const lead = q.slice(0, -1);
    const coords = Array.from({ length: b }, (_, j) => {
      const view = q.map((_, i) => (i === j ? q[j] : 1));
      const range = c.e.constant(ElemType.INT64, view, Array.from({ length: q[j] }, (_, v) => v));
      return c.op('Expand', [range, c.i64([...lead, 1])]);
    });
    idx = c.op('Concat', [...coords, idx], { axis: q.length - 1 });
  }
  return c.op('ScatterND', [c.zeros(dims), idx, dy], { reduction: 'add' });
});

/**
 * Scatters (index_put_, slice assignment, torch.scatter): out = data with the indexed positions replaced by
 * (or, with reduction "add", increased by) updates. ∂data is dy with the replaced positions zeroed (unchanged
 * for "add"); ∂updates is dy read back at the indices. Multiplicative and max/min reductions are refused.
 * With repeated indices and reduction "none" the forward result itself is unspecified by ONNX.
 */
function scatterRule(scatter: 'ScatterElements' | 'ScatterND', gather: 'GatherElements' | 'GatherND') {
  return (c: VjpContext) => {
    const dy = c.dy(0);
    if (!dy) return;
    const reduction = String(c.attr('reduction', 'none'));
    if (reduction !== 'none' && reduction !== 'add') c.fail(`reduction '${reduction}' has no gradient rule (only none and add)`);
    const dims = c.inShape(0);
    const axisAttr: { axis?: number } = scatter === 'ScatterElements' ? { axis: normAxis(c, c.attr('axis', 0), dims.length) } : {};
    // Negative indices wrapped here, as for the gathers: providers need not agree on them.
    const bound = scatter === 'ScatterElements' ? [dims[axisAttr.axis!]] : dims.slice(0, c.inShape(1).at(-1));
    const idx = once(() => wrappedIndices(c, 1, c.i64(bound)));
    return [
      () => (reduction === 'add' ? dy : c.op(scatter, [dy, idx(), c.zeros(c.inShape(2))], axisAttr)),
      undefined,
      () => c.op(gather, [dy, idx()], axisAttr),
    ];
  };
}
registerRule('ScatterElements', { since: 11 }, scatterRule('ScatterElements', 'GatherElements'));
registerRule('ScatterND', { since: 11 }, scatterRule('ScatterND', 'GatherND'));

/** MaxUnpool places X at flat output offsets I (MaxPool's indices): ∂X = dy read at those offsets. */
singleInput('MaxUnpool', { since: 9 }, (c, dy) => {
  const flat = c.op('Reshape', [dy, c.i64([-1])]);
  return c.op('Gather', [flat, c.x(1)], { axis: 0 });
});
