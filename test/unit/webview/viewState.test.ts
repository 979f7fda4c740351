// Restoring the inspector's state from whatever getState() returns.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultViewState, forModel, restoreViewState } from '../../../webview/viewState';

describe('restoreViewState', () => {
  it('round-trips a valid state', () => {
    const s = { ...defaultViewState(), modelKey: 'm', layerId: 'layer1.0', targetText: '3', targetAuto: false, layerInput: true, attributionMethod: { ...defaultViewState().attributionMethod, name: 'gradcam' as const, reluAttributions: true }, display: { ...defaultViewState().display, sign: 'positive' as const, colormap: 'viridis' as const, opacity: 0.8 } };
    assert.deepEqual(restoreViewState(JSON.parse(JSON.stringify(s))), s);
  });

  it('keeps a "class c where it wins" target, and drops it with the model', () => {
    const s = { ...defaultViewState(), modelKey: 'seg', targetWins: 2, targetAuto: false };
    assert.deepEqual(restoreViewState(JSON.parse(JSON.stringify(s))), s);
    assert.equal(restoreViewState({ ...s, targetWins: -1 }).targetWins, undefined);
    assert.equal(restoreViewState({ ...s, targetWins: 'square' }).targetWins, undefined);
    assert.equal(forModel(s, 'other').targetWins, undefined);
  });

  it('falls back field by field on garbage', () => {
    const s = restoreViewState({ version: 1, layerId: 42, example: -1, display: { sign: 'sideways', opacity: 3, colormap: 'nope', method: 'heat_map' }, expanded: ['a', 3] });
    assert.equal(s.layerId, undefined);
    assert.equal(s.example, 0);
    assert.equal(s.display.sign, 'all');
    assert.equal(s.display.opacity, 0.5);
    assert.equal(s.display.colormap, 'default');
    assert.equal(s.display.method, 'heat_map');
    assert.deepEqual(s.expanded, ['a']);
    assert.deepEqual(restoreViewState(undefined), defaultViewState());
    assert.deepEqual(restoreViewState({ version: 99, layerId: 'x' }), defaultViewState());
  });

  it('keeps display preferences but drops the layer when another model loads', () => {
    const s = { ...defaultViewState(), modelKey: 'a', layerId: 'conv1', display: { ...defaultViewState().display, colormap: 'magma' as const } };
    const t = forModel(s, 'b');
    assert.equal(t.layerId, undefined);
    assert.equal(t.modelKey, 'b');
    assert.equal(t.display.colormap, 'magma');
    assert.deepEqual(forModel({ ...s, attributionMethod: { ...s.attributionMethod, name: 'gradcam' } }, 'b').attributionMethod.name, 'gradcam', 'and the method');
    assert.equal(forModel(s, 'a'), s);
  });
});
