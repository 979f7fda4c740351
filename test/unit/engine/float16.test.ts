/**
 * float16 models load as float32 (src/engine/onnx/promoteHalf.ts): initializers, Constant tensors, declared types
 * and casts to float16 are promoted. A float16 model and its float32 twin (weights exactly representable in
 * float16) give identical attributions, with a note saying so.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FLOAT16_NOTE, ModelSession } from '../../../src/engine/modelSession';
import { loadModel } from '../../../src/engine/onnx/loadModel';
import { ElemType, ModelProto, NodeProto, attr } from '../../../src/engine/onnx/proto';
import { makeTensor } from '../../../src/engine/onnx/tensorData';
import { writeModel } from '../../support/tinyModels';

/** x [N,4] → /block/scale/Mul(w) → /block/act/Relu → Add(Constant b) → Cast(float) → Mul(1.5) → Cast(t) → y */
function model(t: number): ModelProto {
  const vi = (name: string) => ({ name, type: { tensorType: { elemType: t, shape: { dim: [{ dimParam: 'N' }, { dimValue: 4 }] } } } });
  const nodes: NodeProto[] = [
    { name: '/block/scale/Mul', opType: 'Mul', input: ['x', 'w'], output: ['/block/scale/Mul_output_0'] },
    { name: '/block/act/Relu', opType: 'Relu', input: ['/block/scale/Mul_output_0'], output: ['/block/act/Relu_output_0'] },
    { name: '/head/Constant', opType: 'Constant', input: [], output: ['b'], attribute: [attr.tensor('value', makeTensor('b', t, [4], [0.25, 0.5, -0.75, 1]))] },
    { name: '/head/Add', opType: 'Add', input: ['/block/act/Relu_output_0', 'b'], output: ['/head/Add_output_0'] },
    { name: '/head/Cast', opType: 'Cast', input: ['/head/Add_output_0'], output: ['/head/Cast_output_0'], attribute: [attr.int('to', ElemType.FLOAT)] },
    { name: '/head/Mul', opType: 'Mul', input: ['/head/Cast_output_0', 'c'], output: ['/head/Mul_output_0'] },
    { name: '/head/Cast_1', opType: 'Cast', input: ['/head/Mul_output_0'], output: ['y'], attribute: [attr.int('to', t)] },
  ];
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'half',
      node: nodes,
      initializer: [makeTensor('w', t, [4], [0.5, -1.5, 2, 1]), makeTensor('c', ElemType.FLOAT, [], [1.5])],
      input: [vi('x')],
      output: [vi('y')],
    },
  };
}

describe('float16 models', () => {
  test('load as float32: no float16 left in the graph', async () => {
    const m = await loadModel(writeModel(model(ElemType.FLOAT16)));
    assert.equal(m.promotedFromFloat16, true);
    const types = [...m.graph.types.values()].map((v) => v.elemType);
    assert.ok(!types.includes(ElemType.FLOAT16), `types: ${types}`);
    assert.equal(m.graph.nodeByName.get('/head/Cast_1')!.attrs.get('to'), ElemType.FLOAT);
    assert.equal((await loadModel(writeModel(model(ElemType.FLOAT)))).promotedFromFloat16, undefined);
  });

  test('attributions equal the float32 twin\'s exactly, with a note', async () => {
    const x = { dtype: 'float32' as const, dims: [2, 4], data: Float32Array.from([0.5, 1.25, -2, 3, -0.125, 0.75, 1.5, -1]) };
    const [s16, s32] = await Promise.all([ModelSession.open(writeModel(model(ElemType.FLOAT16))), ModelSession.open(writeModel(model(ElemType.FLOAT)))]);
    try {
      for (const layer of ['block.act', 'block.scale']) {
        const req = { layers: [layer], inputs: [x], target: { kind: 'perExample' as const, indices: [1, 3] }, threads: 1 };
        const [a, b] = [await s16.attribute(req), await s32.attribute(req)];
        assert.deepEqual(Array.from(a.attributions[0][0].data as Float32Array), Array.from(b.attributions[0][0].data as Float32Array));
        assert.ok(a.providerNotes.includes(FLOAT16_NOTE));
        assert.ok(!b.providerNotes.includes(FLOAT16_NOTE));
      }
    } finally {
      await s16.dispose();
      await s32.dispose();
    }
  });
});
