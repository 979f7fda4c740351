/** The sidebar tree: workspace models, lazy layer children, ranges, reveal paths, errors as items. */
import * as assert from 'assert';
import * as fs from 'fs';
import { describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { LayerNode, ModelNode, RangeNode, TreeNode } from '../../../src/host/layerTreeView';
import { writeFlatReluChain } from '../../unit/host/bigModel';
import { api, wsFile } from './helpers';

describe('LayerLens tree view', function () {
  this.timeout(30_000);

  async function modelNode(name: string): Promise<ModelNode> {
    const a = await api();
    const roots = await a.tree.getChildren();
    const n = roots.find((r) => r.kind === 'model' && r.uri.fsPath === wsFile('models', name).fsPath);
    assert.ok(n, `${name} listed among ${roots.map((r) => (r.kind === 'model' ? r.uri.fsPath : r.kind)).join(', ')}`);
    return n as ModelNode;
  }

  it('lists the workspace models', async () => {
    const a = await api();
    const roots = await a.tree.getChildren();
    assert.ok(roots.every((r) => r.kind === 'model'));
    await modelNode('small_cnn.onnx');
    await modelNode('broken.onnx');
    const item = a.tree.getTreeItem(await modelNode('small_cnn.onnx'));
    assert.strictEqual(item.contextValue, 'layerlens.model');
    assert.strictEqual(item.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
  });

  it('expands a model into its top-level layers, and a layer into its children, lazily', async () => {
    const a = await api();
    const m = await modelNode('small_cnn.onnx');
    const top = (await a.tree.getChildren(m)) as LayerNode[];
    const ids = top.map((n) => n.layer.id);
    for (const id of ['conv1', 'conv2', 'fc1', 'fc2']) assert.ok(ids.includes(id), `${id} in ${ids.join(', ')}`);
    const conv1 = top.find((n) => n.layer.id === 'conv1')!;
    const item = a.tree.getTreeItem(conv1);
    assert.strictEqual(item.contextValue, 'layerlens.layer');
    assert.strictEqual(item.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    assert.match(String(item.description), /Conv/);
    const kids = (await a.tree.getChildren(conv1)) as LayerNode[];
    assert.deepStrictEqual(
      kids.map((k) => k.layer.id),
      ['node:/conv1/Conv'],
    );
    assert.strictEqual(a.tree.getTreeItem(kids[0]).collapsibleState, vscode.TreeItemCollapsibleState.None);
    assert.deepStrictEqual(await a.tree.getChildren(kids[0]), []);
    assert.strictEqual(a.tree.getParent(kids[0]), conv1);
    assert.strictEqual(a.tree.getParent(conv1), m);
  });

  it('finds the node chain for reveal, with the same objects as the tree', async () => {
    const a = await api();
    const m = await modelNode('small_cnn.onnx');
    const top = await a.tree.getChildren(m);
    const conv1 = top.find((n) => n.kind === 'layer' && n.layer.id === 'conv1');
    const node = await a.tree.nodeForLayer(m.uri, 'node:/conv1/Conv');
    assert.ok(node);
    assert.strictEqual(a.tree.getParent(node), conv1);
  });

  it('shows a corrupt model as one item with a one-line error', async () => {
    const a = await api();
    const kids: TreeNode[] = await a.tree.getChildren(await modelNode('broken.onnx'));
    assert.strictEqual(kids.length, 1);
    assert.strictEqual(kids[0].kind, 'message');
    const label = String(a.tree.getTreeItem(kids[0]).label);
    assert.match(label, /not a valid ONNX model/);
    assert.ok(!label.includes('\n'));
  });

  it('a 20k-node model expands at once, in ranges of 500, and reveal finds a layer deep in a range', async () => {
    const a = await api();
    const big = wsFile('models', 'tmp-big.onnx');
    writeFlatReluChain(big.fsPath, 20_000);
    try {
      a.tree.refresh();
      const m = await modelNode('tmp-big.onnx');
      const t0 = Date.now();
      const ranges = (await a.tree.getChildren(m)) as RangeNode[];
      const firstMs = Date.now() - t0;
      assert.strictEqual(ranges.length, 40);
      assert.ok(ranges.every((r) => r.kind === 'range'));
      assert.strictEqual(String(a.tree.getTreeItem(ranges[2]).label), '[1000…1499]');
      const t1 = Date.now();
      const page = (await a.tree.getChildren(ranges[2])) as LayerNode[];
      const pageMs = Date.now() - t1;
      assert.strictEqual(page.length, 500);
      assert.strictEqual(page[0].layer.id, 'node:relu_1000');
      assert.ok(pageMs < 500, `expanding a range took ${pageMs} ms`);
      assert.ok(firstMs < 10_000, `opening the model took ${firstMs} ms`);
      const node = await a.tree.nodeForLayer(m.uri, 'node:relu_1234');
      assert.ok(node);
      // By key: the file watcher may refresh the tree (new node objects) while this test runs.
      const range = a.tree.getParent(node);
      assert.strictEqual(range?.key, ranges[2].key);
      assert.strictEqual(a.tree.getParent(range!)?.key, m.key);
    } finally {
      fs.rmSync(big.fsPath, { force: true });
      a.tree.refresh();
    }
  });
});
