/** The finite-difference check the real-world models rely on (test/support/fdcheck.ts) accepts the engine's gradient and refuses wrong ones. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ModelSession } from '../../../src/engine/modelSession';
import type { HostTensor } from '../../../src/engine/tensor/hostTensor';
import { fdCheckValue } from '../../support/fdcheck';
import { publicModel } from '../../support/fixtures';
import { rng } from '../../support/random';

describe('finite-difference check', () => {
  let session: ModelSession;
  const r = rng(11);
  const input: HostTensor = { dtype: 'float32', dims: [1, 3, 32, 32], data: Float32Array.from({ length: 3 * 32 * 32 }, () => r() * 2 - 1) };
  const target = { kind: 'index', index: 4 } as const;
  let value: string;
  let gradient: HostTensor;
  before(async () => {
    session = await ModelSession.open(publicModel('small_cnn'));
    value = session.layers.activations('conv2', false)[0];
    gradient = (await session.attribute({ layers: ['conv2'], inputs: [input], target, gradientOnly: true })).attributions[0][0];
  });
  after(() => session.dispose());

  test("accepts the engine's gradient", async () => {
    const res = await fdCheckValue(session.model, [input], value, session.model.graph.outputs[0], target, gradient);
    assert.ok(res.worstRelErr <= 1);
  });

  const wrong: [string, (g: Float32Array) => void][] = [
    ['5 % too large', (g) => g.forEach((x, i) => (g[i] = x * 1.05))],
    ['sign of the largest entries flipped', (g) => Array.from(g.keys()).sort((i, j) => Math.abs(g[j]) - Math.abs(g[i])).slice(0, 4).forEach((i) => (g[i] = -g[i]))],
    ['one channel missing', (g) => g.fill(0, 0, g.length / 16)],
  ];
  for (const [what, corrupt] of wrong)
    test(`refuses a gradient with ${what}`, async () => {
      const g = Float32Array.from(gradient.data as Float32Array);
      corrupt(g);
      await assert.rejects(fdCheckValue(session.model, [input], value, session.model.graph.outputs[0], target, { ...gradient, data: g }), /disagrees with finite differences/);
    });
});
