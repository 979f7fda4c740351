/** Output kinds come from the graph and the metadata, one rule per line of the table (issue 11, item 3). */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { OnnxGraph } from '../../../../src/engine/onnx/graph';
import { loadModel } from '../../../../src/engine/onnx/loadModel';
import { OUTPUT_KIND_METADATA_KEY, outputKind } from '../../../../src/engine/onnx/outputKind';
import { ElemType, NodeProto, attr } from '../../../../src/engine/onnx/proto';
import { makeTensor } from '../../../../src/engine/onnx/tensorData';
import { REPO_ROOT } from '../../../support/fixtures';

const vi = (name: string, dims: number[]) => ({ name, type: { tensorType: { elemType: ElemType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });

/** x → the given nodes (the last one writes `y`, of rank `outDims.length`). */
function graph(nodes: NodeProto[], inDims: number[], outDims: number[]): OnnxGraph {
  const w = makeTensor('w', ElemType.FLOAT, [4, 4], new Array(16).fill(0.1));
  const shape = makeTensor('shape', ElemType.INT64, [2], [1, -1]);
  return new OnnxGraph({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'g', node: nodes, initializer: [w, shape], input: [vi('x', inDims)], output: [vi('y', outDims)] },
  });
}
const op = (opType: string, input: string[], output: string, extra: Partial<NodeProto> = {}): NodeProto => ({ name: `/${opType}_${output}`, opType, input, output: [output], ...extra });
const kindOf = (g: OnnxGraph, meta: { key: string; value: string }[] = []) => outputKind(g, 'y', meta).kind;

describe('output kind rules', () => {
  test('Gemm, MatMul, MatMul + Add → logits', () => {
    assert.equal(kindOf(graph([op('Gemm', ['x', 'w'], 'y')], [1, 4], [1, 4])), 'logits');
    assert.equal(kindOf(graph([op('MatMul', ['x', 'w'], 'y')], [1, 4], [1, 4])), 'logits');
    assert.equal(kindOf(graph([op('MatMul', ['x', 'w'], 'a'), op('Add', ['a', 'x'], 'y')], [1, 4], [1, 4])), 'logits');
  });

  test('Softmax → probabilities, LogSoftmax → log-probabilities, Sigmoid → probabilities per class', () => {
    assert.equal(kindOf(graph([op('Gemm', ['x', 'w'], 'a'), op('Softmax', ['a'], 'y')], [1, 4], [1, 4])), 'probabilities');
    assert.equal(kindOf(graph([op('Gemm', ['x', 'w'], 'a'), op('LogSoftmax', ['a'], 'y')], [1, 4], [1, 4])), 'log-probabilities');
    assert.equal(kindOf(graph([op('Gemm', ['x', 'w'], 'a'), op('Sigmoid', ['a'], 'y')], [1, 4], [1, 4])), 'class-probabilities');
  });

  test('looks through Identity, Reshape, Flatten, Squeeze, Dropout to the op that computed the values', () => {
    const g = graph(
      [
        op('Gemm', ['x', 'w'], 'a'),
        op('Softmax', ['a'], 'b'),
        op('Identity', ['b'], 'c'),
        op('Reshape', ['c', 'shape'], 'd'),
        op('Dropout', ['d'], 'e'),
        op('Flatten', ['e'], 'y', { attribute: [attr.int('axis', 1)] }),
      ],
      [1, 4],
      [1, 4],
    );
    assert.deepEqual(outputKind(g, 'y'), { kind: 'probabilities', basis: "Softmax node '/Softmax_b'" });
    assert.equal(kindOf(graph([op('Gemm', ['x', 'w'], 'a'), op('Squeeze', ['a'], 'y')], [1, 4], [4])), 'logits');
  });

  test('a spatial output is a dense map, whatever its last op', () => {
    const conv = (out: string) => op('Conv', ['x', 'w'], out, { attribute: [attr.ints('kernel_shape', [1, 1])] });
    assert.equal(kindOf(graph([conv('y')], [1, 4, 8, 8], [1, 4, 8, 8])), 'dense-map');
    assert.equal(kindOf(graph([conv('a'), op('Softmax', ['a'], 'y', { attribute: [attr.int('axis', 1)] })], [1, 4, 8, 8], [1, 4, 8, 8])), 'dense-map');
    // 1-D: [N, C, L] from a Conv (through a Relu) is a map; [N, T, V] from a MatMul is logits per position.
    assert.equal(kindOf(graph([conv('a'), op('Relu', ['a'], 'y')], [1, 4, 8], [1, 4, 8])), 'dense-map');
    assert.equal(kindOf(graph([op('MatMul', ['x', 'w'], 'y')], [1, 3, 4], [1, 3, 4])), 'logits');
  });

  test('anything else → scores', () => {
    assert.equal(kindOf(graph([op('Gemm', ['x', 'w'], 'a'), op('Relu', ['a'], 'y')], [1, 4], [1, 4])), 'scores');
    assert.equal(kindOf(graph([op('ReduceSum', ['x'], 'y')], [1, 4], [1, 1])), 'scores');
    assert.deepEqual(outputKind(graph([op('Relu', ['x'], 'y')], [1, 4], [1, 4]), 'x'), { kind: 'scores', basis: 'no producing op' });
  });

  test('model metadata decides when it says: one kind for all outputs, or per output name', () => {
    const g = graph([op('Gemm', ['x', 'w'], 'y')], [1, 4], [1, 4]);
    assert.deepEqual(outputKind(g, 'y', [{ key: OUTPUT_KIND_METADATA_KEY, value: 'probabilities' }]), { kind: 'probabilities', basis: 'model metadata' });
    assert.equal(kindOf(g, [{ key: OUTPUT_KIND_METADATA_KEY, value: '{"y": "scores", "other": "logits"}' }]), 'scores');
    // Unknown kinds, other outputs' entries and broken JSON fall back to the graph.
    assert.equal(kindOf(g, [{ key: OUTPUT_KIND_METADATA_KEY, value: 'confidence' }]), 'logits');
    assert.equal(kindOf(g, [{ key: OUTPUT_KIND_METADATA_KEY, value: '{"other": "scores"}' }]), 'logits');
    assert.equal(kindOf(g, [{ key: OUTPUT_KIND_METADATA_KEY, value: '{"y": ' }]), 'logits');
  });
});

describe('output kinds of real exported models', () => {
  const cases: [string, string][] = [
    ['media/demo/fashion_mnist_cnn.onnx', 'logits'],
    ['test/data/model_zoo2/vggmini.onnx', 'logits'],
    ['test/data/model_zoo2/textcnn.onnx', 'log-probabilities'],
    ['test/data/model_zoo2/tinyunet.onnx', 'dense-map'],
    ['test/data/model_zoo2/causallm_full.onnx', 'logits'],
  ];
  for (const [file, kind] of cases) {
    test(`${path.basename(file)} → ${kind}`, async () => {
      const m = await loadModel(path.join(REPO_ROOT, file));
      assert.equal(outputKind(m.graph, m.graph.outputs[0], m.proto.metadataProps ?? []).kind, kind);
    });
  }
});
