/**
 * The real engine child process (dist/engine-process.js, built by `node scripts/build.mjs`) through the
 * real client: attribution shapes, binary heatmaps, inputs with previews, a kill mid-request, one-line errors.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { wireFloat32 } from '../../../src/engineProcess/wire';
import { EngineClient, EngineError, forkLauncher } from '../../../src/host/engineClient';
import { ModelSession } from '../../../src/engine/modelSession';
import { REPO_ROOT, publicModel } from '../../support/fixtures';
import { writeFlatReluChain } from './bigModel';

const ENGINE = path.join(REPO_ROOT, 'dist', 'engine-process.js');
const SMALL_CNN = publicModel('small_cnn');
const DEMO = path.join(REPO_ROOT, 'media', 'demo', 'fashion_mnist_cnn.onnx');
const SAMPLE = path.join(REPO_ROOT, 'media', 'demo', 'samples', '0_ankle-boot.png');

const skip = !fs.existsSync(ENGINE) ? 'dist/engine-process.js is not built' : !fs.existsSync(SMALL_CNN) ? 'fixtures not found' : false;

describe('engine process', { skip }, () => {
  let client: EngineClient;
  const notices: string[] = [];
  let tmp: string;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'll-engine-'));
    client = new EngineClient({
      launcher: forkLauncher(ENGINE),
      memoryLimitMb: () => 1024,
      requestTimeoutMs: () => 60_000,
      onNotice: (n) => notices.push(n.message),
    });
  });
  after(() => {
    client.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('answers hello with its pid and heap limit', async () => {
    const h = await client.hello();
    assert.equal(h.pid, client.pid);
    assert.equal(h.memoryLimitMb, 1024);
    assert.equal(h.providers.at(-1), 'cpu');
  });

  test('lists layers one level and one page at a time', async () => {
    const roots = await client.layers({ model: SMALL_CNN });
    assert.ok(roots.total > 5);
    assert.ok(roots.entries.some((e) => e.id === 'conv1' && e.childCount === 1));
    const page = await client.layers({ model: SMALL_CNN, offset: 2, limit: 3 });
    assert.equal(page.entries.length, 3);
    assert.equal(page.entries[0].index, 2);
    const kids = await client.layers({ model: SMALL_CNN, parent: 'conv1' });
    assert.deepEqual(
      kids.entries.map((e) => e.id),
      ['node:/conv1/Conv'],
    );
    const loc = await client.locateLayer(SMALL_CNN, 'node:/conv1/Conv');
    assert.deepEqual(
      loc.chain.map((e) => e.id),
      ['conv1', 'node:/conv1/Conv'],
    );
  });

  test('computes an attribution with the right shape, sent as float32 bytes', async () => {
    const x = new Float32Array(3 * 32 * 32).map((_, i) => Math.sin(i));
    const npy = path.join(tmp, 'x.npy');
    const { writeNpy } = await import('../../../src/engine/tensor/npy');
    await writeNpy(npy, { dtype: 'float32', dims: [1, 3, 32, 32], data: x });
    const res = await client.attribute({ model: SMALL_CNN, layers: ['conv2'], inputs: [{ file: npy }], target: { kind: 'index', index: 3 } });
    assert.ok(res.attributions[0][0].data instanceof Uint8Array, 'bytes over the IPC channel, not base64 text');
    const a = wireFloat32(res.attributions[0][0]);
    const dims = res.attributions[0][0].dims;
    assert.equal(dims[0], 1);
    assert.equal(a.length, dims.reduce((p, d) => p * d, 1));
    assert.deepEqual(res.output.dims, [1, 10]);
    assert.equal(res.provider.length > 0, true);
  });

  test('reports its stages: compile, run, transfer for a new layer; run, transfer once it is compiled', async () => {
    const npy = path.join(tmp, 'stages.npy');
    const { writeNpy } = await import('../../../src/engine/tensor/npy');
    await writeNpy(npy, { dtype: 'float32', dims: [1, 3, 32, 32], data: new Float32Array(3 * 32 * 32).fill(0.25) });
    const stagesOf = async (layer: string) => {
      const seen: string[] = [];
      await client.attribute({ model: SMALL_CNN, layers: [layer], inputs: [{ file: npy }], target: { kind: 'index', index: 1 } }, { onStage: (s) => seen.push(s) });
      return seen;
    };
    assert.deepEqual(await stagesOf('conv1'), ['compile', 'run', 'transfer']);
    assert.deepEqual(await stagesOf('conv1'), ['run', 'transfer']);
    const seen: string[] = [];
    await client.predict({ model: SMALL_CNN, inputs: [{ file: npy }], top: 1 }, { onStage: (s) => seen.push(s) });
    assert.deepEqual(seen.slice(-2), ['run', 'transfer']);
  });

  test('layer methods cross the process: integrated gradients with a baseline and its delta, feature ablation with a mask, a mask target', async () => {
    const { writeNpy } = await import('../../../src/engine/tensor/npy');
    const { toWire } = await import('../../../src/engineProcess/wire');
    const { ModelSession } = await import('../../../src/engine/modelSession');
    const x = new Float32Array(3 * 32 * 32).map((_, i) => Math.cos(i / 7));
    const npy = path.join(tmp, 'xm.npy');
    await writeNpy(npy, { dtype: 'float32', dims: [1, 3, 32, 32], data: x });
    const baseline = { dtype: 'float32' as const, dims: [1, 3, 32, 32], data: new Float32Array(3 * 32 * 32).fill(0.1) };
    const bnpy = path.join(tmp, 'b.npy');
    await writeNpy(bnpy, baseline);
    const mask = { dtype: 'float32' as const, dims: [10], data: Float32Array.from({ length: 10 }, (_, i) => (i === 3 ? 1 : i === 5 ? -1 : 0)) };
    const layerMask = { dtype: 'int64' as const, dims: [1, 16, 1, 1], data: BigInt64Array.from({ length: 16 }, (_, i) => BigInt(i % 4)) };
    const requests = [
      { method: { name: 'integrated-gradients' as const, nSteps: 8, convergenceDelta: true }, baselines: [baseline], target: { kind: 'index' as const, index: 3 } },
      { method: { name: 'feature-ablation' as const }, layerMask, target: { kind: 'index' as const, index: 3 } },
      { method: { name: 'lgxa' as const }, target: { kind: 'mask' as const, mask } },
    ];
    const local = await ModelSession.open(SMALL_CNN);
    try {
      for (const r of requests) {
        const res = await client.attribute({
          model: SMALL_CNN,
          layers: ['conv2'],
          inputs: [{ file: npy }],
          target: r.target.kind === 'mask' ? { kind: 'mask', mask: toWire(r.target.mask) } : r.target,
          method: { ...r.method, ...(r.baselines ? { baselines: [{ file: bnpy }] } : {}), ...(r.layerMask ? { layerMask: toWire(r.layerMask) } : {}) },
        });
        const want = await local.attribute({ layers: ['conv2'], inputs: [{ dtype: 'float32', dims: [1, 3, 32, 32], data: x }], target: r.target, method: { ...r.method, ...(r.baselines ? { baselines: r.baselines } : {}), ...(r.layerMask ? { layerMask: r.layerMask } : {}) } });
        assert.deepEqual(Array.from(wireFloat32(res.attributions[0][0])), Array.from(want.attributions[0][0].data as Float32Array), r.method.name);
        if (r.method.convergenceDelta) assert.deepEqual(Array.from(wireFloat32(res.delta!)), Array.from(want.delta!.data as Float32Array));
      }
    } finally {
      await local.dispose();
    }
  });

  test('display: a [1, 64, 224, 224] result crosses as what the inspector draws; the engine keeps the whole for export and full-size channels', async () => {
    const { fullResolutionConvNet, writeModel } = await import('../../support/tinyModels');
    const { toWire } = await import('../../../src/engineProcess/wire');
    const { channelPlane, reduceForDisplay, unpackThumbnails } = await import('../../../src/shared/displayTensor');
    const model = writeModel(fullResolutionConvNet(), tmp, 'fullres.onnx');
    const x = Float32Array.from({ length: 3 * 224 * 224 }, (_v, i) => Math.sin(i * 0.37));
    const input = { dtype: 'float32' as const, dims: [1, 3, 224, 224], data: x };
    const res = await client.attribute({ model, layers: ['stem.conv'], inputs: [{ tensor: toWire(input) }], target: { kind: 'index', index: 3 }, display: { channelsLast: false } });
    assert.deepEqual(res.attributions, [], 'no whole tensors on the way');
    assert.ok(res.kept !== undefined);
    const shown = res.shown![0][0];
    assert.deepEqual(shown.dims, [1, 64, 224, 224]);
    assert.ok(shown.reduced, 'in its display form');
    const local = await ModelSession.open(model);
    try {
      const want = (await local.attribute({ layers: ['stem.conv'], inputs: [input], target: { kind: 'index', index: 3 } })).attributions[0][0].data as Float32Array;
      const small = reduceForDisplay([1, 64, 224, 224], want, false)!;
      assert.deepEqual(shown.reduced.channels, small.reduced.channels);
      assert.deepEqual(Array.from(shown.reduced.sum), Array.from(small.reduced.sum), 'the figure\'s map exactly');
      // The thumbnails as 8 bits each: within 1/254 of each one's peak, which is exact.
      assert.equal(shown.data.length, 0);
      const packed = shown.reduced.packed!;
      assert.ok(packed.q instanceof Int8Array && packed.q.length === small.data.length);
      const thumbs = unpackThumbnails(packed);
      const cell = 112 * 112;
      for (let k = 0; k < packed.scales.length; k++) {
        const peak = packed.scales[k];
        for (let i = 0; i < cell; i++) assert.ok(Math.abs(thumbs[k * cell + i] - small.data[k * cell + i]) <= peak / 254 + 1e-7 * peak, `thumbnail ${k} at ${i}`);
        assert.equal(peak, Math.max(...Array.from(small.data.subarray(k * cell, (k + 1) * cell), Math.abs)));
      }
      assert.ok(packed.q.byteLength + shown.reduced.sum.byteLength < want.byteLength / 30, 'a thirtieth of the bytes, or less');
      // Export: the whole tensor, bit for bit; a tile: one channel at full size.
      const whole = await client.resultTensor({ kept: res.kept!, layer: 0, tensor: 0 });
      assert.deepEqual(Array.from(wireFloat32(whole)), Array.from(want));
      const ch = shown.reduced.channels[2];
      const plane = await client.resultChannel({ kept: res.kept!, layer: 0, tensor: 0, example: 0, channel: ch, channelsLast: false });
      assert.deepEqual(plane.dims, [224, 224]);
      assert.deepEqual(Array.from(plane.data), Array.from(channelPlane([1, 64, 224, 224], want, false, 0, ch)));
    } finally {
      await local.dispose();
    }
    await assert.rejects(client.resultChannel({ kept: res.kept!, layer: 0, tensor: 0, example: 0, channel: 64, channelsLast: false }), (e: unknown) => e instanceof EngineError && e.code === 'invalid-argument' && /no channel 64/.test(e.message));
    await assert.rejects(client.resultTensor({ kept: res.kept! + 1000, layer: 0, tensor: 0 }), (e: unknown) => e instanceof EngineError && e.code === 'invalid-argument' && /no longer kept/.test(e.message));
    // Feature ablation's per-channel values are drawn as a bar per channel: they go whole, and are kept too.
    const mask = toWire({ dtype: 'float32', dims: [1, 64, 1, 1], data: Float32Array.from({ length: 64 }, (_v, c) => c % 4) });
    const fa = await client.attribute({ model, layers: ['stem.conv'], inputs: [{ tensor: toWire(input) }], target: { kind: 'index', index: 3 }, method: { name: 'feature-ablation', layerMask: mask }, display: { channelsLast: false } });
    assert.equal(fa.shown![0][0].reduced, undefined);
    assert.equal(fa.shown![0][0].data.length, 64 * 224 * 224);
    assert.deepEqual(Array.from(wireFloat32(await client.resultTensor({ kept: fa.kept!, layer: 0, tensor: 0 }))), Array.from(fa.shown![0][0].data));
    // A small result in the same form goes whole.
    const small = await client.attribute({ model: SMALL_CNN, layers: ['conv2'], inputs: [{ tensor: toWire({ dtype: 'float32', dims: [1, 3, 32, 32], data: new Float32Array(3 * 32 * 32).fill(0.5) }) }], target: { kind: 'index', index: 1 }, display: { channelsLast: false } });
    assert.equal(small.shown![0][0].reduced, undefined);
    assert.equal(small.shown![0][0].data.length, small.shown![0][0].dims.reduce((a, b) => a * b, 1));
  });

  test('an op without a gradient rule comes back with its node and op as fields', async () => {
    const { tinyMlp, writeModel } = await import('../../support/tinyModels');
    const proto = tinyMlp();
    // The head becomes Det of a [N,2,2] view: Det has no gradient rule.
    proto.graph!.node = [
      ...proto.graph!.node!.slice(0, 2),
      { name: '/head/Reshape', opType: 'Reshape', input: ['/block/act/Relu_output_0', 'shape'], output: ['r'] },
      { name: '/head/Det', opType: 'Det', input: ['r'], output: ['y'] },
    ];
    const { makeTensor } = await import('../../../src/engine/onnx/tensorData');
    const { ElemType } = await import('../../../src/engine/onnx/proto');
    proto.graph!.initializer = [...proto.graph!.initializer!, makeTensor('shape', ElemType.INT64, [3], [-1, 2, 2])];
    proto.graph!.output = [{ name: 'y', type: { tensorType: { elemType: ElemType.FLOAT } } }];
    const model = writeModel(proto, tmp, 'det.onnx');
    const { toWire } = await import('../../../src/engineProcess/wire');
    const x = toWire({ dtype: 'float32', dims: [1, 4], data: new Float32Array([1, 2, 3, 4]) });
    await assert.rejects(
      client.attribute({ model, layers: ['block.act'], inputs: [{ tensor: x }], target: { kind: 'none' } }),
      (e: unknown) => e instanceof EngineError && e.code === 'unsupported-op' && e.where.node === '/head/Det' && e.where.op === 'Det',
    );
  });

  test('20 layer switches within a second from one panel: only the last is computed and shown', async () => {
    const layers = ['features.conv1', 'features.relu1', 'features.pool1', 'features.conv2', 'features.relu2', 'features.pool2', 'features.conv3', 'features.relu3', 'features.pool3', 'classifier'];
    const t0 = Date.now();
    const requests = Array.from({ length: 20 }, (_, i) =>
      client.attribute(
        { model: DEMO, layers: [layers[i % layers.length]], inputs: [{ file: SAMPLE }], target: { kind: 'index', index: 9 } },
        { supersedeKey: 'panel:attribute' },
      ),
    );
    const settled = await Promise.allSettled(requests);
    assert.ok(Date.now() - t0 < 20_000);
    const superseded = settled.slice(0, 19).filter((r) => r.status === 'rejected' && (r.reason as EngineError).code === 'superseded');
    assert.equal(superseded.length, 19, 'every earlier request is dropped, not queued');
    const last = settled[19];
    assert.equal(last.status, 'fulfilled');
    assert.deepEqual((last as PromiseFulfilledResult<Awaited<(typeof requests)[0]>>).value.attributions[0][0].dims, [1, 10]);
  });

  test('loads an image input with the model’s preprocessing and an RGBA preview', async () => {
    const r = await client.loadInput({ file: SAMPLE, model: DEMO });
    assert.deepEqual(r.tensor.dims, [1, 1, 28, 28]);
    assert.ok(r.preview);
    assert.equal(Buffer.from(r.preview.rgba, 'base64').length, r.preview.width * r.preview.height * 4);
    const pred = await client.predict({ model: DEMO, inputs: [{ file: SAMPLE }], top: 2 });
    assert.equal(pred.top[0][0].label, 'Ankle boot');
  });

  test('what-if ablation crosses the process: the same predictions as the in-process engine', async () => {
    const ablate = { layer: 'features.conv3', channelAxis: 1, channels: [0, 5, 9] };
    const plain = await client.predict({ model: DEMO, inputs: [{ file: SAMPLE }], top: 10 });
    const off = await client.predict({ model: DEMO, inputs: [{ file: SAMPLE }], top: 10, ablate });
    const input = await client.loadInput({ file: SAMPLE, model: DEMO });
    const session = await ModelSession.open(DEMO);
    try {
      const local = await session.predict([{ dtype: 'float32', dims: input.tensor.dims, data: wireFloat32(input.tensor) }], { top: 10, ablate });
      assert.deepEqual(off.top, local.top);
    } finally {
      await session.dispose();
    }
    assert.notDeepEqual(off.top, plain.top, 'switching channels off changes the scores');
  });

  test('killing the process mid-attribution rejects that request clearly; the next one succeeds', async () => {
    // Long enough that the kill lands while the engine works (a cached attribution can answer first): integrated
    // gradients with 20,000 steps, killed at the request's first stage (the process may only start with it).
    let pid: number | undefined;
    const req = client.attribute(
      { model: DEMO, layers: ['features.conv2'], inputs: [{ file: SAMPLE }], target: { kind: 'index', index: 9 }, method: { name: 'integrated-gradients', nSteps: 20_000 } },
      {
        onStage: () => {
          if (pid === undefined) process.kill((pid = client.pid!));
        },
      },
    );
    await assert.rejects(req, (e: unknown) => e instanceof EngineError && e.code === 'engine-stopped' && /engine was stopped \(SIGTERM\)/.test(e.message));
    assert.ok(notices.some((n) => /restarted/.test(n)));
    const res = await client.attribute({ model: DEMO, layers: ['features.conv2'], inputs: [{ file: SAMPLE }], target: { kind: 'index', index: 9 } });
    assert.deepEqual(res.attributions[0][0].dims, [1, 32, 14, 14]);
    assert.notEqual(client.pid, pid);
  });

  test('a corrupt model gives a one-line error', async () => {
    const bad = path.join(tmp, 'corrupt.onnx');
    fs.writeFileSync(bad, Buffer.from('this is not a protobuf \u0000\u00ff\u0013 at all'));
    await assert.rejects(client.openModel(bad), (e: unknown) => e instanceof EngineError && e.code === 'model-invalid' && !e.message.includes('\n'));
  });

  test('a 20k-node model: the first page of the top level comes at once', async () => {
    const big = path.join(tmp, 'big.onnx');
    writeFlatReluChain(big, 20_000);
    const t0 = performance.now();
    const first = await client.layers({ model: big, offset: 0, limit: 500 });
    const firstMs = performance.now() - t0;
    assert.equal(first.total, 20_000);
    assert.equal(first.entries.length, 500);
    const t1 = performance.now();
    const later = await client.layers({ model: big, offset: 19_500, limit: 500 });
    const laterMs = performance.now() - t1;
    assert.equal(later.entries[0].index, 19_500);
    assert.equal(later.entries.at(-1)!.id, 'node:relu_19999');
    // Parsing happens once; a page after that is cheap.
    assert.ok(laterMs < 200, `a later page took ${laterMs.toFixed(0)} ms`);
    assert.ok(firstMs < 10_000, `the first page took ${firstMs.toFixed(0)} ms`);
  });

  test('an engine that runs out of heap is reported as such and replaced', async () => {
    const big = path.join(tmp, 'huge.onnx');
    writeFlatReluChain(big, 200_000);
    const small = new EngineClient({ launcher: forkLauncher(ENGINE), memoryLimitMb: () => 64, requestTimeoutMs: () => 60_000 });
    try {
      await assert.rejects(
        small.modelTree(big),
        (e: unknown) => e instanceof EngineError && e.code === 'engine-stopped' && /ran out of memory \(limit 64 MB/.test(e.message),
      );
      assert.equal((await small.hello()).memoryLimitMb, 64);
    } finally {
      small.dispose();
    }
  });

  test('relative paths are refused', async () => {
    await assert.rejects(client.openModel('model.onnx'), (e: unknown) => e instanceof EngineError && e.code === 'invalid-argument');
  });
});
