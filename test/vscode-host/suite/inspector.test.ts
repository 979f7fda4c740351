/** "Explain Layer" opens the inspector; the inspector answers the webview protocol through the engine. */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { writeNpy } from '../../../src/engine/tensor/npy';
import { after, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { InspectorPanel } from '../../../src/host/inspectorPanel';
import type { AttributeParams, AttributeResponse, PredictResponse, ResponseMessage } from '../../../src/shared/protocol';
import { api, closeAllEditors, findInspectorTab, requestId, silenceWebview, waitFor, wsFile } from './helpers';
import { fullResolutionConvNet, tempDir, writeModel } from '../../support/tinyModels';

describe('Explain Layer and the inspector', function () {
  this.timeout(60_000);
  const model = () => wsFile('models', 'small_cnn.onnx');

  before(closeAllEditors);
  after(closeAllEditors);

  it('with a Uri and a layer id opens the inspector panel on it', async () => {
    const panel = (await vscode.commands.executeCommand('layerlens.explainLayer', model(), 'conv2')) as InspectorPanel | undefined;
    assert.ok(panel, 'the command returns the inspector');
    const tab = await waitFor('the inspector tab', () => findInspectorTab('LayerLens: small_cnn.onnx'));
    assert.ok(tab.isActive);
    assert.strictEqual(panel.modelUri.fsPath, model().fsPath);
  });

  it('reuses the open inspector for the same model', async () => {
    const a = (await vscode.commands.executeCommand('layerlens.explainLayer', model(), 'conv1')) as InspectorPanel;
    const b = (await vscode.commands.executeCommand('layerlens.explainLayer', model(), 'fc1')) as InspectorPanel;
    assert.strictEqual(a, b);
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.label === 'LayerLens: small_cnn.onnx');
    assert.strictEqual(tabs.length, 1);
  });

  it('serves the webview a strict CSP with a nonce and no inline script', async () => {
    const panel = (await vscode.commands.executeCommand('layerlens.explainLayer', model(), 'conv2')) as InspectorPanel;
    const html = panel.panel.webview.html;
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-[A-Za-z0-9]{16,}'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(html, /<script nonce="[A-Za-z0-9]+" src="[^"]*dist\/webview\/main\.js"/);
    assert.strictEqual(panel.panel.options.retainContextWhenHidden, false);
    const roots = (panel.panel.webview.options.localResourceRoots ?? []).map((u) => u.path);
    assert.ok(roots.length === 2 && roots.some((r) => r.endsWith('/dist/webview')) && roots.some((r) => r.endsWith('/media')), roots.join(', '));
  });

  it('answers predict and attribute for the picked input, with float32 heatmaps of the layer’s shape', async () => {
    const panel = (await vscode.commands.executeCommand('layerlens.explainLayer', model(), 'conv2')) as InspectorPanel;
    await silenceWebview(panel);
    const input = await panel.loadInput(wsFile('inputs', 'pattern.png').fsPath);
    assert.deepStrictEqual(input.tensorDims, [1, 3, 32, 32]);
    assert.ok(input.image && input.image.rgba.length === input.image.width * input.image.height * 4);
    const pred = (await panel.receive({ kind: 'request', id: requestId(), method: 'predict', params: { top: 3 } })) as ResponseMessage<PredictResponse>;
    assert.ok(pred.result, pred.error?.message);
    assert.strictEqual(pred.result.top[0].length, 3);
    const reply = (await panel.receive({
      kind: 'request',
      id: requestId(),
      method: 'attribute',
      params: { layers: ['conv2'], target: { kind: 'index', index: pred.result.top[0][0].index }, layerInput: false, gradientOnly: false },
    })) as ResponseMessage<AttributeResponse>;
    assert.ok(reply.result, reply.error?.message);
    const t = reply.result.layers[0].tensors[0];
    assert.ok(t.data instanceof Float32Array);
    assert.strictEqual(t.dims.length, 4);
    assert.strictEqual(t.dims[0], 1);
    assert.strictEqual(t.data.length, t.dims.reduce((a, b) => a * b, 1));
    assert.deepStrictEqual(reply.result.output.dims, [1, 10]);
  });

  it('sends a large layer in its display form (sum, channel totals, top channels); the engine keeps the whole for Export .npy', async () => {
    const dir = tempDir();
    const file = writeModel(fullResolutionConvNet(), dir, 'fullres.onnx');
    const x = path.join(dir, 'x.npy');
    await writeNpy(x, { dtype: 'float32', dims: [1, 3, 224, 224], data: Float32Array.from({ length: 3 * 224 * 224 }, (_v, i) => Math.sin(i * 0.01)) });
    const panel = (await vscode.commands.executeCommand('layerlens.explainLayer', vscode.Uri.file(file), 'stem.conv')) as InspectorPanel;
    await silenceWebview(panel);
    await panel.loadInput(x);
    const id = requestId();
    const reply = (await panel.receive({ kind: 'request', id, method: 'attribute', params: { layers: ['stem.conv'], target: { kind: 'index', index: 1 }, layerInput: false, gradientOnly: false } })) as ResponseMessage<AttributeResponse>;
    assert.ok(reply.result, reply.error?.message);
    const t = reply.result.layers[0].tensors[0];
    assert.deepStrictEqual(t.dims, [1, 64, 224, 224]);
    assert.ok(t.reduced, 'the display form');
    assert.strictEqual(t.reduced.channels.length, 12);
    assert.deepStrictEqual(t.reduced.thumb, { width: 112, height: 112 });
    // 12 of 64 channels as thumbnails, 8 bits each (the webview unpacks them into `data`).
    assert.strictEqual(t.data.length, 0);
    assert.ok(t.reduced.packed);
    assert.strictEqual(t.reduced.packed.q.length, 12 * 112 * 112, '12 of 64 channels, as thumbnails');
    assert.strictEqual(t.reduced.packed.scales.length, 12);
    // The whole tensor stayed with the engine process: Export .npy asks it for it.
    const whole = await (panel as unknown as { npyTensor(p: { ref: { requestId: number; layer: number; tensor: number } }): Promise<{ dims: number[]; data: Float32Array }> }).npyTensor({ ref: { requestId: id, layer: 0, tensor: 0 } });
    assert.deepStrictEqual(whole.dims, [1, 64, 224, 224]);
    // The sum over channels sent equals the whole tensor's.
    for (const s of [0, 1000, 224 * 224 - 1]) {
      let acc = 0;
      for (let c = 0; c < 64; c++) acc += whole.data[c * 224 * 224 + s];
      assert.ok(Math.abs(acc - t.reduced.sum[s]) <= 1e-5 * (1 + Math.abs(acc)), `sum at ${s}`);
    }
    // A kept channel at full size, on request, is the whole tensor's channel.
    const c0 = t.reduced.channels[0];
    const plane = (await panel.receive({ kind: 'request', id: requestId(), method: 'channel', params: { ref: { requestId: id, layer: 0, tensor: 0 }, example: 0, channel: c0 } })) as ResponseMessage<{ dims: number[]; data: Float32Array }>;
    assert.ok(plane.result, plane.error?.message);
    assert.deepStrictEqual(plane.result.dims, [224, 224]);
    assert.deepStrictEqual(Array.from(plane.result.data.subarray(0, 224 * 3)), Array.from(whole.data.subarray(c0 * 224 * 224, c0 * 224 * 224 + 224 * 3)));
    const bad = (await panel.receive({ kind: 'request', id: requestId(), method: 'channel', params: { ref: { requestId: id, layer: 0, tensor: 0 }, example: 0, channel: 64 } })) as ResponseMessage<unknown>;
    assert.match(bad.error?.message ?? '', /no channel 64/i);
  });

  it("passes Captum's layer methods through to the engine: IG with a constant baseline and its delta, feature ablation per channel", async () => {
    const panel = (await vscode.commands.executeCommand('layerlens.explainLayer', model(), 'conv2')) as InspectorPanel;
    await silenceWebview(panel);
    await panel.loadInput(wsFile('inputs', 'pattern.png').fsPath);
    const attribute = async (method: AttributeParams['method']) => {
      const reply = (await panel.receive({ kind: 'request', id: requestId(), method: 'attribute', params: { layers: ['conv2'], target: { kind: 'index', index: 1 }, layerInput: false, gradientOnly: false, method } })) as ResponseMessage<AttributeResponse>;
      assert.ok(reply.result, reply.error?.message);
      return reply.result;
    };
    const ig = await attribute({ name: 'integrated-gradients', nSteps: 8, baseline: 0.5, convergenceDelta: true });
    assert.deepStrictEqual(ig.layers[0].tensors[0].dims, [1, 16, 8, 8]);
    assert.ok(ig.delta?.data instanceof Float32Array && ig.delta.data.length === 1 && Number.isFinite(ig.delta.data[0]), 'one delta per example');
    const zero = await attribute({ name: 'integrated-gradients', nSteps: 8 });
    assert.notDeepStrictEqual([...zero.layers[0].tensors[0].data], [...ig.layers[0].tensors[0].data], 'the baseline reached the engine');
    assert.strictEqual(zero.delta, undefined);
    const fa = await attribute({ name: 'feature-ablation', layerMask: { dims: [1, 16, 1, 1], data: Float32Array.from({ length: 16 }, (_v, i) => i) } });
    const t = fa.layers[0].tensors[0];
    for (let c = 0; c < 16; c++) assert.ok(t.data.slice(c * 64, c * 64 + 64).every((v) => v === t.data[c * 64]), `channel ${c} is one group`);
    const cam = await attribute({ name: 'gradcam' });
    assert.deepStrictEqual(cam.layers[0].tensors[0].dims, [1, 1, 8, 8]);
  });

  it('refuses malformed webview messages with an error reply', async () => {
    const panel = (await vscode.commands.executeCommand('layerlens.explainLayer', model(), 'conv2')) as InspectorPanel;
    const id = requestId();
    const reply = await panel.receive({ kind: 'request', id, method: 'attribute', params: { layers: ['conv2'], target: { kind: 'index', index: 0 }, layerInput: false, gradientOnly: false, file: '/etc/passwd' } });
    assert.strictEqual(reply?.id, id);
    assert.strictEqual(reply?.error?.code, 'invalid-message');
    assert.strictEqual(await panel.receive({ kind: 'evil' }), undefined);
  });

  it('reports engine errors in place, naming the layer', async () => {
    const panel = (await vscode.commands.executeCommand('layerlens.explainLayer', model(), 'conv2')) as InspectorPanel;
    await silenceWebview(panel);
    await panel.loadInput(wsFile('inputs', 'pattern.png').fsPath);
    const reply = await panel.receive({ kind: 'request', id: requestId(), method: 'attribute', params: { layers: ['no.such.layer'], target: { kind: 'index', index: 0 }, layerInput: false, gradientOnly: false } });
    assert.strictEqual(reply?.error?.code, 'unknown-layer');
    assert.match(reply.error.message, /no\.such\.layer/);
  });

  it('opens from a tree node argument and as the custom editor', async () => {
    const a = await api();
    const models = await a.tree.getChildren();
    const node = models.find((n) => n.kind === 'model' && n.uri.fsPath === model().fsPath)!;
    const layers = await a.tree.getChildren(node);
    const conv1 = layers.find((n) => n.kind === 'layer' && n.layer.id === 'conv1')!;
    await closeAllEditors();
    const panel = (await vscode.commands.executeCommand('layerlens.explainLayer', conv1)) as InspectorPanel;
    assert.ok(panel);
    await waitFor('the inspector tab', () => findInspectorTab('LayerLens: small_cnn.onnx'));
    await closeAllEditors();
    await vscode.commands.executeCommand('vscode.openWith', model(), 'layerlens.inspector');
    await waitFor('the custom editor tab', () =>
      vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputCustom && t.input.viewType === 'layerlens.inspector'),
    );
    await waitFor('the inspector behind the custom editor', () => a.inspectors().find((p) => p.modelUri.fsPath === model().fsPath));
  });

  it('opens the bundled demo model with a sample input', async () => {
    await closeAllEditors();
    const panel = (await vscode.commands.executeCommand('layerlens.openDemo')) as InspectorPanel;
    assert.ok(panel);
    await waitFor('the demo inspector tab', () => findInspectorTab('LayerLens: fashion_mnist_cnn.onnx'));
    const a = await api();
    assert.ok(fs.existsSync(a.services.demoModel.fsPath));
  });
});
