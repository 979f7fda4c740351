/**
 * LSTM, GRU and RNN: the engine unrolls them over the sequence (src/engine/attribution/decomposeRecurrent.ts)
 * and differentiates the unrolled cell equations. Checked against finite differences of onnxruntime's own fused
 * kernels, so a wrong unrolling (gate order, bias halves, direction, layout, linear_before_reset) fails here.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GradCase, GradInput, buildForTest, engineVjp, gradCheck } from '../../../support/gradcheck';

const [T, N, I, H] = [4, 2, 3, 3];
const X = (): GradInput => ({ dims: [T, N, I] });
const weights = (gates: number, dirs: number): GradInput[] => [
  { dims: [dirs, gates * H, I], constant: 'float' },
  { dims: [dirs, gates * H, H], constant: 'float' },
  { dims: [dirs, 2 * gates * H], constant: 'float' },
];
const state = (dirs: number): GradInput => ({ dims: [dirs, N, H] });
const none: GradInput = { dims: [], absent: true };

function cases(op: 'LSTM' | 'GRU' | 'RNN'): [string, GradCase][] {
  const gates = { LSTM: 4, GRU: 3, RNN: 1 }[op];
  const outputs = op === 'LSTM' ? 3 : 2;
  const states = (dirs: number) => (op === 'LSTM' ? [state(dirs), state(dirs)] : [state(dirs)]);
  const base = (direction: string, dirs: number, extra: Partial<GradCase> = {}): GradCase => ({
    op,
    opset: 7,
    inputs: [X(), ...weights(gates, dirs)],
    attrs: { hidden_size: H, direction },
    outputs,
    dtype: 'float32',
    ...extra,
  });
  return [
    [`${op} forward, biases, no initial state`, base('forward', 1)],
    [`${op} reverse`, base('reverse', 1)],
    [`${op} bidirectional with initial states (differentiated too)`, base('bidirectional', 2, { inputs: [X(), ...weights(gates, 2), none, ...states(2)] })],
    [`${op} opset 14, bidirectional, initial states`, base('bidirectional', 2, { opset: 14, inputs: [X(), ...weights(gates, 2), none, ...states(2)] })],
    [`${op} without biases`, base('forward', 1, { inputs: [X(), ...weights(gates, 1).slice(0, 2)] })],
    [`${op} with differentiable weights`, base('forward', 1, { inputs: [X(), { dims: [1, gates * H, I] }, { dims: [1, gates * H, H] }, { dims: [1, 2 * gates * H] }] })],
    [`${op} with sequence_lens all equal to the sequence length`, base('forward', 1, { inputs: [X(), ...weights(gates, 1), { dims: [N], constant: 'int32', data: [T, T] }] })],
  ];
}

describe('VJP: recurrent ops unrolled (against onnxruntime fused kernels)', () => {
  for (const op of ['LSTM', 'GRU', 'RNN'] as const) for (const [name, c] of cases(op)) test(name, () => gradCheck(c));

  test('GRU linear_before_reset=1 (what torch exports), bidirectional', () =>
    gradCheck({ op: 'GRU', opset: 7, inputs: [X(), ...weights(3, 2)], attrs: { hidden_size: H, direction: 'bidirectional', linear_before_reset: 1 }, outputs: 2, dtype: 'float32' }));
  test('RNN with explicit Sigmoid activations, bidirectional', () =>
    gradCheck({ op: 'RNN', opset: 7, inputs: [X(), ...weights(1, 2)], attrs: { hidden_size: H, direction: 'bidirectional', activations: { ss: ['Sigmoid', 'Sigmoid'] } }, outputs: 2, dtype: 'float32' }));
  test('a single time step', () =>
    gradCheck({ op: 'LSTM', opset: 7, inputs: [{ dims: [1, N, I] }, ...weights(4, 1)], attrs: { hidden_size: H }, outputs: 3, dtype: 'float32' }));

  const refused: [string, GradCase, RegExp][] = [
    ['clip', { op: 'LSTM', opset: 7, inputs: [X(), ...weights(4, 1)], attrs: { hidden_size: H, clip: { f: 0.5 } }, outputs: 3 }, /clip attribute is not supported/],
    ['shorter sequence_lens', { op: 'GRU', opset: 7, inputs: [X(), ...weights(3, 1), { dims: [N], constant: 'int32', data: [T, 2] }], attrs: { hidden_size: H }, outputs: 2 }, /sequence_lens/],
    [
      'more time steps than LayerLens unrolls (300 × 2 directions > 512)',
      { op: 'LSTM', opset: 7, inputs: [{ dims: [300, 1, 2] }, { dims: [2, 8, 2], constant: 'float' }, { dims: [2, 8, 2], constant: 'float' }], attrs: { hidden_size: 2, direction: 'bidirectional' }, outputs: 3 },
      /600 time steps .*more than LayerLens unrolls \(512\); choose a layer after the recurrent layer/,
    ],
    ['non-default LSTM activations', { op: 'LSTM', opset: 7, inputs: [X(), ...weights(4, 1)], attrs: { hidden_size: H, activations: { ss: ['Sigmoid', 'Relu', 'Tanh'] } }, outputs: 3 }, /activations/],
  ];
  for (const [name, c, re] of refused)
    test(`refused with the node named: ${name}`, async () => {
      const { proto, feeds } = buildForTest(c);
      await assert.rejects(engineVjp(proto, feeds, Object.keys(feeds), 'y0', (d) => new Array(d.reduce((a, b) => a * b, 1)).fill(1)), (e: Error) => re.test(e.message) && /'\/test\//.test(e.message));
    });
});
