/**
 * If nodes on the gradient path. A shape-decided If (what torch exports for `squeeze(dim)` on a dimension it
 * could not see) is inlined as the branch it takes; a data-dependent If is refused by name. Before subgraph reads
 * counted as inputs, an If branch computing on the layer's tensor was invisible to path finding and its
 * gradient silently dropped — the second test guards that.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { ElemType, GraphProto, ModelProto, NodeProto, attr } from '../../../src/engine/onnx/proto';
import { makeTensor } from '../../../src/engine/onnx/tensorData';
import { engineVjp } from '../../support/gradcheck';

const F = ElemType.FLOAT;
const n = (opType: string, input: string[], output: string[], attribute: NodeProto['attribute'] = []): NodeProto => ({ name: `/m/${opType}_${output[0]}`, opType, input, output, attribute });
const branch = (name: string, nodes: NodeProto[], out: string): GraphProto => ({ name, node: nodes, output: [{ name: out, type: { tensorType: { elemType: F } } }] });

/** x [2, cols] → h = Tanh(x) → If(cond) then 3·h else h+1 → y = Mul(if, w). */
function model(cols: number, cond: NodeProto[]): ModelProto {
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'if',
      node: [
        n('Tanh', ['x'], ['h']),
        ...cond,
        n('If', ['cond'], ['b'], [
          { name: 'then_branch', type: 5, g: branch('then', [{ name: 'mul', opType: 'Mul', input: ['h', 'three'], output: ['t'] }], 't') },
          { name: 'else_branch', type: 5, g: branch('else', [{ name: 'add', opType: 'Add', input: ['h', 'one'], output: ['e'] }], 'e') },
        ]),
        n('Mul', ['b', 'w'], ['y']),
      ],
      initializer: [
        makeTensor('three', F, [], [3]),
        makeTensor('one', F, [], [1]),
        makeTensor('w', F, [cols], Array.from({ length: cols }, (_, i) => i + 1)),
        makeTensor('dim1', ElemType.INT64, [], [1]),
        makeTensor('three_i', ElemType.INT64, [], [3]),
        makeTensor('zero', F, [], [0]),
      ],
      input: [{ name: 'x', type: { tensorType: { elemType: F, shape: { dim: [{ dimValue: 2 }, { dimValue: cols }] } } } }],
      output: [{ name: 'y' }],
    },
  };
}
const shapeCond = [n('Shape', ['h'], ['s']), n('Gather', ['s', 'dim1'], ['d'], [attr.int('axis', 0)]), n('Equal', ['d', 'three_i'], ['cond'])];
const dataCond = [n('ReduceSum', ['h'], ['r'], [attr.int('keepdims', 0)]), n('Greater', ['r', 'zero'], ['cond'])];

async function gradH(proto: ModelProto, cols: number): Promise<number[]> {
  const x = new ort.Tensor('float32', Float32Array.from({ length: 2 * cols }, (_, i) => 0.1 * i - 0.2), [2, cols]);
  const [g] = await engineVjp(proto, { x }, ['h'], 'y', (d) => new Array(d.reduce((a, b) => a * b, 1)).fill(1));
  return Array.from(g.data as Float32Array);
}

describe('If on the gradient path', () => {
  test('a shape-decided If is inlined: the taken branch decides the gradient (then: 3·w, else: w)', async () => {
    assert.deepEqual(await gradH(model(3, shapeCond), 3), [3, 6, 9, 3, 6, 9]);
    assert.deepEqual(await gradH(model(4, shapeCond), 4), [1, 2, 3, 4, 1, 2, 3, 4]);
  });
  test('a data-dependent If is refused by name, not silently skipped', async () => {
    await assert.rejects(gradH(model(3, dataCond), 3), (e: Error) => /no gradient rule for op If/.test(e.message) && /\/m\/If_b/.test(e.message));
  });
});
