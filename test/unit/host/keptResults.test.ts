/** The engine process's kept results: newest first within a count and a byte budget; an evicted id is a one-line error. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KeptResults } from '../../../src/engineProcess/keptResults';
import type { HostTensor } from '../../../src/engine/tensor/hostTensor';

const tensor = (n: number, fill = 1): HostTensor => ({ dtype: 'float32', dims: [n], data: new Float32Array(n).fill(fill) });

describe('KeptResults', () => {
  test('keeps the newest results within the count', () => {
    const k = new KeptResults(3, 2 ** 30);
    const ids = [1, 2, 3, 4, 5].map((v) => k.keep([[tensor(4, v)]]));
    assert.equal(k.size, 3);
    assert.throws(() => k.tensor(ids[1], 0, 0), /no longer kept by the engine: attribute again/);
    assert.deepEqual(Array.from(k.tensor(ids[4], 0, 0).data as Float32Array), [5, 5, 5, 5]);
    assert.deepEqual(Array.from(k.tensor(ids[2], 0, 0).data as Float32Array), [3, 3, 3, 3]);
  });

  test('keeps within the byte budget, but always the result just kept', () => {
    const k = new KeptResults(100, 1000);
    const a = k.keep([[tensor(100)]]); // 400 bytes
    const b = k.keep([[tensor(100)], [tensor(50)]]); // 600: 1000 in all, within
    assert.equal(k.size, 2);
    const c = k.keep([[tensor(500)]]); // 2000 bytes alone: the others go, it stays
    assert.equal(k.size, 1);
    assert.throws(() => k.tensor(a, 0, 0), /no longer kept/);
    assert.throws(() => k.tensor(b, 1, 0), /no longer kept/);
    assert.equal(k.tensor(c, 0, 0).dims[0], 500);
  });

  test('a channel of a rank-4 result; wrong indices and ranks are one-line errors', () => {
    const k = new KeptResults();
    const data = Float32Array.from({ length: 2 * 3 * 2 * 2 }, (_v, i) => i);
    const id = k.keep([[{ dtype: 'float32', dims: [2, 3, 2, 2], data }], [tensor(4)]]);
    assert.deepEqual(k.channel(id, 0, 0, 1, 2, false), { dims: [2, 2], data: Float32Array.of(20, 21, 22, 23) });
    assert.throws(() => k.channel(id, 0, 0, 2, 0, false), /no channel 0 of example 2 in a \[2, 3, 2, 2\] result/);
    assert.throws(() => k.channel(id, 0, 0, 0, 1.5, false), /no channel 1.5/);
    assert.throws(() => k.channel(id, 1, 0, 0, 0, false), /a \[4\] result has no channels/);
    assert.throws(() => k.tensor(id, 0, 1), /no longer kept/);
  });
});
