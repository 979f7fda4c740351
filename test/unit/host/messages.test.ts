/** What the host accepts from the webview and how it words engine answers; paths, sidecar, CSP, wire tensors. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { previewSize, tensorPreview } from '../../../src/engineProcess/preview';
import { fromWire, toWire } from '../../../src/engineProcess/wire';
import { EngineError } from '../../../src/host/engineClient';
import { attributeResponse, checkWebviewMessage, errorInfo, inputInfo, pngBytes, wireMethod } from '../../../src/host/inspectorMessages';
import { isInside, isInsideAny, isInputFile, isOnnxFile } from '../../../src/host/paths';
import { SidecarCorruptError, checkSidecarText, readSidecar, sidecarPath, writeSidecar } from '../../../src/host/sidecar';
import { contentSecurityPolicy, inspectorHtml } from '../../../src/host/webviewHtml';
import type { WireAttributeResult, WireTensor } from '../../../src/shared/engineWire';

describe('webview messages', () => {
  test('a valid attribute request passes, typed', () => {
    const r = checkWebviewMessage({
      kind: 'request',
      id: 7,
      method: 'attribute',
      params: { layers: ['features.conv2'], target: { kind: 'index', index: 3 }, layerInput: false, gradientOnly: false },
    });
    assert.equal(r.ok, true);
    if (r.ok) assert.equal(r.message.method, 'attribute');
  });

  for (const [name, msg] of [
    ['not an object', 'hello'],
    ['unknown method', { kind: 'request', id: 1, method: 'runShell', params: {} }],
    ['extra field', { kind: 'request', id: 1, method: 'ready', params: { protocolVersion: 1 }, path: '/etc/passwd' }],
    ['extra param', { kind: 'request', id: 2, method: 'pickInput', params: { inputIndex: 0, path: '/etc/passwd' } }],
    ['bad target', { kind: 'request', id: 3, method: 'attribute', params: { layers: ['a'], target: { kind: 'index', index: 1.5 }, layerInput: false, gradientOnly: false } }],
    ['folder in an export name', { kind: 'request', id: 4, method: 'exportNpy', params: { suggestedName: '../../x.npy', tensor: { dims: [1], data: new Float32Array(1) } } }],
    ['not a PNG', { kind: 'request', id: 5, method: 'exportPng', params: { suggestedName: 'a.png', png: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) } }],
    ['numbers instead of a Float32Array', { kind: 'request', id: 6, method: 'exportNpy', params: { suggestedName: 'a.npy', tensor: { dims: [2], data: [1, 2] } } }],
    ['a prototype-polluting object', JSON.parse('{"kind":"request","id":9,"method":"ready","params":{"protocolVersion":1},"__proto__":{"x":1}}')],
  ] as const) {
    test(`refuses: ${name}`, () => {
      const r = checkWebviewMessage(msg);
      assert.equal(r.ok, false);
      if (!r.ok) {
        const id = typeof msg === 'object' ? (msg as { id?: number }).id : undefined;
        if (id !== undefined) {
          assert.equal(r.reply?.id, id, 'a refused request with an id gets an error reply');
          assert.equal(r.reply?.error?.code, 'invalid-message');
        } else assert.equal(r.reply, undefined);
      }
    });
  }

  test('a preprocessing reaches the host with every field (one type on both sides, no conversion)', () => {
    const spec = { size: [28, 28] as [number, number], channels: 1 as const, range: [0, 1] as [number, number], mean: [0.286], std: [0.353], layout: 'nchw' as const, resize: 'center-crop' as const, channelOrder: 'rgb' as const };
    const r = checkWebviewMessage({ kind: 'request', id: 8, method: 'setPreprocess', params: { preprocess: spec, remember: false } });
    assert.equal(r.ok, true);
    if (r.ok && r.message.method === 'setPreprocess') assert.deepEqual(r.message.params.preprocess, spec);
  });

  /** The engine's answer for one layer of a [1, 10] classifier, with these attributions. */
  const engineResult = (attributions: WireAttributeResult['attributions'], valueName: string): WireAttributeResult => ({
    attributions,
    valueNames: [[valueName]],
    output: toWire({ dtype: 'float32', dims: [1, 10], data: new Float32Array(10) }),
    outputName: 'logits',
    provider: 'cpu',
    providerNotes: [],
    timings: { load: 1, compile: 2, run: 3 },
  });

  test('attribution answers become Float32Array payloads with value names', () => {
    const data = new Float32Array([1, -2, 3, -4, 5, -6]);
    const res = attributeResponse(['conv'], engineResult([[toWire({ dtype: 'float32', dims: [1, 1, 2, 3], data })]], '/conv/Conv_output_0'));
    const t = res.layers[0].tensors[0];
    assert.ok(t.data instanceof Float32Array);
    assert.deepEqual([...t.data], [...data]);
    assert.equal(t.data.byteOffset, 0);
    assert.equal(t.data.byteLength, t.data.buffer.byteLength, 'a whole buffer, so postMessage can transfer it');
    assert.equal(t.valueName, '/conv/Conv_output_0');
    assert.deepEqual(res.output, { name: 'logits', dims: [1, 10] });
  });

  test('a result asked for in its display form passes through as the engine sent it', () => {
    const reduced = { channels: [0, 2], thumb: { width: 2, height: 2 }, sum: new Float32Array(4), totals: new Float32Array(3) };
    const data = Float32Array.from({ length: 8 }, (_v, i) => i);
    const res = attributeResponse(['conv'], { ...engineResult([], 'v'), shown: [[{ dims: [1, 3, 2, 2], data, reduced }]], kept: 7 });
    const t = res.layers[0].tensors[0];
    assert.equal(t.data, data);
    assert.equal(t.reduced, reduced);
    assert.deepEqual(t.dims, [1, 3, 2, 2]);
    assert.equal(t.valueName, 'v');
  });

  test("an attribution's convergence delta reaches the webview as a float32 tensor", () => {
    const res = attributeResponse(['conv'], {
      attributions: [[toWire({ dtype: 'float32', dims: [2, 1], data: new Float32Array(2) })]],
      valueNames: [['v']],
      delta: toWire({ dtype: 'float32', dims: [2], data: Float32Array.of(3.1e-4, -2e-3) }),
      output: toWire({ dtype: 'float32', dims: [2, 10], data: new Float32Array(20) }),
      outputName: 'logits',
      provider: 'cpu',
      providerNotes: [],
      timings: { load: 1, compile: 2, run: 3 },
    });
    assert.deepEqual(res.delta?.dims, [2]);
    assert.ok(res.delta?.data instanceof Float32Array);
    assert.deepEqual([...res.delta.data], [...Float32Array.of(3.1e-4, -2e-3)]);
  });

  test("the webview's method becomes the engine's: constant baselines per input, the layer mask as a wire tensor", () => {
    const inputs = [
      { dims: [1, 3, 2, 2], dtype: 'float32' },
      { dims: [1, 4], dtype: 'int64' },
    ];
    assert.deepEqual(wireMethod({ name: 'gradcam', reluAttributions: true, dimSum: false }, inputs), { name: 'gradcam', reluAttributions: true, dimSum: false });
    assert.deepEqual(wireMethod({ name: 'integrated-gradients', nSteps: 8, baseline: 0, convergenceDelta: true }, inputs), { name: 'integrated-gradients', nSteps: 8, convergenceDelta: true }, 'zeros: the engine default');
    const ig = wireMethod({ name: 'integrated-gradients', nSteps: 8, integration: 'riemann_trapezoid', baseline: 2 }, inputs);
    assert.equal(ig.baselines?.length, 2);
    const [b0, b1] = ig.baselines!.map((r) => fromWire((r as { tensor: WireTensor }).tensor));
    assert.deepEqual([b0.dtype, b0.dims, [...b0.data]], ['float32', [1, 3, 2, 2], new Array(12).fill(2)]);
    assert.deepEqual([b1.dtype, b1.dims, [...b1.data]], ['int64', [1, 4], new Array(4).fill(2n)]);
    assert.throws(() => wireMethod({ name: 'conductance', baseline: 0.5 }, inputs), (e: Error & { code?: string }) => e.code === 'invalid-argument' && /input 2 \(int64\)/.test(e.message));
    const fa = wireMethod({ name: 'feature-ablation', layerBaseline: -1, layerMask: { dims: [1, 3, 1, 1], data: Float32Array.of(0, 1, 2) } }, inputs);
    assert.equal(fa.layerBaseline, -1);
    const mask = fromWire(fa.layerMask!);
    assert.deepEqual([mask.dtype, mask.dims, [...mask.data]], ['float32', [1, 3, 1, 1], [0, 1, 2]]);
  });

  test('input previews arrive as RGBA bytes', () => {
    const rgba = Buffer.alloc(2 * 3 * 4, 7).toString('base64');
    const info = inputInfo('a.png', 'image', { tensor: toWire({ dtype: 'float32', dims: [1, 3, 3, 2], data: new Float32Array(18) }), preview: { width: 2, height: 3, rgba } });
    assert.equal(info.image?.rgba.length, 24);
    assert.ok(info.image?.rgba instanceof Uint8Array);
    assert.deepEqual(info.tensorDims, [1, 3, 3, 2]);
  });

  test('engine errors name their node and op', () => {
    const e = errorInfo(new EngineError("Einsum node '/attn/Einsum' (opset 13): no gradient rule for op Einsum; this op lies between the layer and the output", 'unsupported-op', { node: '/attn/Einsum', op: 'Einsum' }));
    assert.equal(e.code, 'unsupported-op');
    assert.equal(e.node, '/attn/Einsum');
    assert.equal(e.op, 'Einsum');
    // Fields, not text: a message that merely mentions a node carries none.
    assert.equal(errorInfo(new EngineError("Relu node 'x' said so", 'internal')).node, undefined);
    const plain = errorInfo(new Error('line one\nline two'));
    assert.equal(plain.message, 'line one line two');
    assert.equal(plain.node, undefined);
  });

  test('PNG data URLs decode to bytes', () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1]);
    assert.deepEqual([...pngBytes(`data:image/png;base64,${Buffer.from(png).toString('base64')}`)], [...png]);
    assert.equal(pngBytes(png), png);
  });
});

