/** The one dtype table and the one float16 codec every side uses (files, the wire, onnxruntime, ONNX). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DTYPE_TO_ELEM, ELEM_TO_DTYPE } from '../../../../src/engine/runtime/tensors';
import { float16ToNumber, numberToFloat16 } from '../../../../src/engine/tensor/float16';
import { DTYPES, DType, isDType, isFloatDType } from '../../../../src/engine/tensor/hostTensor';

test('each dtype: its typed array holds elements of its byte size; ONNX element types map both ways', () => {
  for (const d of Object.keys(DTYPES) as DType[]) {
    assert.equal(DTYPES[d].ctor.BYTES_PER_ELEMENT, DTYPES[d].bytes, d);
    assert.equal(ELEM_TO_DTYPE[DTYPE_TO_ELEM[d]], d, d);
    assert.ok(isDType(d));
  }
  assert.deepEqual((Object.keys(DTYPES) as DType[]).filter(isFloatDType), ['float32', 'float64', 'float16']);
  assert.equal(isDType('complex64'), false);
});

test('float16: exact values round-trip; rounding, overflow, subnormals and NaN', () => {
  for (const v of [0, 1, -2, 0.5, 65504, -65504, 2 ** -14, 2 ** -24, 1.5, 1024.5 - 0.5]) assert.equal(float16ToNumber(numberToFloat16(v)), v, String(v));
  assert.equal(float16ToNumber(numberToFloat16(1e6)), Infinity);
  assert.equal(float16ToNumber(numberToFloat16(-1e6)), -Infinity);
  assert.ok(Number.isNaN(float16ToNumber(numberToFloat16(NaN))));
  assert.equal(float16ToNumber(numberToFloat16(1 + 2 ** -11 + 2 ** -13)), 1 + 2 ** -10, 'nearest');
  assert.equal(float16ToNumber(0x0001), 2 ** -24);
  assert.ok(Object.is(float16ToNumber(0x8000), -0));
});
