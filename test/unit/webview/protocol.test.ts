// validateWebviewMessage: every method's params, refused shapes, typed arrays, limits.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ATTRIBUTION_METHODS,
  errorResponseOf,
  eventOf,
  isHostToWebviewMessage,
  METHOD_NAMES,
  type MethodName,
  type ParamsOf,
  requestIdOf,
  responseOf,
  transferablesOf,
  validateWebviewMessage,
} from '../../../src/shared/protocol';

const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);
const valid: { [M in MethodName]: ParamsOf<M> } = {
  ready: { protocolVersion: 1 },
  selectLayer: { layerId: 'layer1.0.conv1' },
  pickInput: { inputIndex: 0 },
  setPreprocess: { preprocess: { size: [224, 224], range: [0, 1], mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], layout: 'nchw', channels: 3 }, remember: true },
  attribute: { layers: ['layer3'], target: { kind: 'tuples', tuples: [[0, 1, 1]] }, layerInput: false, gradientOnly: true, output: 'logits', purpose: 'filmstrip' },
  predict: { top: 5, ablate: { layer: 'layer3', layerInput: true, value: 0, channelAxis: -1, channels: [0, 3], baseline: 0.5 } },
  cancel: { requestId: 7 },
  exportPng: { suggestedName: 'layer3.png', png: PNG },
  exportNpy: { suggestedName: 'attr_layer3.npy', tensor: { dims: [1, 2, 2], data: new Float32Array(4) } },
  channel: { ref: { requestId: 4, layer: 0, tensor: 0 }, example: 0, channel: 17 },
};
const req = (method: string, params: unknown, id: unknown = 1) => ({ kind: 'request', id, method, params });

