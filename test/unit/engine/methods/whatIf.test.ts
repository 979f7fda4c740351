/**
 * What-if ablation (predict with some channels of a layer set to a constant): equal to Captum's feature ablation
 * arithmetic (F(x) − F(x with the group ablated)), equal to the plain forward when nothing is ablated, exact where
 * the answer is known in closed form, and one-line errors for impossible requests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { HostTensor } from '../../../../src/engine/tensor/hostTensor';
import { LayerLensError } from '../../../../src/engine/errors';
import { ModelSession } from '../../../../src/engine/modelSession';
import { ablateChannels } from '../../../../src/engine/attribution/methods/ablateChannels';
import { encodeModel } from '../../../../src/engine/onnx/proto';
import { buildResNet18 } from '../../../support/resnet18';
import { rng } from '../../../support/random';
import { tempDir } from '../../../support/tinyModels';
import fs from 'node:fs';
import path from 'node:path';

const CLASSES = 10;

function image(seed: number, n = 1): HostTensor {
  const r = rng(seed);
  const data = new Float32Array(n * 3 * 224 * 224);
  for (let i = 0; i < data.length; i++) data[i] = r() * 2 - 1;
  return { dtype: 'float32', dims: [n, 3, 224, 224], data };
}

/** Scores of every class per example, by class index. */
function scores(res: { top: { index: number; score: number }[][] }): number[][] {
  return res.top.map((row) => {
    const out = new Array<number>(CLASSES);
    for (const p of row) out[p.index] = p.score;
    return out;
  });
}

describe('what-if channel ablation', () => {
  let session: ModelSession;
  before(async () => {
    const file = path.join(tempDir(), 'resnet.onnx');
    fs.writeFileSync(file, encodeModel(buildResNet18({ width: 8, classes: CLASSES })));
    session = await ModelSession.open(file);
  });
  after(() => session.dispose());

  test('no channel ablated: the plain predictions (to float32 rounding: the forward runs as two sessions)', async () => {
    const x = image(1);
    const plain = await session.predict([x], { top: CLASSES });
    const none = await session.predict([x], { top: CLASSES, ablate: { layer: 'layer3', channelAxis: 1, channels: [] } });
    assert.deepEqual(none.top.map((r) => r.map((p) => p.index)), plain.top.map((r) => r.map((p) => p.index)));
    none.top[0].forEach((p, j) => assert.ok(Math.abs(p.score - plain.top[0][j].score) <= 1e-6 * Math.abs(plain.top[0][0].score), `class ${p.index}`));
  });

  test('the answer carries the unablated scores of the same classes, in the same order', async () => {
    const x = image(5);
    const plain = scores(await session.predict([x], { top: CLASSES }));
    const res = await session.predict([x], { top: 4, ablate: { layer: 'layer2', channelAxis: 1, channels: [0, 1, 2, 3] } });
    assert.equal(res.top[0].length, 4);
    assert.deepEqual(res.reference![0].map((p) => p.index), res.top[0].map((p) => p.index));
    res.reference![0].forEach((p) => assert.ok(Math.abs(p.score - plain[0][p.index]) <= 1e-5 * (1 + Math.abs(p.score)), `class ${p.index}`));
    assert.equal((await session.predict([x], { top: 3 })).reference, undefined, 'no reference without an ablation');
  });

  test("equals F(x) − Captum's feature ablation attribution of that channel (layer output and layer input)", async () => {
    const x = image(2, 2);
    const plain = scores(await session.predict([x], { top: CLASSES }));
    for (const layerInput of [false, true]) {
      const layer = 'layer3.0';
      const channels = layerInput ? 16 : 32;
      // Every channel its own group: the attribution at any element of channel c is F(x)[t] − F(x, c ablated)[t].
      const mask: HostTensor = { dtype: 'int64', dims: [1, channels, 1, 1], data: BigInt64Array.from({ length: channels }, (_, i) => BigInt(i)) };
      const target = 3;
      const fa = await session.attribute({
        layers: [layer],
        layerInput,
        inputs: [x],
        target: { kind: 'index', index: target },
        method: { name: 'feature-ablation', layerMask: mask, layerBaseline: 0.5 },
      });
      const attr = fa.attributions[0][0];
      const [, , hh, ww] = attr.dims;
      for (const c of [0, 5, channels - 1]) {
        const ablated = scores(await session.predict([x], { top: CLASSES, ablate: { layer, layerInput, channelAxis: 1, channels: [c], baseline: 0.5 } }));
        for (let i = 0; i < 2; i++) {
          const want = (attr.data as Float32Array)[((i * channels + c) * hh) * ww];
          const got = plain[i][target] - ablated[i][target];
          assert.ok(Math.abs(got - want) <= 1e-5 * (1 + Math.abs(want)), `${layerInput ? 'input' : 'output'} channel ${c} example ${i}: ${got} vs ${want}`);
        }
      }
    }
  });

  test('every channel of the classifier input off: the logits are the fc bias', async () => {
    const x = image(3);
    const res = await session.predict([x], { top: CLASSES, ablate: { layer: 'fc', layerInput: true, channelAxis: -1, channels: Array.from({ length: 64 }, (_, i) => i) } });
    const zero = await session.predict([{ dtype: 'float32', dims: [1, 3, 224, 224], data: new Float32Array(3 * 224 * 224) }], { top: CLASSES, ablate: { layer: 'fc', layerInput: true, channelAxis: 1, channels: Array.from({ length: 64 }, (_, i) => i) } });
    assert.deepEqual(scores(res), scores(zero), 'the image no longer matters');
    const plain = scores(await session.predict([x], { top: CLASSES }));
    assert.notDeepEqual(scores(res), plain);
  });

  test('ablateChannels sets exactly the chosen channels along the axis', () => {
    const t: HostTensor = { dtype: 'float32', dims: [2, 3, 2], data: Float32Array.from({ length: 12 }, (_, i) => i + 1) };
    assert.deepEqual(Array.from(ablateChannels(t, 1, [1]).data as Float32Array), [1, 2, 0, 0, 5, 6, 7, 8, 0, 0, 11, 12]);
    assert.deepEqual(Array.from(ablateChannels(t, -1, [0], -1).data as Float32Array), [-1, 2, -1, 4, -1, 6, -1, 8, -1, 10, -1, 12]);
    assert.deepEqual(Array.from(t.data as Float32Array).slice(0, 3), [1, 2, 3], 'the input is not modified');
  });

  test('impossible requests are one-line errors naming what is wrong', async () => {
    const x = image(4);
    const fails = async (ablate: Parameters<ModelSession['predict']>[1] extends infer O ? (O extends { ablate?: infer A } ? A : never) : never, re: RegExp) =>
      assert.rejects(session.predict([x], { ablate }), (e: unknown) => e instanceof LayerLensError && re.test(e.message) && !e.message.includes('\n'));
    await fails({ layer: 'layer3', channelAxis: 1, channels: [32] }, /channel 32 is out of range.*32 channels/);
    await fails({ layer: 'layer3', channelAxis: 7, channels: [0] }, /channel axis 7 is out of range/);
    await fails({ layer: 'nope', channelAxis: 1, channels: [0] }, /nope/);
    await fails({ layer: 'layer3', channelAxis: 1, channels: [0], value: 2 }, /tensor 2 does not exist/);
    await fails({ layer: 'layer3', channelAxis: 1, channels: [0], baseline: Number.NaN }, /finite/);
  });
});
