// The method picker's model: the request each choice makes, the per-channel layer mask, cost and run counts, the
// header text, and restoring a stored choice.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateWebviewMessage } from '../../../src/shared/protocol';
import {
  DEFAULT_METHOD,
  METHOD_ORDER,
  ablationGroups,
  channelMask,
  costEstimate,
  costUnits,
  describeMethod,
  formatDelta,
  methodSpec,
  restoreMethodChoice,
  takesGradientOnly,
  takesTarget,
} from '../../../webview/attributionMethod';

const CONV = [null, 32, 14, 14] as const;
const opts = { gradientOnly: false, layerDims: CONV, layout: 'channels-first' as const };

describe('methodSpec', () => {
  it('sends nothing for Layer Gradient × Activation (the protocol default) and each method only its own arguments', () => {
    const c = { ...DEFAULT_METHOD, baseline: 0.25, reluAttributions: true };
    assert.equal(methodSpec(c, opts), undefined);
    assert.deepEqual(methodSpec({ ...c, name: 'activation' }, opts), { name: 'activation' });
    assert.deepEqual(methodSpec({ ...c, name: 'gradcam' }, opts), { name: 'gradcam', reluAttributions: true, dimSum: true });
    assert.deepEqual(methodSpec({ ...c, name: 'integrated-gradients' }, opts), { name: 'integrated-gradients', nSteps: 50, integration: 'gausslegendre', baseline: 0.25, convergenceDelta: true });
    assert.deepEqual(methodSpec({ ...c, name: 'integrated-gradients', baseline: 0 }, { ...opts, gradientOnly: true }), { name: 'integrated-gradients', nSteps: 50, integration: 'gausslegendre', convergenceDelta: true, multiplyByInputs: false });
    assert.deepEqual(methodSpec({ ...c, name: 'conductance', convergenceDelta: false }, { ...opts, gradientOnly: true }), { name: 'conductance', nSteps: 50, integration: 'gausslegendre', baseline: 0.25 });
    assert.deepEqual(methodSpec({ ...c, name: 'internal-influence' }, opts), { name: 'internal-influence', nSteps: 50, integration: 'gausslegendre', baseline: 0.25 });
  });

  it('every spec it makes passes the protocol validator', () => {
    for (const name of METHOD_ORDER)
      for (const gradientOnly of [false, true]) {
        const method = methodSpec({ ...DEFAULT_METHOD, name, baseline: 1 }, { ...opts, gradientOnly });
        assert.notEqual(typeof method, 'string');
        const params = { layers: ['conv'], target: takesTarget(name) ? { kind: 'index', index: 3 } : { kind: 'none' }, layerInput: false, gradientOnly: gradientOnly && name === 'lgxa', ...(method ? { method } : {}) };
        const r = validateWebviewMessage({ kind: 'request', id: 1, method: 'attribute', params });
        assert.notEqual(typeof r, 'string', `${name}: ${String(r)}`);
      }
  });

  it('feature ablation per channel sends a [1, C, 1, 1] mask of ids 0..C−1; per element none', () => {
    const fa = { ...DEFAULT_METHOD, name: 'feature-ablation' as const, layerBaseline: -0.5 };
    const spec = methodSpec(fa, opts);
    assert.ok(spec && typeof spec !== 'string');
    assert.equal(spec.layerBaseline, -0.5);
    assert.deepEqual(spec.layerMask?.dims, [1, 32, 1, 1]);
    assert.deepEqual(Array.from(spec.layerMask!.data), Array.from({ length: 32 }, (_v, i) => i));
    assert.deepEqual(methodSpec({ ...fa, grouping: 'element' }, opts), { name: 'feature-ablation', layerBaseline: -0.5 });
    assert.match(methodSpec(fa, { ...opts, layerDims: ['N', 'C', 7, 7] }) as string, /channel count is not fixed in the graph \(C\)/);
  });

  it('refuses an n_steps Captum refuses', () => {
    assert.match(methodSpec({ ...DEFAULT_METHOD, name: 'conductance', nSteps: 1, integration: 'riemann_left' }, opts) as string, /n_steps ≥ 2/);
    assert.match(methodSpec({ ...DEFAULT_METHOD, name: 'conductance', nSteps: 0 }, opts) as string, /from 1 to 4096/);
  });
});

