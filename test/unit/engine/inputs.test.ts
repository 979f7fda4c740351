/** Models at every supported opset, and inputs of the wrong count, shape or type. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LayerLensError } from '../../../src/engine/errors';
import { ModelSession } from '../../../src/engine/modelSession';
import type { HostTensor } from '../../../src/engine/tensor/hostTensor';
import { tinyMlp, writeModel } from '../../support/tinyModels';

const x = (dims: number[]): HostTensor => ({ dtype: 'float32', dims, data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => i - 3) });

describe('every opset from 7 to 21', () => {
  for (let opset = 7; opset <= 21; opset++) {
    test(`opset ${opset}: loads, lists layers and attributes`, async () => {
      const s = await ModelSession.open(writeModel(tinyMlp(opset)));
      assert.deepEqual([...s.layers.roots], ['block', 'head']);
      const r = await s.attribute({ layers: ['block.act', 'block.scale'], inputs: [x([2, 4])], target: { kind: 'index', index: 1 } });
      // x = [[-3,-2,-1,0],[1,2,3,4]], w = [0.5,-1.5,2,1]: relu(x·w) = [[0,3,0,0],[0.5,0,6,4]]. Target column 1
      // gives ∂s/∂act = 1 in column 1, so act ⊙ grad = [[0,3,0,0],[0,0,0,0]]; for the Mul output the Relu mask
      // also zeroes row 1 (x·w = -3 there).
      assert.deepEqual(Array.from(r.attributions[0][0].data as Float32Array, (v) => v + 0), [0, 3, 0, 0, 0, 0, 0, 0]);
      assert.deepEqual(Array.from(r.attributions[1][0].data as Float32Array, (v) => v + 0), [0, 3, 0, 0, 0, 0, 0, 0]);
      await s.dispose();
    });
  }
});

describe('bad inputs get one-line errors', () => {
  const cases: [string, HostTensor[], RegExp][] = [
    ['too few inputs', [], /takes 1 input\(s\) \(x\), 0 given/],
    ['too many inputs', [x([1, 4]), x([1, 4])], /takes 1 input/],
    ['wrong rank', [x([4])], /must have shape \[N, 4\], got \[4\]/],
    ['wrong static dimension', [x([1, 5])], /must have shape \[N, 4\], got \[1, 5\]/],
    ['wrong dtype', [{ dtype: 'int64', dims: [1, 4], data: new BigInt64Array(4) }], /must be float32, got int64/],
    ['data shorter than its shape', [{ dtype: 'float32', dims: [2, 4], data: new Float32Array(4) }], /has 4 values for shape \[2,4\]/],
  ];
  for (const [name, inputs, re] of cases) {
    test(name, async () => {
      const s = await ModelSession.open(writeModel(tinyMlp()));
      await assert.rejects(s.attribute({ layers: ['block'], inputs, target: { kind: 'index', index: 0 } }), (e: unknown) => e instanceof LayerLensError && re.test(e.message) && !e.message.includes('\n'));
      await assert.rejects(s.predict(inputs), (e: unknown) => e instanceof LayerLensError && re.test(e.message));
      await s.dispose();
    });
  }
});

function wide(n: number) {
  const m = tinyMlp();
  const nodes = [];
  for (let i = 0; i < n; i++) nodes.push({ name: `/wide/b${i}/Relu`, opType: 'Relu', input: ['x'], output: [`/wide/b${i}/Relu_output_0`] });
  nodes.push({ name: '/sum/Sum', opType: 'Sum', input: nodes.map((nd) => nd.output[0]), output: ['y'] });
  m.graph!.node = nodes;
  m.graph!.initializer = [];
  return m;
}

describe('very wide graphs', () => {
  test('20,000 parallel branches: the layer tree lists them', async () => {
    const s = await ModelSession.open(writeModel(wide(20000)));
    assert.equal(s.layers.get('wide')!.children.length, 20000);
    await s.dispose();
  });
  test('an attribution needing more kept tensors than the limit is refused cleanly', { timeout: 120_000 }, async () => {
    const s = await ModelSession.open(writeModel(wide(4500)));
    await assert.rejects(
      s.attribute({ layers: ['value:x'], inputs: [x([1, 4])], target: { kind: 'index', index: 3 } }),
      (e: unknown) => e instanceof LayerLensError && /needs 4500 intermediate tensors .* \(at most 4000\)/.test(e.message),
    );
    await s.dispose();
  });
  test('1,500 parallel branches summed: attribution', async () => {
    const m = wide(1500);
    const n = 1500;
    const s = await ModelSession.open(writeModel(m));
    const r = await s.attribute({ layers: ['value:x'], inputs: [x([1, 4])], target: { kind: 'index', index: 3 }, gradientOnly: true });
    // y = Σ relu(x): gradient n at positive x (x[3] = 0 → relu'(0) = 0 as in PyTorch).
    assert.deepEqual(Array.from(r.attributions[0][0].data as Float32Array), [0, 0, 0, 0]);
    const r2 = await s.attribute({ layers: ['value:x'], inputs: [{ dtype: 'float32', dims: [1, 4], data: Float32Array.from([1, 1, 1, 1]) }], target: { kind: 'index', index: 3 }, gradientOnly: true });
    assert.deepEqual(Array.from(r2.attributions[0][0].data as Float32Array), [0, 0, 0, n]);
    await s.dispose();
  });
});
