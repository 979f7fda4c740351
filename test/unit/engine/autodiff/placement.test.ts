/**
 * Gradients of contiguous picks (Gather of an index range, step-1 Slice) are placed slabs; the slabs of one tensor
 * that tile disjoint ranges join in one Concat (a transformer's q, k, v taken from one qkv tensor), gaps get zeros,
 * overlapping ones are summed. Values are checked exactly against the hand-computed gradient, and the backward
 * model's ops show which path was taken.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { compileAttribution } from '../../../../src/engine/attribution/compile';
import { OnnxGraph } from '../../../../src/engine/onnx/graph';
import type { LoadedModel } from '../../../../src/engine/onnx/loadModel';
import { ElemType, ModelProto, NodeProto, attr, onnx } from '../../../../src/engine/onnx/proto';
import { makeTensor } from '../../../../src/engine/onnx/tensorData';
import { createOrtSession } from '../../../../src/engine/runtime/session';
import { fromOrt } from '../../../../src/engine/runtime/tensors';

const F = ElemType.FLOAT;
/** x [3, 2, 4]; y = Σ_k w_k · pick_k(x) (each pick [·, 2, 4] or [2, 4]); returns dy/dx for seed 1 and the backward's op types. */
async function gradOf(picks: NodeProto[], weights: number[]): Promise<{ grad: number[]; ops: string[] }> {
  const nodes: NodeProto[] = [...picks];
  const terms = picks.map((p, k) => {
    nodes.push({ name: `scale${k}`, opType: 'Mul', input: [p.output![0], `w${k}`], output: [`s${k}`] });
    return `s${k}`;
  });
  nodes.push({ name: 'sum', opType: 'Sum', input: terms, output: ['y'] });
  const proto: ModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'picks',
      node: nodes,
      initializer: [
        ...weights.map((w, k) => makeTensor(`w${k}`, F, [], [w])),
        makeTensor('i0', ElemType.INT64, [], [0]),
        makeTensor('i1', ElemType.INT64, [], [1]),
        makeTensor('i2', ElemType.INT64, [], [2]),
        makeTensor('r01', ElemType.INT64, [2], [0, 1]),
        makeTensor('r12', ElemType.INT64, [2], [1, 2]),
        makeTensor('st0', ElemType.INT64, [1], [0]),
        makeTensor('st2', ElemType.INT64, [1], [2]),
        makeTensor('st3', ElemType.INT64, [1], [3]),
        makeTensor('ax2', ElemType.INT64, [1], [2]),
      ],
      input: [{ name: 'x', type: { tensorType: { elemType: F, shape: { dim: [3, 2, 4].map((d) => ({ dimValue: d })) } } } }],
      output: [{ name: 'y' }],
    },
  };
  const model: LoadedModel = { path: '<memory>', dir: '.', bytes: 0, mtimeMs: 0, proto, graph: new OnnxGraph(proto) };
  const x = { dtype: 'float32' as const, dims: [3, 2, 4], data: Float32Array.from({ length: 24 }, (_, i) => i / 10) };
  const captured: Uint8Array[] = [];
  const c = await compileAttribution(model, ['x'], 'y', [x], { provider: 'cpu', threads: 1 }, (bytes, p, t, extra) => {
    captured.push(bytes);
    return createOrtSession(bytes, p, t, extra);
  });
  try {
    const feeds = { x: new ort.Tensor('float32', x.data, x.dims) };
    const fw = await c.forward.session.run(feeds, c.forwardOutputs);
    const y = fw.y;
    const bw = await c.backward.session.run({ [c.seedName]: new ort.Tensor('float32', new Float32Array(y.size).fill(1), y.dims) }, c.gradOutputs);
    // The backward model is the last session a compile starts (after the shape probe and the forward).
    const ops = (onnx.ModelProto.decode(captured[captured.length - 1]).graph?.node ?? []).map((n) => n.opType ?? '');
    return { grad: Array.from(fromOrt(bw[c.gradOutputs[0]]).data as Float32Array), ops };
  } finally {
    await c.dispose();
  }
}
const gather = (idx: string, out: string): NodeProto => ({ name: `g_${out}`, opType: 'Gather', input: ['x', idx], output: [out], attribute: [attr.int('axis', 0)] });
/** The expected gradient: per slot k of axis 0, the sum of the weights of the picks that read it. */
const perSlot = (w: number[]) => w.flatMap((v) => new Array(8).fill(v));

describe('placed gradient slabs', () => {
  test('q, k, v picked from one tensor: one Concat, no Pad or Sum', async () => {
    const { grad, ops } = await gradOf([gather('i0', 'q'), gather('i1', 'k'), gather('i2', 'v')], [2, 3, 5]);
    assert.deepEqual(grad, perSlot([2, 3, 5]));
    assert.ok(ops.includes('Concat'), ops.join(' '));
    assert.ok(!ops.includes('Pad'), `no Pad: ${ops.join(' ')}`);
  });
  test('a gap between the picks gets zeros', async () => {
    const { grad, ops } = await gradOf([gather('i0', 'a'), gather('i2', 'b')], [2, 5]);
    assert.deepEqual(grad, perSlot([2, 0, 5]));
    assert.ok(ops.includes('Concat') && !ops.includes('Pad'), ops.join(' '));
  });
  test('overlapping ranges are summed (Pad per slab)', async () => {
    const { grad, ops } = await gradOf([gather('r01', 'a'), gather('r12', 'b')], [2, 5]);
    assert.deepEqual(grad, perSlot([2, 7, 5]));
    assert.ok(ops.includes('Pad'), ops.join(' '));
  });
  test('Slice chunks along the last axis join too; a single pick is padded as before', async () => {
    const slice = (s: string, e: string, out: string): NodeProto => ({ name: `sl_${out}`, opType: 'Slice', input: ['x', s, e, 'ax2'], output: [out] });
    const joinedRes = await gradOf([slice('st0', 'st2', 'a'), slice('st2', 'st3', 'b')], [2, 5]);
    // last-axis positions 0,1 → 2; 2 → 5 twice (b [3,2,1] broadcasts against a [3,2,2] in the Sum); 3 → 0 (unread)
    assert.deepEqual(joinedRes.grad, new Array(6).fill([2, 2, 10, 0]).flat());
    assert.ok(joinedRes.ops.includes('Concat') && !joinedRes.ops.includes('Pad'), joinedRes.ops.join(' '));
    const single = await gradOf([gather('i1', 'a')], [3]);
    assert.deepEqual(single.grad, perSlot([0, 3, 0]));
    assert.ok(single.ops.includes('Pad'), single.ops.join(' '));
  });
});
