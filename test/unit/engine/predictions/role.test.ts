/** Output roles come from the graph, the labels and the metadata (never the values): one test per rule. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OnnxGraph } from '../../../../src/engine/onnx/graph';
import { ElemType, NodeProto, attr } from '../../../../src/engine/onnx/proto';
import { makeTensor } from '../../../../src/engine/onnx/tensorData';
import { OUTPUT_ROLE_METADATA_KEY, type RoleContext, outputRole } from '../../../../src/engine/predictions/role';
import { floatValue } from '../../../support/tinyModels';

const op = (opType: string, input: string[], output: string, extra: Partial<NodeProto> = {}): NodeProto => ({ name: `/${opType}_${output}`, opType, input, output: [output], ...extra });
const conv = (input: string, output: string) => op('Conv', [input, 'w'], output, { attribute: [attr.ints('kernel_shape', [1, 1])] });

/** x → nodes; `outputs` names the graph outputs and their dims. */
function graph(nodes: NodeProto[], inDims: number[], outputs: Record<string, (number | string)[]>): { g: OnnxGraph; ctx: (extra?: Partial<RoleContext>) => RoleContext } {
  const g = new OnnxGraph({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'g', node: nodes, initializer: [makeTensor('w', ElemType.FLOAT, [4, 4], new Array(16).fill(0.1)), makeTensor('s', ElemType.INT64, [2], [1, 128])], input: [floatValue('x', inDims)], output: Object.entries(outputs).map(([n, d]) => floatValue(n, d)) },
  });
  return { g, ctx: (extra = {}) => ({ dims: (n) => g.type(n)?.dims, ...extra }) };
}
const roleOf = (nodes: NodeProto[], inDims: number[], outDims: (number | string)[], extra: Partial<RoleContext> = {}) => {
  const { g, ctx } = graph(nodes, inDims, { y: outDims });
  return outputRole(g, 'y', ctx(extra));
};

