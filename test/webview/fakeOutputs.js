// Models beyond the fake host's classifier, for the Predictions panel's roles: a detector (scores + boxes), a
// segmenter (a class map) and a super-resolution net (an image output). `fakeHost.useModel(name)` swaps the model
// the fake host describes and answers its predictions with the view the engine would compute
// (src/engine/predictions/view.ts); 'classifier' brings the original back. Loaded after fakeHost.js.
(() => {
  'use strict';
  const fake = window.fakeHost;
  // What the engine reads from the classifier's graph (src/engine/predictions/role.ts).
  fake.model.outputs[0].role = { role: 'classifier', basis: "Gemm node '/fc/Gemm'" };
  const original = { ...fake.model };
  const SHAPES = ['background', 'circle', 'square', 'triangle'];

  // ---- a segmenter's class map: a circle, a square and a triangle on the background ----------------------------
  const SEG = 56;
  function classMap() {
    const data = new Uint8Array(SEG * SEG);
    for (let y = 0; y < SEG; y++)
      for (let x = 0; x < SEG; x++) {
        let c = 0;
        if ((x - 16) ** 2 + (y - 18) ** 2 <= 100) c = 1;
        else if (x >= 32 && x < 50 && y >= 8 && y < 26) c = 2;
        else if (y >= 34 && y < 52 && Math.abs(x - 28) <= (y - 34) * 0.6) c = 3;
        data[y * SEG + x] = c;
      }
    const pixels = [0, 0, 0, 0];
    for (const c of data) pixels[c]++;
    return { data, pixels };
  }
  const seg = classMap();

  // ---- a super-resolution output: a soft gradient with a bright disc -----------------------------------------------
  const SR = 96;
  function srImage() {
    const rgba = new Uint8Array(SR * SR * 4);
    for (let y = 0; y < SR; y++)
      for (let x = 0; x < SR; x++) {
        const disc = (x - 60) ** 2 + (y - 36) ** 2 < 300 ? 0.9 : 0.25 + (0.3 * x) / SR;
        const v = Math.round(disc * 255);
        rgba.set([v, v, v, 255], (y * SR + x) * 4);
      }
    return rgba;
  }

  const timings = { load: 0, compile: 0, run: 2.4 };
  /** A predict response for `output` (its name, shape and role) with these top values and this view. */
  const answer = (output, top, view) => ({ outputName: output.name, outputShape: output.shape, top, role: output.role, ...(view ? { view } : {}), provider: 'cpu', timings });
  const scenarios = {
    detector: {
      model: {
        modelKey: 'file:///workspace/models/shapes_detector.onnx',
        modelName: 'shapes_detector.onnx',
        labels: SHAPES,
        outputs: [
          { name: 'scores', dtype: 'float32', shape: [1, 64, 4], kind: { kind: 'probabilities', basis: "Softmax node '/Softmax'" }, role: { role: 'detector', basis: "per-anchor scores [1, 64, 4] beside the box output 'boxes'", companion: 'boxes', background: 0 } },
          { name: 'boxes', dtype: 'float32', shape: [1, 64, 4], kind: { kind: 'scores', basis: "Concat node '/Concat'" }, role: { role: 'boxes', basis: "per-anchor boxes [1, 64, 4] beside the score output 'scores'", companion: 'scores' } },
        ],
      },
      predict(params) {
        const name = params.output ?? 'scores';
        const output = this.model.outputs.find((o) => o.name === name);
        const top = [[{ index: 109, score: 0.97 }, { index: 163, score: 0.91 }, { index: 39, score: 0.4 }]];
        const detections = [
          [
            { anchor: 27, class: 1, score: 0.97, box: [0.1, 0.2, 0.45, 0.6] },
            { anchor: 40, class: 3, score: 0.91, box: [0.55, 0.5, 0.9, 0.85] },
            { anchor: 9, class: 2, score: 0.4, box: [0.62, 0.05, 0.82, 0.3] },
          ],
        ];
        return answer(output, top, name === 'scores' ? { role: 'detector', detections, boxUnits: 'fractions', iou: 0.5, background: 0 } : undefined);
      },
    },
    segmenter: {
      model: {
        modelKey: 'file:///workspace/models/shapes_segmenter.onnx',
        modelName: 'shapes_segmenter.onnx',
        labels: SHAPES,
        outputs: [{ name: 'logits', dtype: 'float32', shape: [1, 4, SEG, SEG], kind: { kind: 'dense-map', basis: 'output rank 4' }, role: { role: 'segmentation', basis: 'a dense map with one channel per label (4)', layout: 'channels-first' } }],
      },
      predict() {
        return answer(this.model.outputs[0], [[{ index: 100, score: 9.1 }]], { role: 'segmentation', classMap: { dtype: 'uint8', dims: [1, SEG, SEG], data: seg.data.slice() }, pixels: [seg.pixels], layout: 'channels-first' });
      },
    },
    superres: {
      model: {
        modelKey: 'file:///workspace/models/shapes_superres.onnx',
        modelName: 'shapes_superres.onnx',
        labels: undefined,
        outputs: [{ name: 'image_3x', dtype: 'float32', shape: [1, 1, SR, SR], kind: { kind: 'dense-map', basis: 'output rank 4' }, role: { role: 'image', basis: 'a dense map with 1 channel', layout: 'channels-first' } }],
      },
      predict() {
        return answer(this.model.outputs[0], [[{ index: 3516, score: 0.93 }]], { role: 'image', rgba: { dtype: 'uint8', dims: [1, SR, SR, 4], data: srImage() }, range: [0, 1], rangeBasis: 'values in [0, 1]', layout: 'channels-first' });
      },
    },
  };

  fake.segClassMap = seg;
  fake.useModel = (name) => {
    const s = scenarios[name];
    Object.assign(fake.model, s ? s.model : original);
    fake.predictOverride = s ? (params) => s.predict(params) : undefined;
    fake.reloadModel();
  };
})();
