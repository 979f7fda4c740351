/** The engine child process under the real extension host: attributions, a kill mid-request, corrupt models. */
import * as assert from 'assert';
import * as fs from 'fs';
import { after, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { EngineError } from '../../../src/host/engineClient';
import type { InspectorPanel } from '../../../src/host/inspectorPanel';
import type { AttributeResponse, ResponseMessage } from '../../../src/shared/protocol';
import { api, closeAllEditors, requestId, silenceWebview, wsFile } from './helpers';

function wireDims(w: { dims: number[] }): number[] {
  return w.dims;
}

describe('engine process', function () {
  this.timeout(60_000);
  const model = () => wsFile('models', 'small_cnn.onnx').fsPath;
  const image = () => wsFile('inputs', 'pattern.png').fsPath;
  const attributeParams = () => ({ model: model(), layers: ['conv2'], inputs: [{ file: image() }], target: { kind: 'index' as const, index: 3 } });

  before(closeAllEditors);
  after(closeAllEditors);

  it('runs in a child process, not in the extension host', async () => {
    const a = await api();
    const hello = await a.engine.hello();
    assert.notStrictEqual(hello.pid, process.pid);
    assert.strictEqual(hello.pid, a.engine.pid);
    assert.strictEqual(hello.memoryLimitMb, 4096);
  });

  it('computes an attribution of the fixture model with the right shape', async () => {
    const a = await api();
    const res = await a.engine.attribute(attributeParams());
    const dims = wireDims(res.attributions[0][0]);
    assert.strictEqual(dims.length, 4);
    assert.strictEqual(dims[0], 1);
    assert.ok(res.attributions[0][0].data instanceof Uint8Array, 'heatmaps cross as bytes, not base64 text');
    assert.strictEqual(res.attributions[0][0].data.length, 4 * dims.reduce((x, y) => x * y, 1));
    assert.deepStrictEqual(res.output.dims, [1, 10]);
  });

  it('killing the engine mid-attribution rejects that request clearly; VS Code keeps working; the next attribution succeeds', async () => {
    const a = await api();
    await a.engine.hello();
    const pid = a.engine.pid!;
    // Integrated gradients with 20,000 steps keeps the engine busy for about a second (a plain attribution of this
    // small model can answer before the kill lands); the kill comes with the request's first stage, so it is in flight.
    let killed = false;
    const pending = a.engine.attribute(
      { ...attributeParams(), method: { name: 'integrated-gradients', nSteps: 20_000 } },
      {
        onStage: () => {
          if (!killed) process.kill(pid); // the engine runs already (hello above): its pid is known
          killed = true;
        },
      },
    );
    let err: EngineError | undefined;
    try {
      await pending;
    } catch (e) {
      err = e as EngineError;
    }
    assert.ok(err, 'the request was rejected');
    assert.strictEqual(err.code, 'engine-stopped');
    assert.match(err.message, /The LayerLens engine was stopped \(SIGTERM\) during this request; it has been restarted/);
    assert.ok(!err.message.includes('\n'));
    // The editor is fine: its APIs answer and LayerLens' own commands still run.
    const stat = await vscode.workspace.fs.stat(wsFile('models', 'small_cnn.onnx'));
    assert.ok(stat.size > 0);
    await vscode.commands.executeCommand('layerlens.refreshModels');
    const res = await a.engine.attribute(attributeParams());
    assert.strictEqual(wireDims(res.attributions[0][0])[0], 1);
    assert.notStrictEqual(a.engine.pid, pid, 'a fresh process');
  });

  it('the inspector survives a kill mid-attribution too', async () => {
    const a = await api();
    const panel = (await vscode.commands.executeCommand('layerlens.explainLayer', wsFile('models', 'small_cnn.onnx'), 'conv2')) as InspectorPanel;
    await silenceWebview(panel);
    await panel.loadInput(image());
    const params = { layers: ['conv2'], target: { kind: 'index' as const, index: 1 }, layerInput: false, gradientOnly: false };
    const pid = a.engine.pid!;
    // Killed while the request is in flight: integrated gradients at the most steps the inspector allows keeps the
    // engine busy for a few hundred milliseconds (a plain attribution of this small model can finish before the kill).
    const pending = panel.receive({ kind: 'request', id: requestId(), method: 'attribute', params: { ...params, method: { name: 'integrated-gradients', nSteps: 4096 } } });
    process.kill(pid);
    const failed = (await pending) as ResponseMessage<AttributeResponse>;
    assert.strictEqual(failed.error?.code, 'engine-stopped');
    const ok = (await panel.receive({ kind: 'request', id: requestId(), method: 'attribute', params })) as ResponseMessage<AttributeResponse>;
    assert.ok(ok.result, ok.error?.message);
  });

  it('a superseded attribution from the same panel is cancelled', async () => {
    const panel = (await vscode.commands.executeCommand('layerlens.explainLayer', wsFile('models', 'small_cnn.onnx'), 'conv2')) as InspectorPanel;
    await silenceWebview(panel);
    await panel.loadInput(image());
    const ask = (layer: string) =>
      panel.receive({ kind: 'request', id: requestId(), method: 'attribute', params: { layers: [layer], target: { kind: 'index', index: 0 }, layerInput: false, gradientOnly: false } });
    const [first, second] = await Promise.all([ask('conv1'), ask('conv2')]);
    assert.strictEqual(first?.error?.code, 'superseded');
    assert.ok(second?.result);
  });

  it('a corrupt model gives a one-line error', async () => {
    const a = await api();
    const broken = wsFile('models', 'broken.onnx').fsPath;
    assert.ok(fs.existsSync(broken));
    let err: EngineError | undefined;
    try {
      await a.engine.openModel(broken);
    } catch (e) {
      err = e as EngineError;
    }
    assert.ok(err);
    assert.strictEqual(err.code, 'model-invalid');
    assert.match(err.message, /broken\.onnx' is not a valid ONNX model/);
    assert.ok(!err.message.includes('\n'));
  });
});
