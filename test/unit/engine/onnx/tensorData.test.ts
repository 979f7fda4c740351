import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ElemType } from '../../../../src/engine/onnx/proto';
import { makeTensor, tensorToNumbers } from '../../../../src/engine/onnx/tensorData';

describe('tensor data', () => {
  test('float32 raw data at an odd offset inside a Node Buffer (as protobufjs decodes it) reads correctly', () => {
    const t = makeTensor('w', ElemType.FLOAT, [3], [1.5, -2, 0.25]);
    const pool = Buffer.alloc(64);
    pool.set(t.rawData!, 5);
    const view = pool.subarray(5, 5 + 12);
    assert.deepEqual(tensorToNumbers({ ...t, rawData: view }), [1.5, -2, 0.25]);
  });
  test('int64, float16 and typed fields', () => {
    assert.deepEqual(tensorToNumbers(makeTensor('a', ElemType.INT64, [2], [-3, 7])), [-3, 7]);
    assert.deepEqual(tensorToNumbers(makeTensor('h', ElemType.FLOAT16, [2], [0.5, -1])), [0.5, -1]);
    assert.deepEqual(tensorToNumbers({ name: 'f', dataType: ElemType.FLOAT, dims: [2], floatData: [1, 2] }), [1, 2]);
  });
});
