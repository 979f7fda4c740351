/** The layer tree lists modules and nodes in the order the network computes them (issue 11, item 2). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { OnnxGraph } from '../../../../src/engine/onnx/graph';
import { LayerTree } from '../../../../src/engine/onnx/layerTree';
import { loadModel } from '../../../../src/engine/onnx/loadModel';
import { ElemType, ModelProto, NodeProto, TensorProto, attr } from '../../../../src/engine/onnx/proto';
import { makeTensor } from '../../../../src/engine/onnx/tensorData';
import { REPO_ROOT } from '../../../support/fixtures';
import { floatValue, writeModel } from '../../../support/tinyModels';

const BIN = path.join(REPO_ROOT, 'bin', 'layerlens.js');

/**
 * A VGG-style net as torch exports it: `features.5` (a ReLU6, i.e. Clip) has its min/max Constant nodes hoisted
 * to the top of the file, and the top-level Flatten sits between `avgpool` and `classifier`.
 */
function vggWithHoistedConstants(): ModelProto {
  let seed = 1;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.5;
  const inits: TensorProto[] = [];
  const param = (name: string, dims: number[]) => {
    inits.push(makeTensor(name, ElemType.FLOAT, dims, Array.from({ length: dims.reduce((a, b) => a * b, 1) }, rand)));
    return name;
  };
  const out = (name: string) => `${name}_output_0`;
  const conv = (name: string, x: string, cin: number, cout: number): NodeProto => ({
    name,
    opType: 'Conv',
    input: [x, param(`${name}.weight`, [cout, cin, 3, 3]), param(`${name}.bias`, [cout])],
    output: [out(name)],
    attribute: [attr.ints('kernel_shape', [3, 3]), attr.ints('pads', [1, 1, 1, 1])],
  });
  const pool = (name: string, x: string): NodeProto => ({ name, opType: 'MaxPool', input: [x], output: [out(name)], attribute: [attr.ints('kernel_shape', [2, 2]), attr.ints('strides', [2, 2])] });
  const unary = (name: string, opType: string, x: string): NodeProto => ({ name, opType, input: [x], output: [out(name)] });
  const constant = (name: string, v: number): NodeProto => ({ name, opType: 'Constant', input: [], output: [out(name)], attribute: [attr.tensor('value', makeTensor(out(name), ElemType.FLOAT, [], [v]))] });
  const gemm = (name: string, x: string, cin: number, cout: number): NodeProto => ({
    name,
    opType: 'Gemm',
    input: [x, param(`${name}.weight`, [cout, cin]), param(`${name}.bias`, [cout])],
    output: [out(name)],
    attribute: [attr.int('transB', 1)],
  });
  const nodes: NodeProto[] = [
    constant('/features/features.5/Constant', 0),
    constant('/features/features.5/Constant_1', 6),
    conv('/features/features.0/Conv', 'input', 3, 4),
    unary('/features/features.2/Relu', 'Relu', out('/features/features.0/Conv')),
    pool('/features/features.3/MaxPool', out('/features/features.2/Relu')),
    conv('/features/features.4/Conv', out('/features/features.3/MaxPool'), 4, 4),
    { name: '/features/features.5/Clip', opType: 'Clip', input: [out('/features/features.4/Conv'), out('/features/features.5/Constant'), out('/features/features.5/Constant_1')], output: [out('/features/features.5/Clip')] },
    pool('/features/features.6/MaxPool', out('/features/features.5/Clip')),
    unary('/avgpool/GlobalAveragePool', 'GlobalAveragePool', out('/features/features.6/MaxPool')),
    { ...unary('/Flatten', 'Flatten', out('/avgpool/GlobalAveragePool')), attribute: [attr.int('axis', 1)] },
    gemm('/classifier/classifier.0/Gemm', out('/Flatten'), 4, 5),
    unary('/classifier/classifier.1/Relu', 'Relu', out('/classifier/classifier.0/Gemm')),
    { ...gemm('/classifier/classifier.3/Gemm', out('/classifier/classifier.1/Relu'), 5, 3), output: ['logits'] },
  ];
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'vgg_hoisted', node: nodes, initializer: inits, input: [floatValue('input', ['batch_size', 3, 8, 8])], output: [floatValue('logits', ['batch_size', 3])] },
  };
}

const NETWORK_ORDER = {
  roots: ['features', 'avgpool', 'node:/Flatten', 'classifier'],
  features: ['features.0', 'features.2', 'features.3', 'features.4', 'features.5', 'features.6'],
  classifier: ['classifier.0', 'classifier.1', 'classifier.3'],
};

describe('layer tree order', () => {
  test('siblings follow their first compute node, not hoisted Constants', () => {
    const tree = new LayerTree(new OnnxGraph(vggWithHoistedConstants()));
    assert.deepEqual(tree.roots, NETWORK_ORDER.roots);
    assert.deepEqual(tree.get('features')!.children, NETWORK_ORDER.features);
    assert.deepEqual(tree.get('classifier')!.children, NETWORK_ORDER.classifier);
    // The hoisted constants still belong to features.5 (and stay addressable), they just do not decide its place.
    assert.equal(tree.get('features.5')!.nodeCount, 3);
    assert.deepEqual(tree.get('features.5')!.children, ['node:/features/features.5/Clip']);
  });

  test('the torch-exported VGG-style model of model_zoo2 lists Flatten between avgpool and classifier', async () => {
    const tree = new LayerTree((await loadModel(path.join(REPO_ROOT, 'test/data/model_zoo2/vggmini.onnx'))).graph);
    assert.deepEqual(tree.roots, ['features', 'avgpool', 'node:/Flatten', 'classifier']);
    const features = tree.get('features')!.children;
    assert.deepEqual(features, [...features].sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1])));
  });

  test('a module called again later keeps the place of its first call', () => {
    // /act is called before and after /mid: it is listed first.
    const nodes: NodeProto[] = [
      { name: '/act/Relu', opType: 'Relu', input: ['x'], output: ['a'] },
      { name: '/mid/Neg', opType: 'Neg', input: ['a'], output: ['b'] },
      { name: '/act_1/Relu', opType: 'Relu', input: ['b'], output: ['y'] },
    ];
    const vi = (name: string) => ({ name, type: { tensorType: { elemType: ElemType.FLOAT, shape: { dim: [{ dimValue: 2 }] } } } });
    const tree = new LayerTree(new OnnxGraph({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: { name: 'g', node: nodes, input: [vi('x')], output: [vi('y')] } }));
    assert.deepEqual(tree.roots, ['act', 'mid']);
  });

  test('`layerlens layers --json` lists the same order', () => {
    const file = writeModel(vggWithHoistedConstants());
    const r = spawnSync(process.execPath, [BIN, 'layers', file, '--json'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const layers: { id: string; parent: string | null }[] = JSON.parse(r.stdout).layers;
    const childrenOf = (parent: string | null) => layers.filter((l) => l.parent === parent).map((l) => l.id);
    assert.deepEqual(childrenOf(null), NETWORK_ORDER.roots);
    assert.deepEqual(childrenOf('features'), NETWORK_ORDER.features);
    assert.deepEqual(childrenOf('classifier'), NETWORK_ORDER.classifier);
  });
});
