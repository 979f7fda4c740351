/** The "Explain Layer" quick pick lists each layer once (issue 11, item 5). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OnnxGraph } from '../../../src/engine/onnx/graph';
import { type LayerEntry, LayerTree, type ValueSummary } from '../../../src/engine/onnx/layerTree';
import { buildResNet18 } from '../../support/resnet18';
import { layerPickItems } from '../../../src/host/layerPickItems';

/** What the engine's modelTree request returns: every listed entry depth-first, and the values they name. */
function modelTree(tree: LayerTree): { layers: LayerEntry[]; roots: string[]; values: ValueSummary[] } {
  const layers: LayerEntry[] = [];
  const values = new Map<string, ValueSummary>();
  const stack = [...tree.roots].reverse();
  while (stack.length) {
    const e = tree.get(stack.pop()!)!;
    layers.push(e);
    for (const v of [...e.outputs, ...e.inputs]) values.set(v, tree.describeValue(v));
    for (let i = e.children.length - 1; i >= 0; i--) stack.push(e.children[i]);
  }
  return { layers, roots: tree.roots, values: [...values.values()] };
}

describe('layer quick pick', () => {
  const tree = new LayerTree(new OnnxGraph(buildResNet18({ width: 8, classes: 10 })));
  const t = modelTree(tree);
  const items = layerPickItems(t.layers, t.roots, t.values);
  const ids = items.map((i) => i.id);

  test('ResNet-18: every module once, no node row that only repeats its module', () => {
    const modules = t.layers.filter((l) => l.kind === 'module').map((l) => l.id);
    assert.equal(modules.length, 47);
    assert.deepEqual(ids.filter((id) => !id.startsWith('node:')), modules);
    assert.equal(new Set(ids).size, ids.length);
    for (const single of ['node:/conv1/Conv', 'node:/layer1/layer1.0/conv1/Conv', 'node:/layer2/layer2.0/downsample/downsample.0/Conv', 'node:/fc/Gemm'])
      assert.ok(!ids.includes(single), `${single} is listed next to its module`);
    // What stays: each block's residual Add, both calls of a block's reused `relu`, and the unscoped Flatten.
    const nodes = ids.filter((id) => id.startsWith('node:'));
    assert.equal(nodes.filter((id) => id.endsWith('/Add')).length, 8);
    assert.ok(nodes.includes('node:/layer1/layer1.0/relu/Relu') && nodes.includes('node:/layer1/layer1.0/relu_1/Relu'));
    assert.ok(nodes.includes('node:/Flatten'));
    assert.equal(nodes.length, 8 + 16 + 1);
    assert.equal(items.length, 72); // was 96: a node row under every module
  });

  test('rows are in network order, nested modules indented under their parent', () => {
    assert.deepEqual(ids.slice(0, 5), ['conv1', 'relu', 'maxpool', 'layer1', 'layer1.0']);
    assert.deepEqual(ids.slice(-3), ['avgpool', 'node:/Flatten', 'fc']);
    const indent = (id: string) => /^\u2003*/.exec(items.find((i) => i.id === id)!.label)![0].length;
    assert.equal(indent('layer2'), 0);
    assert.equal(indent('layer2.0'), 1);
    assert.equal(indent('layer2.0.downsample.0'), 3);
    assert.equal(indent('node:/layer2/layer2.0/Add'), 2);
    assert.equal(items.find((i) => i.id === 'layer2.0.conv1')!.description, 'Conv');
  });
});