describe('paths', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'll-paths-'));
  test('inside, outside, traversal, prefix siblings', () => {
    assert.equal(isInside(path.join(root, 'a', 'b.onnx'), root), true);
    assert.equal(isInside(root, root), true);
    assert.equal(isInside(path.join(root, '..', 'x.onnx'), root), false);
    assert.equal(isInside(`${root}-sibling/x.onnx`, root), false);
    assert.equal(isInside('relative/x.onnx', root), false);
    assert.equal(isInsideAny('/etc/passwd', [root, path.join(root, 'media')]), false);
  });
  test('a symlink inside the root that points outside is outside', { skip: process.platform === 'win32' }, () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'll-outside-'));
    fs.writeFileSync(path.join(outside, 'secret.npy'), 'x');
    fs.symlinkSync(outside, path.join(root, 'link'));
    assert.equal(isInside(path.join(root, 'link', 'secret.npy'), root), false);
  });
  test('file kinds', () => {
    assert.equal(isOnnxFile('/a/M.ONNX'), true);
    assert.equal(isOnnxFile('/a/m.onnx.layerlens.json'), false);
    assert.equal(isInputFile('/a/x.npy'), true);
    assert.equal(isInputFile('/a/x.JPG'), true);
    assert.equal(isInputFile('/a/x.exe'), false);
  });
});

