/**
 * Weights read in place: decoded float weights are aligned inside the file's own bytes (ownTensors.ts), and on the
 * CPU every session takes them as inputs fed from those bytes instead of holding a copy (sessionModel.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { decodeModel } from '../../../../src/engine/onnx/loadModel';
import { alignWeightsInPlace } from '../../../../src/engine/onnx/ownTensors';
import { ElemType, type ModelProto, type NodeProto, type TensorProto, encodeModel } from '../../../../src/engine/onnx/proto';
import { encodeForSession } from '../../../../src/engine/onnx/sessionModel';
import { makeTensor } from '../../../../src/engine/onnx/tensorData';
import { type SessionExtras, type SessionFactory, createOrtSession, openSession } from '../../../../src/engine/runtime/session';
import { rng } from '../../../support/random';

/** x[1, 33] → MatMul(w1 [33, 65]) → Add(b [65]) → Gelu-free Relu → MatMul(w2 [65, 7]) → Cast-free output; odd names and sizes misalign the weights. */
function mlp(): ModelProto {
  const r = rng(3);
  const w1 = makeTensor('w1.odd', ElemType.FLOAT, [33, 65], Array.from({ length: 33 * 65 }, () => r() - 0.5));
  const b = makeTensor('bias_', ElemType.FLOAT, [65], Array.from({ length: 65 }, () => r() - 0.5));
  const w2 = makeTensor('w2', ElemType.FLOAT, [65, 17], Array.from({ length: 65 * 17 }, () => r() - 0.5));
  const shape = makeTensor('shape.i64', ElemType.INT64, [2], [1, 17]);
  const nodes: NodeProto[] = [
    { name: 'mm1', opType: 'MatMul', input: ['x', 'w1.odd'], output: ['h'] },
    { name: 'add', opType: 'Add', input: ['h', 'bias_'], output: ['hb'] },
    { name: 'relu', opType: 'Relu', input: ['hb'], output: ['a'], docString: 'a doc string between the weights' },
    { name: 'mm2', opType: 'MatMul', input: ['a', 'w2'], output: ['y0'] },
    { name: 'reshape', opType: 'Reshape', input: ['y0', 'shape.i64'], output: ['y'] },
  ];
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'mlp',
      node: nodes,
      initializer: [w1, b, shape, w2] as TensorProto[],
      input: [{ name: 'x', type: { tensorType: { elemType: ElemType.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: 33 }] } } } }],
      output: [{ name: 'y', type: { tensorType: { elemType: ElemType.FLOAT } } }],
    },
  };
}

/** The model's bytes at an odd offset of a larger buffer, as a file read into a pooled buffer may be. */
function decodedAtOffset(proto: ModelProto, offset: number): { proto: ModelProto; file: Uint8Array } {
  const bytes = encodeModel(proto);
  const padded = new Uint8Array(bytes.length + offset);
  padded.set(bytes, offset);
  const file = padded.subarray(offset);
  return { proto: decodeModel(file), file };
}

describe('weights read in place', () => {
  test('misaligned float weights are moved to aligned offsets inside the same bytes; every value and field stays', () => {
    const original = mlp();
    for (const offset of [1, 2, 3, 5]) {
      const { proto, file } = decodedAtOffset(original, offset);
      const before = proto.graph!.initializer!.map((t) => Array.from(t.rawData!));
      alignWeightsInPlace(proto, file);
      proto.graph!.initializer!.forEach((t, i) => {
        assert.equal(t.rawData!.buffer, file.buffer, `${t.name}: still the file's bytes`);
        if (t.dataType === ElemType.FLOAT) assert.equal(t.rawData!.byteOffset % 4, 0, `${t.name} aligned (file at offset ${offset})`);
        assert.deepEqual(Array.from(t.rawData!), before[i], `${t.name} unchanged`);
      });
      // The whole model survives: encoded again, it decodes to the same model.
      assert.deepEqual(Buffer.from(encodeModel(proto)), Buffer.from(encodeModel(original)));
    }
  });

  test('on the CPU the weights are session inputs fed from those bytes; elsewhere external data; the outputs equal the embedded model\'s', async () => {
    const { proto, file } = decodedAtOffset(mlp(), 3);
    alignWeightsInPlace(proto, file);
    const model = encodeForSession(proto);
    const cpu = model.encode('cpu');
    assert.deepEqual(Object.keys(cpu.weightFeeds).sort(), ['w1.odd', 'w2']);
    assert.equal(cpu.externalData.length, 0);
    for (const [name, t] of Object.entries(cpu.weightFeeds)) {
      const init = proto.graph!.initializer!.find((i) => i.name === name)!;
      assert.equal((t.data as Float32Array).buffer, file.buffer, `${name} is a view of the model's bytes, not a copy`);
      assert.equal((t.data as Float32Array).byteOffset, init.rawData!.byteOffset);
    }
    const gpu = model.encode('webgpu');
    assert.deepEqual(Object.keys(gpu.weightFeeds), []);
    assert.equal(gpu.externalData.length, 2);
    assert.ok(cpu.bytes.length < 1024, `${cpu.bytes.length} bytes of protobuf`);

    const seen: SessionExtras[] = [];
    const spy: SessionFactory = (bytes, provider, threads, extras) => {
      seen.push(extras ?? {});
      return createOrtSession(bytes, provider, threads, extras);
    };
    const opened = await openSession(model, { provider: 'cpu' }, spy);
    const embedded = await ort.InferenceSession.create(encodeModel(mlp()));
    try {
      const x = new ort.Tensor('float32', Float32Array.from({ length: 33 }, (_v, i) => Math.sin(i)), [1, 33]);
      const a = (await opened.session.run({ x }, ['y'])).y.data as Float32Array;
      const b = (await embedded.run({ x })).y.data as Float32Array;
      // Equal up to float rounding: with constant weights onnxruntime fuses MatMul + Add and packs the weights.
      a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= 1e-5 * (1 + Math.abs(b[i])), `y[${i}]: ${v} vs ${b[i]}`));
      assert.deepEqual(Object.keys(seen[0].weightFeeds ?? {}).sort(), ['w1.odd', 'w2']);
    } finally {
      await opened.session.release();
      await embedded.release();
    }
  });
});
