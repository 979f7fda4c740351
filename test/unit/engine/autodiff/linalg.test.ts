import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gradCheck } from '../../../support/gradcheck';

describe('VJP rules: linalg', () => {
  for (const [transA, transB] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
    const a = transA ? [4, 3] : [3, 4];
    const b = transB ? [5, 4] : [4, 5];
    test(`Gemm opset 13 transA=${transA} transB=${transB} alpha/beta, C [5]`, () =>
      gradCheck({ op: 'Gemm', opset: 13, inputs: [{ dims: a }, { dims: b }, { dims: [5] }], attrs: { transA, transB, alpha: { f: 0.5 }, beta: { f: 2 } } }));
  }
  test('Gemm opset 7 with C [3, 1]', () => gradCheck({ op: 'Gemm', opset: 7, inputs: [{ dims: [3, 4] }, { dims: [4, 2] }, { dims: [3, 1] }] }));
  test('Gemm opset 9 with a scalar C', () => gradCheck({ op: 'Gemm', opset: 9, inputs: [{ dims: [3, 4] }, { dims: [4, 2] }, { dims: [] }], attrs: { beta: { f: -1.5 } } }));
  test('Gemm opset 11 without C, constant B (a Linear layer)', () =>
    gradCheck({ op: 'Gemm', opset: 11, inputs: [{ dims: [3, 4] }, { dims: [2, 4], constant: 'float' }, { dims: [], absent: true }], attrs: { transB: 1 } }));
  test('Gemm opset 13 with a full C and a constant A', () =>
    gradCheck({ op: 'Gemm', opset: 13, inputs: [{ dims: [3, 4], constant: 'float' }, { dims: [4, 2] }, { dims: [3, 2] }], attrs: { alpha: { f: -2 } } }));

  const matmul: [string, number[], number[]][] = [
    ['2-D x 2-D', [3, 4], [4, 5]],
    ['1-D x 1-D', [4], [4]],
    ['1-D x 3-D', [4], [2, 4, 3]],
    ['3-D x 1-D', [2, 3, 4], [4]],
    ['3-D x 2-D (folded weight gradient)', [2, 3, 4], [4, 5]],
    ['4-D x 2-D (input gradient as one Gemm with transB)', [2, 2, 3, 4], [4, 5]],
    ['2-D x 3-D', [3, 4], [2, 4, 5]],
    ['batch broadcasting [2,1,3,4] x [3,4,2]', [2, 1, 3, 4], [3, 4, 2]],
    ['batch broadcasting [1,3,4] x [2,1,4,2]', [1, 3, 4], [2, 1, 4, 2]],
  ];
  for (const [name, a, b] of matmul) test(`MatMul ${name}`, () => gradCheck({ op: 'MatMul', opset: 13, inputs: [{ dims: a }, { dims: b }] }));
  test('MatMul opset 7 with a constant weight', () =>
    gradCheck({ op: 'MatMul', opset: 7, inputs: [{ dims: [2, 3, 4] }, { dims: [4, 5], constant: 'float' }] }));

  const einsum: [string, number[][]][] = [
    ['ij,jk->ik', [[3, 4], [4, 5]]],
    ['bij,bjk->bik', [[2, 3, 4], [2, 4, 2]]],
    ['...ij,...jk->...ik', [[2, 1, 3, 4], [2, 3, 4, 2]]],
    ['bij,bjk->bik (b broadcast from 1)', [[1, 3, 4], [2, 4, 2]]],
    ['ij,kj', [[3, 4], [2, 4]]],
    ['ij->ji', [[3, 4]]],
    ['ij->', [[3, 4]]],
    ['ij,k->ik', [[3, 4], [2]]],
    ['i,i', [[5], [5]]],
    ['ii,ij->j', [[3, 3], [3, 2]]],
    ['bhqd,bhkd->bhqk', [[1, 2, 3, 2], [1, 2, 4, 2]]],
  ];
  for (const [equation, shapes] of einsum)
    test(`Einsum '${equation}'`, () => gradCheck({ op: 'Einsum', opset: 12, inputs: shapes.map((dims, i) => (equation.startsWith('ii') && i === 0 ? { dims, constant: 'float' } : { dims })), attrs: { equation: equation.split(' ')[0] } }));
  test('Einsum with a differentiated diagonal operand fails clearly', () =>
    assert.rejects(gradCheck({ op: 'Einsum', opset: 12, inputs: [{ dims: [3, 3] }], attrs: { equation: 'ii->i' } }), /repeats a letter.*not supported/));
});