describe('sidecar', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'll-sidecar-'));
  const model = path.join(dir, 'm.onnx');

  test('is written atomically, keeps unknown fields, and reads back', async () => {
    fs.writeFileSync(sidecarPath(model), JSON.stringify({ note: 'mine', preprocess: { size: [1, 1] } }));
    const file = await writeSidecar(model, { size: [28, 28], mean: [0.5], std: [0.25], channels: 1 });
    assert.equal(file, `${model}.layerlens.json`);
    const back = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(back.note, 'mine');
    assert.deepEqual(back.preprocess, { size: [28, 28], channels: 1, mean: [0.5], std: [0.25] });
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temp file left behind');
    const st = await readSidecar(file);
    assert.equal(st.status, 'ok');
  });

  test('a corrupt sidecar is reported and left unchanged unless overwriting is asked for', async () => {
    const corrupt = '{ "preprocess": { "size": [28, 28] ';
    fs.writeFileSync(sidecarPath(model), corrupt);
    await assert.rejects(writeSidecar(model, { size: [32, 32] }), (e: unknown) => e instanceof SidecarCorruptError && /not JSON/.test(e.reason));
    assert.equal(fs.readFileSync(sidecarPath(model), 'utf8'), corrupt);
    await writeSidecar(model, { size: [32, 32] }, { overwriteCorrupt: true });
    assert.deepEqual(JSON.parse(fs.readFileSync(sidecarPath(model), 'utf8')).preprocess, { size: [32, 32] });
  });

  test('checks: arrays, non-objects, bad preprocess field', () => {
    assert.equal(checkSidecarText('[]').status, 'corrupt');
    assert.equal(checkSidecarText('42').status, 'corrupt');
    assert.equal(checkSidecarText('{"preprocess": 3}').status, 'corrupt');
    assert.equal(checkSidecarText('{"preprocess": {"layout": "nhwc"}}').status, 'ok');
  });

  test('a missing sidecar is just missing', async () => {
    assert.deepEqual(await readSidecar(path.join(dir, 'nope.layerlens.json')), { status: 'missing' });
  });
});

