/**
 * The backward pass split at single-tensor cuts (segments.ts, segmentedRun.ts): where the cuts are, that each
 * segment runs on its own, and that attributions on the split model equal the whole graph's — for block outputs
 * (cuts), layers inside a block, layer inputs, several layers at once, several targets, and after switching
 * input, target and layer in one long-lived session (the state it keeps must never serve another input).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AttributionTarget } from '../../../src/engine/api';
import { findCuts, segmentModel } from '../../../src/engine/attribution/segments';
import { planSegments } from '../../../src/engine/attribution/segmentedRun';
import { loadModel } from '../../../src/engine/onnx/loadModel';
import { encodeModel } from '../../../src/engine/onnx/proto';
import { ModelSession } from '../../../src/engine/modelSession';
import { decodeModel } from '../../../src/engine/onnx/loadModel';
import { type SessionFactory, createOrtSession } from '../../../src/engine/runtime/session';
import type { HostTensor } from '../../../src/engine/tensor/hostTensor';
import { buildResNet18 } from '../../support/resnet18';
import { rng } from '../../support/random';
import { tempDir } from '../../support/tinyModels';

function image(seed: number, n = 1): HostTensor {
  const r = rng(seed);
  return { dtype: 'float32', dims: [n, 3, 224, 224], data: Float32Array.from({ length: n * 3 * 224 * 224 }, () => r() * 2 - 1) };
}

function maxRelDiff(a: HostTensor, b: HostTensor): number {
  assert.deepEqual(a.dims, b.dims);
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  let m = 0;
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    m = Math.max(m, Math.abs(x[i] - y[i]));
    s = Math.max(s, Math.abs(y[i]));
  }
  return m / (s || 1);
}

describe('split backward', () => {
  let file: string;
  let split: ModelSession;
  let whole: ModelSession;
  before(async () => {
    file = path.join(tempDir(), 'resnet.onnx');
    fs.writeFileSync(file, encodeModel(buildResNet18({ width: 16, classes: 10, seed: 5 })));
    split = await ModelSession.open(file, { split: 'always' });
    whole = await ModelSession.open(file, { split: 'never' });
  });
  after(async () => {
    await split.dispose();
    await whole.dispose();
  });

  test('cuts: every block output and its residual sum, none inside a block (the skip path crosses it)', async () => {
    const model = await loadModel(file);
    const cuts = findCuts(model.graph, 'logits');
    for (const l of [1, 2, 3, 4])
      for (const b of [0, 1]) {
        assert.ok(cuts.includes(`/layer${l}/layer${l}.${b}/relu_1/Relu_output_0`), `layer${l}.${b} output`);
        assert.ok(cuts.includes(`/layer${l}/layer${l}.${b}/Add_output_0`), `layer${l}.${b} residual sum`);
        assert.ok(!cuts.includes(`/layer${l}/layer${l}.${b}/relu/Relu_output_0`), `inside layer${l}.${b}`);
      }
    assert.ok(!cuts.includes('logits') && !cuts.includes('image'));
    // In network order.
    const order = cuts.map((c) => model.graph.producer.get(c)!.node.index);
    assert.deepEqual(order, [...order].sort((a, b) => a - b));
  });

  test('a segment is a model of its own: its nodes only, the cut as its input', async () => {
    const model = await loadModel(file);
    const seg = segmentModel(model, ['/layer2/layer2.1/relu_1/Relu_output_0'], '/layer3/layer3.0/relu_1/Relu_output_0');
    assert.deepEqual(seg.graph.inputs, ['/layer2/layer2.1/relu_1/Relu_output_0']);
    assert.deepEqual(seg.graph.outputs, ['/layer3/layer3.0/relu_1/Relu_output_0']);
    assert.deepEqual(seg.graph.nodes.map((n) => n.name.split('/').slice(3).join('/')).sort(), ['Add', 'conv1/Conv', 'conv2/Conv', 'downsample/downsample.0/Conv', 'relu/Relu', 'relu_1/Relu']);
    assert.throws(() => segmentModel(model, ['/layer2/layer2.1/relu/Relu_output_0'], '/layer3/layer3.0/relu_1/Relu_output_0'), /also reads graph input/);
    const plan = planSegments(model, 'logits')!;
    assert.ok(plan.segments.length >= 8, `${plan.segments.length} segments`);
    assert.deepEqual(plan.segments[0].from, ['image']);
    assert.equal(plan.segments.at(-1)!.to, 'logits');
    plan.segments.slice(1).forEach((s, i) => assert.equal(s.from[0], plan.segments[i].to, 'each starts where the last ended'));
  });

  const layers = ['conv1', 'maxpool', 'layer1', 'layer1.0.conv1', 'layer2.0', 'layer2.1.conv2', 'layer3', 'layer3.0.downsample', 'layer4.1.relu', 'fc'];
  test('equals the whole graph: every layer, output and input side, LGXA and gradient only', async () => {
    const x = image(1, 2);
    const target: AttributionTarget = { kind: 'perExample', indices: [3, 7] };
    for (const l of layers)
      for (const layerInput of [false, true])
        for (const gradientOnly of [false, true]) {
          const req = { layers: [l], layerInput, gradientOnly, inputs: [x], target };
          const a = await split.attribute(req);
          const b = await whole.attribute(req);
          a.attributions[0].forEach((t, k) => {
            const d = maxRelDiff(t, b.attributions[0][k]);
            assert.ok(d < 1e-5, `${l} ${layerInput ? 'input' : 'output'}${gradientOnly ? ' gradient' : ''}: ${d}`);
          });
        }
  });

  test('several layers in one request (the filmstrip), several targets, then another input: each equals the whole graph', async () => {
    const top = ['conv1', 'relu', 'maxpool', 'layer1', 'layer2', 'layer3', 'layer4', 'avgpool', 'fc'];
    for (const [seed, cls] of [
      [2, 1],
      [2, 5],
      [3, 5],
      [2, 1],
    ] as const) {
      const x = image(seed);
      const req = { layers: top, inputs: [x], target: { kind: 'index', index: cls } as AttributionTarget };
      const a = await split.attribute(req);
      const b = await whole.attribute(req);
      top.forEach((l, L) => assert.ok(maxRelDiff(a.attributions[L][0], b.attributions[L][0]) < 1e-5, `${l}, image ${seed}, class ${cls}`));
      // One layer after the list, on the same input and target: from the state the list left.
      const one = await split.attribute({ ...req, layers: ['layer2.1.conv1'] });
      const ref = await whole.attribute({ ...req, layers: ['layer2.1.conv1'] });
      assert.ok(maxRelDiff(one.attributions[0][0], ref.attributions[0][0]) < 1e-5, `layer2.1.conv1 after the list, image ${seed}, class ${cls}`);
    }
    const [r1, r2] = await split.attributeTargets({ layers: ['layer3.1'], inputs: [image(4)], target: { kind: 'none' } }, [
      { kind: 'index', index: 0 },
      { kind: 'index', index: 9 },
    ]);
    const w2 = await whole.attribute({ layers: ['layer3.1'], inputs: [image(4)], target: { kind: 'index', index: 9 } });
    assert.ok(maxRelDiff(r2.attributions[0][0], w2.attributions[0][0]) < 1e-5);
    assert.ok(maxRelDiff(r1.attributions[0][0], r2.attributions[0][0]) > 1e-3, 'two targets, two attributions');
  });

  test('a new layer after the first costs a local graph of its segment, not a whole-graph compile', async () => {
    const s = await ModelSession.open(file, { split: 'always' });
    try {
      const x = image(6);
      const target: AttributionTarget = { kind: 'index', index: 2 };
      const first = await s.attribute({ layers: ['conv1'], inputs: [x], target });
      assert.ok(first.timings.compile > 0);
      // A cut (a block output) on the same input and target: nothing to compile.
      const cut = await s.attribute({ layers: ['layer3'], inputs: [x], target });
      assert.equal(cut.timings.compile < first.timings.compile / 4, true, `${cut.timings.compile} vs ${first.timings.compile} ms`);
    } finally {
      await s.dispose();
    }
  });

  test('a split model is probed segment by segment: no probe session holds more than one segment, the shapes are the whole probe\'s', async () => {
    const opened: { weights: number; outputs: number }[] = [];
    const spy: SessionFactory = (bytes, provider, threads, extras) => {
      const held = (extras?.externalData ?? []).reduce((a, d) => a + d.data.byteLength, 0);
      const fed = Object.values(extras?.weightFeeds ?? {}).reduce((a, t) => a + (t.data as Float32Array).byteLength, 0);
      opened.push({ weights: held + fed, outputs: decodeModel(bytes).graph!.output!.length });
      return createOrtSession(bytes, provider, threads, extras);
    };
    const shapesOf = async (mode: 'always' | 'never') => {
      opened.length = 0;
      const s = await ModelSession.open(file, { split: mode, sessionFactory: spy });
      try {
        assert.ok((await s.inferShapes()) > 40, 'the file leaves shapes out: the probe runs');
        const g = s.model.graph;
        return { sessions: [...opened], shapes: new Map(g.nodes.flatMap((n) => n.outputs).filter((v) => v).map((v) => [v, JSON.stringify(g.type(v)?.dims)])) };
      } finally {
        await s.dispose();
      }
    };
    const whole = await shapesOf('never');
    const parts = await shapesOf('always');
    assert.equal(whole.sessions.length, 1);
    assert.ok(parts.sessions.length >= 8, `${parts.sessions.length} probe sessions`);
    const total = whole.sessions[0].weights;
    const largest = Math.max(...parts.sessions.map((x) => x.weights));
    // One of layer4's blocks is the largest part (42 % of this narrow ResNet's weights); each weight is in one part.
    assert.ok(largest < total / 2, `the largest part holds ${largest} of ${total} weight bytes`);
    assert.ok(parts.sessions.reduce((a, x) => a + x.weights, 0) <= total);
    assert.ok(Math.max(...parts.sessions.map((x) => x.outputs)) < whole.sessions[0].outputs / 3);
    assert.deepEqual(parts.shapes, whole.shapes);
  });
});
