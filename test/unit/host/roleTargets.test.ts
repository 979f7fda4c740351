/**
 * How the inspector's role targets travel: a "class c where it wins" mask from the webview (checked by the protocol
 * validator), through the host (as uint8 bytes), to the real engine process; and the predictions' views (detections,
 * class map) back to the webview as typed arrays.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ModelSession } from '../../../src/engine/modelSession';
import { wireFloat32 } from '../../../src/engineProcess/wire';
import { EngineClient, forkLauncher } from '../../../src/host/engineClient';
import { predictResponse, wireTarget } from '../../../src/host/inspectorMessages';
import { validateWebviewMessage } from '../../../src/shared/protocol';
import { winsMask } from '../../../src/shared/segmentation';
import { REPO_ROOT } from '../../support/fixtures';

const ENGINE = path.join(REPO_ROOT, 'dist', 'engine-process.js');
const DIR = path.join(REPO_ROOT, 'test', 'data', 'model_roles');
const SEGMENTER = path.join(DIR, 'shapes_segmenter.onnx');
const DETECTOR = path.join(DIR, 'shapes_detector.onnx');
const IMAGE = path.join(DIR, 'shapes_0.png');

const attribute = (target: unknown) => ({ kind: 'request', id: 7, method: 'attribute', params: { layers: ['head'], target, layerInput: false, gradientOnly: false } });

describe('mask targets on the webview wire', () => {
  test('the validator takes a uint8 or float32 mask whose data fills its dims, and nothing else', () => {
    const ok = validateWebviewMessage(attribute({ kind: 'mask', mask: { dims: [1, 4, 2, 2], data: new Uint8Array(16) } }));
    assert.notEqual(typeof ok, 'string', String(ok));
    assert.notEqual(typeof validateWebviewMessage(attribute({ kind: 'mask', mask: { dims: [4, 2, 2], data: new Float32Array(16).fill(0.5) } })), 'string');
    assert.match(String(validateWebviewMessage(attribute({ kind: 'mask', mask: { dims: [1, 4, 2, 2], data: new Uint8Array(15) } }))), /hold 16 elements but data has 15/);
    assert.match(String(validateWebviewMessage(attribute({ kind: 'mask', mask: { dims: [16], data: new Int32Array(16) } }))), /expected a Float32Array, got Int32Array/);
    assert.match(String(validateWebviewMessage(attribute({ kind: 'mask', mask: { dims: [2], data: Float32Array.of(1, NaN) } }))), /must be finite/);
    assert.match(String(validateWebviewMessage(attribute({ kind: 'mask', mask: { dims: [2], data: new Uint8Array(2) }, extra: 1 }))), /unexpected field 'extra'/);
    assert.match(String(validateWebviewMessage(attribute({ kind: 'mask', mask: { dims: [2], data: [0, 1] } }))), /expected a Float32Array, got an array/);
  });

  test('the host sends a mask to the engine as its bytes, with its element type', () => {
    const m = wireTarget({ kind: 'mask', mask: { dims: [1, 2], data: Uint8Array.of(0, 1) } });
    assert.deepEqual(m, { kind: 'mask', mask: { dtype: 'uint8', dims: [1, 2], data: Uint8Array.of(0, 1) } });
    const f = wireTarget({ kind: 'mask', mask: { dims: [1], data: Float32Array.of(0.5) } });
    assert.equal(f.kind === 'mask' && f.mask.dtype, 'float32');
    assert.deepEqual(wireTarget({ kind: 'tuple', tuple: [3, 1] }), { kind: 'tuple', tuple: [3, 1] });
  });
});

const skip = !fs.existsSync(ENGINE) ? 'dist/engine-process.js is not built' : !fs.existsSync(SEGMENTER) ? 'test/data/model_roles is missing' : false;

describe('role targets through the real engine process', { skip }, () => {
  let client: EngineClient;
  before(() => {
    client = new EngineClient({ launcher: forkLauncher(ENGINE), memoryLimitMb: () => 1024, requestTimeoutMs: () => 60_000 });
  });
  after(() => client.dispose());

  test('the model info carries each output role; a detector answers with ranked detections', async () => {
    const info = await client.openModel(DETECTOR);
    assert.deepEqual(
      info.outputs.map((o) => [o.name, o.role.role, o.role.companion]),
      [
        ['scores', 'detector', 'boxes'],
        ['boxes', 'boxes', 'scores'],
      ],
    );
    const p = predictResponse(await client.predict({ model: DETECTOR, inputs: [{ file: IMAGE }], top: 3 }));
    assert.equal(p.view?.role, 'detector');
    assert.ok(p.view?.role === 'detector' && p.view.detections[0][0].box);
  });

  test('"class c where it wins": the class map arrives as bytes, the mask goes back as bytes, the attribution equals the in-process one', async () => {
    const p = predictResponse(await client.predict({ model: SEGMENTER, inputs: [{ file: IMAGE }], top: 3 }));
    assert.equal(p.view?.role, 'segmentation');
    if (p.view?.role !== 'segmentation') return;
    assert.ok(p.view.classMap.data instanceof Uint8Array, 'a typed array, not a number list');
    const cls = p.view.pixels[0].indexOf(Math.max(...p.view.pixels[0].slice(1)));
    const m = winsMask({ dims: p.view.classMap.dims, data: p.view.classMap.data as Uint8Array, classes: 4 }, cls);
    const target = wireTarget({ kind: 'mask', mask: { dims: m.dims, data: m.data } });
    const res = await client.attribute({ model: SEGMENTER, layers: ['dec2'], inputs: [{ file: IMAGE }], target });
    const viaProcess = wireFloat32(res.attributions[0][0]);
    const s = await ModelSession.open(SEGMENTER);
    try {
      const { loadInputTensor } = await import('../../../src/engine/tensor/image');
      const { modelPreprocess } = await import('../../../src/engine/preprocess');
      const x = await loadInputTensor(IMAGE, modelPreprocess(s).preprocess);
      const local = await s.attribute({ layers: ['dec2'], inputs: [x], target: { kind: 'mask', mask: { dtype: 'uint8', dims: m.dims, data: m.data } }, threads: 1 });
      const want = local.attributions[0][0].data as Float32Array;
      let maxDiff = 0;
      let maxAbs = 0;
      for (let i = 0; i < want.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(want[i] - viaProcess[i]));
        maxAbs = Math.max(maxAbs, Math.abs(want[i]));
      }
      assert.ok(maxAbs > 0, 'a non-zero attribution');
      assert.ok(maxDiff <= 1e-5 * maxAbs, `max diff ${maxDiff} (max |a| ${maxAbs})`);
    } finally {
      await s.dispose();
    }
  });
});