describe('layer shapes', () => {
  it('masks the channel axis: dim 1, or the last one for channels-last models', () => {
    assert.deepEqual(channelMask([1, 3, 5, 5], 'channels-first'), { dims: [1, 3, 1, 1], data: Float32Array.of(0, 1, 2) });
    assert.deepEqual((channelMask([1, 5, 5, 3], 'channels-last') as { dims: number[] }).dims, [1, 1, 1, 3]);
    assert.deepEqual((channelMask(['N', 10], 'channels-first') as { dims: number[] }).dims, [1, 10], 'a dense layer: one group per feature');
    assert.equal(typeof channelMask([4], 'channels-first'), 'string');
    assert.equal(typeof channelMask(undefined, 'channels-first'), 'string');
  });

  it('counts the ablation runs', () => {
    assert.equal(ablationGroups(CONV, 'channel', 'channels-first'), 32);
    assert.equal(ablationGroups(CONV, 'element', 'channels-first'), 32 * 14 * 14);
    assert.equal(ablationGroups(['N', 'C', 7, 7], 'element', 'channels-first'), undefined);
  });
});

describe('cost and header', () => {
  it('estimates a path method as n_steps × one attribution', () => {
    assert.equal(costEstimate({ ...DEFAULT_METHOD, name: 'integrated-gradients' }, undefined), '≈ 50 × one attribution');
    assert.equal(costEstimate({ ...DEFAULT_METHOD, name: 'integrated-gradients', nSteps: 8 }, 40), '≈ 8 × one attribution ≈ 320 ms');
    assert.equal(costEstimate({ ...DEFAULT_METHOD, name: 'conductance', nSteps: 50 }, 40), '≈ 51 × one attribution ≈ 2.04 s');
    assert.equal(costUnits(undefined), 1);
    assert.equal(costUnits({ name: 'gradcam' }), 1);
    assert.equal(costUnits({ name: 'integrated-gradients', nSteps: 8 }), 8);
    assert.equal(costUnits({ name: 'conductance', nSteps: 8 }), 9);
    assert.equal(costUnits({ name: 'feature-ablation' }), undefined);
  });

  it('names the method and its arguments', () => {
    assert.equal(describeMethod(undefined, false), 'Layer Gradient × Activation');
    assert.equal(describeMethod(undefined, true), 'Layer Gradient × Activation · gradient only');
    assert.equal(describeMethod({ name: 'integrated-gradients', nSteps: 50, integration: 'gausslegendre', convergenceDelta: true }, false), 'Integrated Gradients · 50 steps · Gauss-Legendre · zero baseline');
    assert.equal(describeMethod({ name: 'conductance', nSteps: 1, integration: 'gausslegendre', baseline: 0.5 }, false), 'Conductance · 1 step · Gauss-Legendre · baseline 0.5');
    assert.equal(describeMethod({ name: 'gradcam', reluAttributions: true, dimSum: false }, false), 'Grad-CAM · ReLU · per channel');
    assert.equal(describeMethod({ name: 'feature-ablation', layerBaseline: 0 }, false), 'Feature Ablation · per element · baseline 0');
    assert.equal(formatDelta(3.1e-4), 'δ = 3.1e-4');
    assert.equal(formatDelta(-0.644), 'δ = -6.4e-1');
    assert.equal(formatDelta(12), 'δ = 1.2e1');
  });

  it('knows which methods take a target and the gradient-only toggle', () => {
    assert.deepEqual(METHOD_ORDER.filter((m) => !takesTarget(m)), ['activation']);
    assert.deepEqual(METHOD_ORDER.filter(takesGradientOnly), ['lgxa', 'integrated-gradients']);
  });
});

describe('restoreMethodChoice', () => {
  it('round-trips a choice and falls back field by field', () => {
    const c = { ...DEFAULT_METHOD, name: 'conductance' as const, nSteps: 8, integration: 'riemann_trapezoid' as const, baseline: 0.5, grouping: 'element' as const };
    assert.deepEqual(restoreMethodChoice(JSON.parse(JSON.stringify(c))), c);
    assert.deepEqual(restoreMethodChoice({ name: 'saliency', nSteps: -3, integration: 'simpson', baseline: 'x', dimSum: 1, grouping: 'row' }), DEFAULT_METHOD);
    assert.equal(restoreMethodChoice({ nSteps: 1, integration: 'riemann_left' }).integration, 'gausslegendre', 'never a choice Captum refuses');
    assert.deepEqual(restoreMethodChoice(null), DEFAULT_METHOD);
  });
});

describe("feature ablation per channel on a transformer's tokens", () => {
  it('groups the D features (the last axis), the channels the tiles show', () => {
    const m = channelMask([1, 197, 192], 'tokens');
    assert.ok(typeof m !== 'string');
    assert.deepEqual(m.dims, [1, 1, 192]);
  });
});
