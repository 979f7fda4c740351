/**
 * The four role models of test/data/model_roles (made by its make.py: a classifier, a detector with a score and a box
 * output, a segmenter, a 3× super-resolution net) through the engine: the role each output gets from its graph, the
 * predictions' views, and the targets the inspector's controls make — (anchor, class), "class c where it wins" as a
 * uint8 mask, a box of the image output — attributed exactly.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ModelSession } from '../../../../src/engine/modelSession';
import { modelPreprocess } from '../../../../src/engine/preprocess';
import type { HostTensor } from '../../../../src/engine/tensor/hostTensor';
import { loadInputTensor } from '../../../../src/engine/tensor/image';
import { winsMask } from '../../../../src/shared/segmentation';
import { REPO_ROOT } from '../../../support/fixtures';

const DIR = path.join(REPO_ROOT, 'test', 'data', 'model_roles');
const IMAGE = path.join(DIR, 'shapes_0.png');

const sum = (a: ArrayLike<number>) => Array.from(a).reduce((x, y) => x + y, 0);

describe('role models (test/data/model_roles) through the engine', () => {
  const sessions = new Map<string, ModelSession>();
  const open = async (name: string) => {
    let s = sessions.get(name);
    if (!s) {
      s = await ModelSession.open(path.join(DIR, `shapes_${name}.onnx`));
      sessions.set(name, s);
    }
    return s;
  };
  const input = async (s: ModelSession): Promise<HostTensor> => loadInputTensor(IMAGE, modelPreprocess(s).preprocess);
  before(async () => {
    for (const m of ['classifier', 'detector', 'segmenter', 'superres']) await open(m);
  });
  after(async () => {
    for (const s of sessions.values()) await s.dispose();
  });

  test('each output gets its role from the graph', async () => {
    assert.deepEqual((await open('classifier')).outputRole('logits'), { role: 'classifier', basis: 'one value per label (3)' });
    const det = await open('detector');
    assert.deepEqual(det.outputRole('scores'), { role: 'detector', basis: "per-anchor scores [1, 256, 4] beside the box output 'boxes'", companion: 'boxes', background: 0 });
    assert.deepEqual(det.outputRole('boxes'), { role: 'boxes', basis: "per-anchor boxes [1, 256, 4] beside the score output 'scores'", companion: 'scores' });
    assert.equal((await open('segmenter')).outputRole('logits').role, 'segmentation');
    assert.deepEqual((await open('superres')).outputRole('image_3x'), { role: 'image', basis: 'a dense map with 1 channel', layout: 'channels-first' });
  });

  test('detector: ranked detections with boxes from the same run; (anchor, class) is a target the engine takes', async () => {
    const s = await open('detector');
    const x = await input(s);
    const p = await s.predict([x], { top: 5, threads: 1 });
    assert.equal(p.view?.role, 'detector');
    if (p.view?.role !== 'detector') return;
    const dets = p.view.detections[0];
    assert.ok(dets.length >= 2, `detections: ${JSON.stringify(dets)}`);
    assert.ok(dets.every((d) => d.class !== 0 && d.box), 'no background, every detection has a box');
    assert.ok(dets[0].score > 0.5, `the top detection is confident: ${dets[0].score}`);
    assert.equal(p.view.boxUnits, 'fractions');
    for (let i = 1; i < dets.length; i++) assert.ok(dets[i].score <= dets[i - 1].score, 'ranked');
    const top = dets[0];
    const r = await s.attribute({ layers: ['backbone'], inputs: [x], target: { kind: 'tuple', tuple: [top.anchor, top.class] }, threads: 1 });
    assert.ok(r.attributions[0][0].data.some((v) => v !== 0), 'a non-zero attribution');
    // The output element the target picks is the detection's score.
    assert.ok(Math.abs((r.output.data as Float32Array)[top.anchor * 4 + top.class] - top.score) < 1e-6);
  });

  test('segmentation: "class c where it wins" as a uint8 mask: Σ of the output-layer attribution is Σ logits of c over its pixels', async () => {
    const s = await open('segmenter');
    const x = await input(s);
    const p = await s.predict([x], { top: 5, threads: 1 });
    assert.equal(p.view?.role, 'segmentation');
    if (p.view?.role !== 'segmentation') return;
    const map = p.view.classMap;
    assert.deepEqual(map.dims, [1, 64, 64]);
    assert.equal(sum(p.view.pixels[0]), 64 * 64);
    const cls = [1, 2, 3].sort((a, b) => p.view!.role === 'segmentation' ? p.view!.pixels[0][b] - p.view!.pixels[0][a] : 0)[0];
    assert.ok(p.view.pixels[0][cls] > 50, `the picture has a shape: ${p.view.pixels[0]}`);
    const m = winsMask({ dims: map.dims, data: map.data as Uint8Array, classes: 4 }, cls);
    const mask: HostTensor = { dtype: 'uint8', dims: m.dims, data: m.data };
    // At the head (its output is the model's output): LGXA = mask ⊙ logits; gradient only = the mask itself.
    const r = await s.attribute({ layers: ['head'], inputs: [x], target: { kind: 'mask', mask }, threads: 1 });
    const out = r.output.data as Float32Array;
    let expected = 0;
    for (let i = 0; i < out.length; i++) if (m.data[i]) expected += out[i];
    // Where it wins, class c's logit is the largest of the four at that pixel.
    const plane = 64 * 64;
    for (let p2 = 0; p2 < plane; p2++) if (m.data[cls * plane + p2]) for (let c = 0; c < 4; c++) assert.ok(out[c * plane + p2] <= out[cls * plane + p2]);
    assert.ok(Math.abs(sum(r.attributions[0][0].data as Float32Array) - expected) <= 1e-4 * Math.abs(expected), `Σ attribution vs Σ logits ${expected}`);
    const g = await s.attribute({ layers: ['head'], inputs: [x], target: { kind: 'mask', mask }, gradientOnly: true, threads: 1 });
    assert.deepEqual(Array.from(g.attributions[0][0].data as Float32Array), Array.from(m.data));
    const deep = await s.attribute({ layers: ['enc2'], inputs: [x], target: { kind: 'mask', mask }, threads: 1 });
    assert.ok(deep.attributions[0][0].data.some((v) => v !== 0));
  });

  test('image output: the output as RGBA; a box of it is a target summed over its pixels', async () => {
    const s = await open('superres');
    const x = await input(s);
    const p = await s.predict([x], { top: 5, threads: 1 });
    assert.equal(p.view?.role, 'image');
    if (p.view?.role !== 'image') return;
    assert.deepEqual(p.view.rgba.dims, [1, 192, 192, 4]);
    assert.deepEqual(p.view.range, [0, 1]);
    const box = { kind: 'box' as const, box: [0, { start: 60, stop: 120 }, { start: 30, stop: 90 }] };
    const g = await s.attribute({ layers: ['features'], inputs: [x], target: box, threads: 1 });
    const a = g.attributions[0][0];
    assert.deepEqual(a.dims, [1, 16, 64, 64]);
    // The box covers input rows 20..40 and columns 10..30 (a 3× net): attribution far outside it is zero.
    const data = a.data as Float32Array;
    let inside = 0;
    let far = 0;
    for (let c = 0; c < 16; c++)
      for (let y = 0; y < 64; y++)
        for (let xx = 0; xx < 64; xx++) {
          const v = Math.abs(data[(c * 64 + y) * 64 + xx]);
          if (y >= 20 && y < 40 && xx >= 10 && xx < 30) inside += v;
          else if (y < 14 || y >= 46 || xx < 4 || xx >= 36) far += v;
        }
    assert.ok(inside > 0 && far === 0, `inside ${inside}, far ${far}`);
  });
});