describe('validateWebviewMessage', () => {
  for (const m of METHOD_NAMES)
    it(`accepts a well-formed '${m}'`, () => {
      const r = validateWebviewMessage(req(m, valid[m]));
      assert.notEqual(typeof r, 'string', String(r));
    });

  it('accepts every target form and a PNG data URL', () => {
    for (const target of [{ kind: 'none' }, { kind: 'index', index: -1 }, { kind: 'perExample', indices: [1, 2] }, { kind: 'tuple', tuple: [0, 3, 4] }])
      assert.notEqual(typeof validateWebviewMessage(req('attribute', { ...valid.attribute, target })), 'string');
    assert.notEqual(typeof validateWebviewMessage(req('exportPng', { suggestedName: 'a.png', png: 'data:image/png;base64,iVBORw0KGgo=' })), 'string');
  });

  it("accepts each of Captum's layer methods with the arguments it takes", () => {
    const mask = { dims: [1, 3, 1, 1], data: Float32Array.of(0, 1, 2) };
    const methods = [
      { name: 'lgxa' },
      { name: 'activation' },
      { name: 'gradcam', reluAttributions: true, dimSum: false },
      { name: 'internal-influence', nSteps: 20, integration: 'riemann_left', baseline: 0.5 },
      { name: 'conductance', nSteps: 8, integration: 'riemann_trapezoid', convergenceDelta: true },
      { name: 'integrated-gradients', nSteps: 1, integration: 'gausslegendre', baseline: -1, convergenceDelta: true, multiplyByInputs: false },
      { name: 'feature-ablation', layerBaseline: 0, layerMask: mask },
      { name: 'feature-ablation' },
    ];
    for (const method of methods) {
      const target = method.name === 'activation' ? { kind: 'none' } : valid.attribute.target;
      const r = validateWebviewMessage(req('attribute', { ...valid.attribute, gradientOnly: false, target, method }));
      assert.notEqual(typeof r, 'string', `${method.name}: ${String(r)}`);
    }
    assert.deepEqual(ATTRIBUTION_METHODS.slice().sort(), ['activation', 'conductance', 'feature-ablation', 'gradcam', 'integrated-gradients', 'internal-influence', 'lgxa']);
  });

  const m = (method: unknown, extra: object = {}) => req('attribute', { ...valid.attribute, gradientOnly: false, method, ...extra });
  const refused: [string, unknown, RegExp][] = [
    ['unknown method', m({ name: 'saliency' }), /method\.name: expected one of/],
    ['method without a name', m({ nSteps: 5 }), /method\.name: missing/],
    ['n_steps 0', m({ name: 'integrated-gradients', nSteps: 0 }), /nSteps: expected an integer in 1\.\.4096/],
    ['n_steps too many', m({ name: 'conductance', nSteps: 100000 }), /nSteps: expected an integer in 1\.\.4096/],
    ['fractional n_steps', m({ name: 'conductance', nSteps: 2.5 }), /nSteps/],
    ['riemann with one step', m({ name: 'internal-influence', nSteps: 1, integration: 'riemann_right' }), /Riemann rules need at least 2 steps/],
    ['unknown integration rule', m({ name: 'integrated-gradients', integration: 'simpson' }), /integration: expected one of/],
    ['an argument the method does not take', m({ name: 'gradcam', nSteps: 5 }), /method\.nSteps: does not apply to gradcam/],
    ['a delta for internal influence', m({ name: 'internal-influence', convergenceDelta: true }), /convergenceDelta: does not apply/],
    ['multiply_by_inputs for conductance', m({ name: 'conductance', multiplyByInputs: false }), /multiplyByInputs: does not apply/],
    ['a baseline that is not a number', m({ name: 'integrated-gradients', baseline: 'blur' }), /baseline: expected a finite number/],
    ['an infinite layer baseline', m({ name: 'feature-ablation', layerBaseline: Infinity }), /layerBaseline: expected a finite number/],
    ['a layer mask as a list', m({ name: 'feature-ablation', layerMask: { dims: [1, 2], data: [0, 1] } }), /layerMask\.data: expected a Float32Array/],
    ['a layer mask with fractional ids', m({ name: 'feature-ablation', layerMask: { dims: [1, 2], data: Float32Array.of(0, 0.5) } }), /group ids must be integers/],
    ['a layer mask whose dims lie', m({ name: 'feature-ablation', layerMask: { dims: [1, 3], data: Float32Array.of(0, 1) } }), /hold 3 elements but data has 2/],
    ['unknown method field', m({ name: 'gradcam', eval: 'x' }), /unexpected field 'eval'/],
    ['gradient only with another method', m({ name: 'integrated-gradients' }, { gradientOnly: true }), /gradientOnly: applies to lgxa only \(integrated gradients: method\.multiplyByInputs = false\)/],
    ['a target for activation', m({ name: 'activation' }), /activation has no target/],

    ['not an object', 'hello', /expected an object/],
    ['an array', [1], /expected an object/],
    ['wrong kind', { kind: 'response', id: 1, result: 1 }, /kind/],
    ['id 0', req('ready', valid.ready, 0), /message\.id/],
    ['id fractional', req('ready', valid.ready, 1.5), /message\.id/],
    ['unknown method', req('eval', {}), /unknown method "eval"/],
    ['prototype method', req('constructor', {}), /unknown method/],
    ['extra envelope field', { ...req('ready', valid.ready), extra: 1 }, /unexpected field 'extra'/],
    ['extra params field', req('selectLayer', { layerId: 'a', x: 1 }), /unexpected field 'x'/],
    ['missing field', req('attribute', { layers: ['a'], target: { kind: 'none' }, layerInput: false }), /gradientOnly: missing/],
    ['empty layer list', req('attribute', { ...valid.attribute, layers: [] }), /layers: expected 1\.\.64 items/],
    ['layer id too long', req('selectLayer', { layerId: 'x'.repeat(5000) }), /layerId: expected 1\.\.4096 characters/],
    ['layer id not a string', req('selectLayer', { layerId: 5 }), /expected a string/],
    ['bad target kind', req('attribute', { ...valid.attribute, target: { kind: 'all' } }), /target\.kind/],
    ['fractional class', req('attribute', { ...valid.attribute, target: { kind: 'index', index: 1.5 } }), /target\.index/],
    ['tuple too long', req('attribute', { ...valid.attribute, target: { kind: 'tuple', tuple: [1, 2, 3, 4, 5, 6, 7, 8, 9] } }), /tuple: expected 1\.\.8 items/],
    ['boolean as string', req('attribute', { ...valid.attribute, layerInput: 'yes' }), /layerInput: expected true or false/],
    ['top 0', req('predict', { top: 0 }), /top: expected an integer in 1\.\.1000/],
    ['negative output index', req('predict', { top: 5, output: -1 }), /output/],
    ['ablated channel negative', req('predict', { top: 5, ablate: { layer: 'layer3', channelAxis: 1, channels: [-1] } }), /ablate\.channels\[0\]: expected an integer/],
    ['ablation without an axis', req('predict', { top: 5, ablate: { layer: 'layer3', channels: [1] } }), /ablate\.channelAxis: missing/],
    ['channel without a ref', req('channel', { example: 0, channel: 1 }), /ref: missing/],
    ['negative channel', req('channel', { ref: { requestId: 4, layer: 0, tensor: 0 }, example: 0, channel: -1 }), /channel: expected an integer/],
    ['export with neither tensor nor ref', req('exportNpy', { suggestedName: 'a.npy' }), /give the tensor or a reference to it/],
    ['export with both', req('exportNpy', { suggestedName: 'a.npy', tensor: { dims: [1], data: new Float32Array(1) }, ref: { requestId: 3, layer: 0, tensor: 0 } }), /one of the two/],
    ['export ref with a bad layer', req('exportNpy', { suggestedName: 'a.npy', ref: { requestId: 3, layer: -1, tensor: 0 } }), /ref\.layer/],
    ['unknown purpose', req('attribute', { ...valid.attribute, purpose: 'thumbnail' }), /purpose: expected one of "figure", "filmstrip"/],
    ['ablation baseline NaN', req('predict', { top: 5, ablate: { layer: 'layer3', channelAxis: 1, channels: [1], baseline: Number.NaN } }), /ablate\.baseline: expected a finite number/],
    ['std 0', req('setPreprocess', { preprocess: { std: [0] }, remember: false }), /std\[0\]: must be greater than 0/],
    ['range reversed', req('setPreprocess', { preprocess: { range: [1, 0] }, remember: false }), /range: the low end/],
    ['NaN mean', req('setPreprocess', { preprocess: { mean: [Number.NaN] }, remember: false }), /finite number/],
    ['size too large', req('setPreprocess', { preprocess: { size: [224, 100000] }, remember: false }), /size\[1\]/],
    ['2 means', req('setPreprocess', { preprocess: { mean: [1, 2] }, remember: false }), /one value or one per channel/],
    ['bad layout', req('setPreprocess', { preprocess: { layout: 'chw' }, remember: false }), /layout/],
    ['path in file name', req('exportPng', { suggestedName: '../x.png', png: PNG }), /plain file name/],
    ['control char in name', req('exportPng', { suggestedName: 'a\nb.png', png: PNG }), /plain file name/],
    ['not a PNG', req('exportPng', { suggestedName: 'a.png', png: new Uint8Array(10) }), /not a PNG/],
    ['PNG as number list', req('exportPng', { suggestedName: 'a.png', png: Array.from(PNG) }), /Uint8Array/],
    ['other data URL', req('exportPng', { suggestedName: 'a.png', png: 'data:text/html;base64,AAAA' }), /data:image\/png/],
    ['npy data as number list', req('exportNpy', { suggestedName: 'a.npy', tensor: { dims: [2], data: [1, 2] } }), /expected a Float32Array/],
    ['npy Float64Array', req('exportNpy', { suggestedName: 'a.npy', tensor: { dims: [2], data: new Float64Array(2) } }), /Float32Array/],
    ['npy dims mismatch', req('exportNpy', { suggestedName: 'a.npy', tensor: { dims: [3], data: new Float32Array(2) } }), /hold 3 elements but data has 2/],
    ['cancel id 0', req('cancel', { requestId: 0 }), /requestId/],
    ['class instance as params', req('ready', new (class { protocolVersion = 1 })()), /expected an object/],
  ];
  for (const [what, msg, re] of refused)
    it(`refuses ${what}`, () => {
      const r = validateWebviewMessage(msg);
      assert.equal(typeof r, 'string');
      assert.match(r as string, re);
    });

  it('finds a usable id on refused requests so the host can answer them', () => {
    assert.equal(requestIdOf(req('nope', {}, 9)), 9);
    assert.equal(requestIdOf({ id: -1 }), undefined);
  });
});

describe('envelopes', () => {
  it('builds responses and events the webview recognises', () => {
    assert.ok(isHostToWebviewMessage(responseOf(3, 'cancel', null)));
    const e = errorResponseOf(3, { message: 'bad\n  thing', node: 'Conv_1', op: 'Conv' });
    assert.equal(e.error?.message, 'bad thing');
    assert.ok(isHostToWebviewMessage(e));
    assert.ok(isHostToWebviewMessage(eventOf('progress', { requestId: 3, stage: 'run', fraction: 0.5 })));
    assert.ok(!isHostToWebviewMessage({ kind: 'event', name: 'nope', payload: {} }));
    assert.ok(!isHostToWebviewMessage({ kind: 'request', id: 1 }));
  });

  it('lists each whole ArrayBuffer once for transfer, skipping views into larger buffers', () => {
    const a = new Float32Array(4);
    const big = new ArrayBuffer(64);
    const view = new Uint8Array(big, 8, 8);
    const bufs = transferablesOf({ x: a, y: [a, { z: view }], w: new Uint8Array(2) });
    assert.equal(bufs.length, 2);
    assert.ok(bufs.includes(a.buffer as ArrayBuffer));
    assert.ok(!bufs.includes(big));
  });
});