describe('output role rules', () => {
  test('a [N, A, C] score output beside a [N, A, 4] box output: detector (softmax: class 0 is the background) and its boxes', () => {
    const { g, ctx } = graph([conv('x', 'a'), op('Softmax', ['a'], 'scores', { attribute: [attr.int('axis', 2)] }), conv('x', 'boxes')], [1, 3, 8, 8], { scores: ['N', 4420, 2], boxes: ['N', 4420, 4] });
    assert.deepEqual(outputRole(g, 'scores', ctx()), { role: 'detector', basis: "per-anchor scores [N, 4420, 2] beside the box output 'boxes'", companion: 'boxes', background: 0 });
    assert.deepEqual(outputRole(g, 'boxes', ctx()), { role: 'boxes', basis: "per-anchor boxes [N, 4420, 4] beside the score output 'scores'", companion: 'scores' });
  });

  test('scores and boxes both ending in 4: the softmax (or else the name) tells them apart; labels name the background', () => {
    const { g, ctx } = graph([conv('x', 'a'), op('Sigmoid', ['a'], 'conf'), conv('x', 'loc')], [1, 3, 8, 8], { loc: [1, 100, 4], conf: [1, 100, 4] });
    assert.equal(outputRole(g, 'conf', ctx()).role, 'detector');
    assert.equal(outputRole(g, 'conf', ctx()).background, undefined, 'sigmoid scores have no background class');
    assert.equal(outputRole(g, 'loc', ctx()).role, 'boxes');
    assert.equal(outputRole(g, 'conf', ctx({ labels: ['cat', 'dog', 'bird', 'background'] })).background, 3);
    const named = graph([conv('x', 'cls_logits'), conv('x', 'bbox_regression')], [1, 3, 8, 8], { cls_logits: [1, 50, 4], bbox_regression: [1, 50, 4] });
    assert.equal(outputRole(named.g, 'cls_logits', named.ctx()).role, 'detector');
    assert.equal(outputRole(named.g, 'bbox_regression', named.ctx()).role, 'boxes');
  });

  test('a rank-3 output without a box partner is not a detector (a language model’s [N, T, V] logits)', () => {
    assert.equal(roleOf([op('MatMul', ['x', 'w'], 'y')], [1, 7, 16], [1, 7, 50]).role, 'other');
  });

  test('dense maps: 1 channel or 3 channels → image; a softmax over channels, one channel per label, or 2 and more → segmentation', () => {
    assert.deepEqual(roleOf([conv('x', 'y')], [1, 1, 64, 64], [1, 1, 192, 192]), { role: 'image', basis: 'a dense map with 1 channel', layout: 'channels-first' });
    assert.equal(roleOf([conv('x', 'y')], [1, 3, 8, 8], [1, 3, 8, 8]).role, 'image');
    assert.equal(roleOf([conv('x', 'y')], [1, 3, 8, 8], [1, 3, 8, 8], { labels: ['sky', 'road', 'car'] }).role, 'segmentation');
    assert.match(roleOf([conv('x', 'a'), op('Softmax', ['a'], 'y', { attribute: [attr.int('axis', 1)] })], [1, 3, 8, 8], [1, 3, 8, 8]).basis, /^Softmax node '\/Softmax_y' over 3 channels$/);
    assert.deepEqual(roleOf([conv('x', 'y')], [1, 3, 8, 8], [1, 21, 8, 8]), { role: 'segmentation', basis: 'a dense map with 21 channels, one per class', layout: 'channels-first' });
    assert.equal(roleOf([conv('x', 'y')], [1, 3, 8, 8], [1, 2, 8, 8]).role, 'segmentation');
    assert.deepEqual(roleOf([op('Transpose', ['x'], 'y')], [1, 3, 8, 8], [1, 8, 8, 3]), { role: 'image', basis: 'a dense map with 3 channels', layout: 'channels-last' });
  });

  test('[N, D]: probabilities or one value per label → classifier; L2-normalised or pooled → embedding; logits → classifier', () => {
    assert.equal(roleOf([op('Gemm', ['x', 'w'], 'a'), op('Softmax', ['a'], 'y')], [1, 4], [1, 4]).role, 'classifier');
    assert.deepEqual(roleOf([op('MatMul', ['x', 'w'], 'y')], [1, 4], [1, 3], { labels: ['a', 'b', 'c'] }), { role: 'classifier', basis: 'one value per label (3)' });
    // torch's F.normalize: x / max(‖x‖₂, ε) → ReduceL2, Clip, Expand, Div
    const normalize = [op('Gemm', ['x', 'w'], 'e'), op('ReduceL2', ['e'], 'n'), op('Clip', ['n'], 'c'), op('Expand', ['c', 's'], 'd'), op('Div', ['e', 'd'], 'y')];
    assert.deepEqual(roleOf(normalize, [1, 4], [1, 128]), { role: 'embedding', basis: "L2-normalised (Div node '/Div_y')" });
    assert.equal(roleOf([op('GlobalAveragePool', ['x'], 'p'), op('Flatten', ['p'], 'y')], [1, 512, 7, 7], [1, 512]).role, 'embedding');
    assert.equal(roleOf([op('Gemm', ['x', 'w'], 'y')], [1, 4], [1, 1000]).role, 'classifier');
  });

  test('anything else: other; the metadata decides when it says', () => {
    assert.equal(roleOf([op('Gemm', ['x', 'w'], 'a'), op('ReduceSum', ['a'], 'y')], [1, 4], [1]).role, 'other');
    const meta = [{ key: OUTPUT_ROLE_METADATA_KEY, value: '{"y": "embedding"}' }];
    assert.deepEqual(roleOf([op('Gemm', ['x', 'w'], 'y')], [1, 4], [1, 1000], { metadata: meta }), { role: 'embedding', basis: 'model metadata' });
    assert.equal(roleOf([op('Gemm', ['x', 'w'], 'y')], [1, 4], [1, 10], { metadata: [{ key: OUTPUT_ROLE_METADATA_KEY, value: 'no-such-role' }] }).role, 'classifier');
  });
});