describe('inspector HTML', () => {
  test('strict CSP with a fresh nonce on every render', () => {
    const a = inspectorHtml({ cspSource: 'https://x.vscode-cdn.net', scriptUri: 'https://x/main.js', styles: [{ href: 'https://x/codicon.css', id: 'vscode-codicon-stylesheet' }, { href: 'https://x/main.css' }], title: 'T' });
    const b = inspectorHtml({ cspSource: 'https://x.vscode-cdn.net', scriptUri: 'https://x/main.js', styles: [], title: 'T' });
    const nonceA = /script nonce="([^"]+)"/.exec(a)?.[1];
    const nonceB = /script nonce="([^"]+)"/.exec(b)?.[1];
    assert.ok(nonceA && nonceB && nonceA !== nonceB);
    assert.ok(nonceA.length >= 16);
    const csp = contentSecurityPolicy('https://x.vscode-cdn.net', 'N');
    assert.match(csp, /^default-src 'none'; /);
    assert.match(csp, /script-src 'nonce-N'/);
    assert.match(csp, /style-src https:\/\/x\.vscode-cdn\.net 'nonce-N'/);
    assert.match(csp, /img-src https:\/\/x\.vscode-cdn\.net data: blob:/);
    assert.doesNotMatch(csp, /unsafe-(inline|eval)/);
    assert.match(a, /<link rel="stylesheet" nonce="[^"]+" href="https:\/\/x\/main.css">/);
    assert.match(a, /<link rel="stylesheet" nonce="[^"]+" id="vscode-codicon-stylesheet" href="https:\/\/x\/codicon.css">/);
  });
  test('titles are escaped', () => {
    assert.match(inspectorHtml({ cspSource: 's', scriptUri: 'u', styles: [], title: '<img onerror=x>' }), /&lt;img onerror=x&gt;/);
  });
});

describe('wire tensors and previews', () => {
  test('round-trip every dtype as bytes (and as base64 text, still accepted)', () => {
    const cases = [
      { dtype: 'float32' as const, dims: [2, 2], data: new Float32Array([1, -2.5, 3e-8, Infinity]) },
      { dtype: 'float64' as const, dims: [3], data: new Float64Array([1, Math.PI, -0]) },
      { dtype: 'int64' as const, dims: [2], data: new BigInt64Array([-1n, 2n ** 40n]) },
      { dtype: 'uint8' as const, dims: [0], data: new Uint8Array(0) },
    ];
    for (const t of cases) {
      const back = fromWire(toWire(t));
      assert.equal(back.dtype, t.dtype);
      assert.deepEqual(back.dims, t.dims);
      assert.deepEqual([...back.data], [...t.data]);
    }
    const view = new Float32Array([9, 8, 7, 6]).subarray(1, 3);
    const w = toWire({ dtype: 'float32', dims: [2], data: view });
    assert.ok(w.data instanceof Uint8Array && w.data.buffer.byteLength === 8, 'a view is sent as exactly its own bytes');
    assert.deepEqual([...fromWire(w).data], [8, 7]);
    const text = { dtype: 'float32' as const, dims: [2], data: Buffer.from(new Float32Array([1.5, -2]).buffer).toString('base64') };
    assert.deepEqual([...fromWire(text).data], [1.5, -2]);
  });
  test('malformed wire tensors are refused', () => {
    assert.throws(() => fromWire({ dtype: 'float32', dims: [3], data: Buffer.alloc(8).toString('base64') }), /bytes/);
    assert.throws(() => fromWire({ dtype: 'complex64' as never, dims: [1], data: '' }), /dtype/);
    assert.throws(() => fromWire({ dtype: 'float32', dims: [-1], data: '' }), /dims/);
  });
  test('preview size keeps the model’s aspect and never exceeds the cap', () => {
    assert.deepEqual(previewSize({ width: 28, height: 28 }, { size: [28, 28] }, 512), { width: 28, height: 28 });
    assert.deepEqual(previewSize({ width: 1000, height: 800 }, { size: [224, 224] }, 512), { width: 512, height: 512 });
    assert.deepEqual(previewSize({ width: 300, height: 100 }, { size: [10, 20] }, 512), { width: 300, height: 150 });
    assert.deepEqual(previewSize({ width: 2000, height: 1000 }, {}, 500), { width: 500, height: 250 });
  });
  test('image-like tensors get a min-max preview; others none', () => {
    const t = { dtype: 'float32' as const, dims: [1, 1, 2, 2], data: new Float32Array([-1, 0, 1, 3]) };
    const p = tensorPreview(t)!;
    const px = Buffer.from(p.rgba, 'base64');
    assert.deepEqual([p.width, p.height], [2, 2]);
    assert.deepEqual([px[0], px[4], px[12], px[15]], [0, 64, 255, 255]);
    assert.equal(tensorPreview({ dtype: 'float32', dims: [1, 10], data: new Float32Array(10) }), undefined);
  });
});
