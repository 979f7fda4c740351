/** Preprocessing saved from the inspector: an atomic sidecar write; a corrupt sidecar reported, not overwritten. */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { after, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { InspectorPanel } from '../../../src/host/inspectorPanel';
import { restorableModel } from '../../../src/host/inspectorSerializer';
import type { ResponseMessage } from '../../../src/shared/protocol';
import { api, closeAllEditors, requestId, silenceWebview, workspaceRoot, wsFile } from './helpers';

describe('preprocessing sidecar', function () {
  this.timeout(60_000);
  let modelPath: string;
  let sidecar: string;
  let panel: InspectorPanel;

  before(async () => {
    // A private copy of the model, so the sidecar written here never touches the shared fixture.
    modelPath = path.join(workspaceRoot(), 'models', 'tmp-sidecar.onnx');
    sidecar = `${modelPath}.layerlens.json`;
    fs.copyFileSync(wsFile('models', 'small_cnn.onnx').fsPath, modelPath);
    fs.rmSync(sidecar, { force: true });
    panel = (await vscode.commands.executeCommand('layerlens.explainLayer', vscode.Uri.file(modelPath), 'conv1')) as InspectorPanel;
    await silenceWebview(panel);
    await panel.loadInput(wsFile('inputs', 'pattern.png').fsPath);
  });

  after(async () => {
    await closeAllEditors();
    fs.rmSync(modelPath, { force: true });
    fs.rmSync(sidecar, { force: true });
  });

  const setPreprocess = (remember: boolean, size: [number, number] = [32, 32]) =>
    panel.receive({
      kind: 'request',
      id: requestId(),
      method: 'setPreprocess',
      params: { preprocess: { size, range: [0, 1], mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], layout: 'nchw', channels: 3 }, remember },
    }) as Promise<ResponseMessage<{ preprocess: unknown }>>;

  it('writes <model>.layerlens.json atomically (no temp file left) when asked to remember', async () => {
    const reply = await setPreprocess(true);
    assert.ok(reply.result, reply.error?.message);
    const saved = JSON.parse(fs.readFileSync(sidecar, 'utf8'));
    assert.deepStrictEqual(saved.preprocess.mean, [0.5, 0.5, 0.5]);
    assert.deepStrictEqual(saved.preprocess.size, [32, 32]);
    const leftovers = fs.readdirSync(path.dirname(modelPath)).filter((f) => f.endsWith('.tmp'));
    assert.deepStrictEqual(leftovers, []);
    assert.deepStrictEqual(panel.state.preprocess?.mean, [0.5, 0.5, 0.5]);
  });

  it('does not write anything when not asked to remember', async () => {
    const before = fs.readFileSync(sidecar, 'utf8');
    const reply = await setPreprocess(false, [32, 32]);
    assert.ok(reply.result);
    assert.strictEqual(fs.readFileSync(sidecar, 'utf8'), before);
  });

  it('reports a corrupt sidecar and leaves it unchanged', async () => {
    const corrupt = '{"preprocess": {"size": [32, 32], ';
    fs.writeFileSync(sidecar, corrupt);
    const reply = await setPreprocess(true);
    assert.strictEqual(reply.error?.code, 'sidecar-corrupt');
    assert.match(reply.error.message, /tmp-sidecar\.onnx\.layerlens\.json is not valid \(not JSON/);
    assert.strictEqual(fs.readFileSync(sidecar, 'utf8'), corrupt);
  });

  it('restores panels only for models inside the workspace or the extension media', async () => {
    const a = await api();
    assert.strictEqual(restorableModel(a.services, { modelKey: vscode.Uri.file(modelPath).toString() })?.fsPath, modelPath);
    assert.ok(restorableModel(a.services, { modelKey: a.services.demoModel.toString() }));
    assert.strictEqual(restorableModel(a.services, { modelKey: vscode.Uri.file('/etc/model.onnx').toString() }), undefined);
    assert.strictEqual(restorableModel(a.services, { modelKey: vscode.Uri.file(path.join(workspaceRoot(), 'README.md')).toString() }), undefined);
    assert.strictEqual(restorableModel(a.services, { modelKey: 'https://example.com/m.onnx' }), undefined);
    assert.strictEqual(restorableModel(a.services, 42), undefined);
  });
});
