// A fake extension host for the inspector webview, running in the test page. It installs
// `window.layerLensTransport`, answers requests with synthetic data, checks every message with the real
// protocol validator (window.LayerLensProtocol, bundled from src/shared/protocol.ts) and records
// everything for the test in `window.fakeHost`. Messages cross with structuredClone, as postMessage does.
(() => {
  'use strict';
  const P = window.LayerLensProtocol;
  const LABELS = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

  // ---- a ResNet-shaped layer tree -------------------------------------------------------------------
  const layers = [];
  const values = [];
  const byId = new Map();
  function add(id, { parent, ops = [], out, inp, params = 0, label }) {
    const e = {
      id,
      label: label ?? id.split('.').pop(),
      kind: 'module',
      parent,
      children: [],
      opTypes: ops,
      outputs: [`${id}/out`],
      inputs: inp ? [`${id}/in`] : [],
      invocations: 1,
      nodeCount: Math.max(1, ops.length),
      paramCount: params,
    };
    layers.push(e);
    byId.set(id, e);
    values.push({ name: `${id}/out`, dtype: 'float32', shape: out });
    if (inp) values.push({ name: `${id}/in`, dtype: 'float32', shape: inp });
    if (parent) byId.get(parent).children.push(id);
    return e;
  }
  add('conv1', { ops: ['Conv'], out: [1, 64, 112, 112], inp: [1, 3, 224, 224], params: 9408 });
  add('relu', { ops: ['Relu'], out: [1, 64, 112, 112], inp: [1, 64, 112, 112] });
  add('maxpool', { ops: ['MaxPool'], out: [1, 64, 56, 56], inp: [1, 64, 112, 112] });
  const stages = [
    ['layer1', 64, 56],
    ['layer2', 128, 28],
    ['layer3', 256, 14],
    ['layer4', 512, 7],
  ];
  let prevC = 64;
  let prevS = 56;
  for (const [name, c, s] of stages) {
    const p = 2 * (9 * prevC * c + 9 * c * c) + (prevC !== c ? prevC * c : 0);
    add(name, { ops: ['Conv', 'Relu', 'Add'], out: [1, c, s, s], inp: [1, prevC, prevS, prevS], params: p });
    for (const b of [0, 1]) {
      const bid = `${name}.${b}`;
      const cin = b === 0 ? prevC : c;
      const sin = b === 0 ? prevS : s;
      add(bid, { parent: name, ops: ['Conv', 'Relu', 'Add'], out: [1, c, s, s], inp: [1, cin, sin, sin], params: 9 * cin * c + 9 * c * c });
      add(`${bid}.conv1`, { parent: bid, ops: ['Conv'], out: [1, c, s, s], inp: [1, cin, sin, sin], params: 9 * cin * c });
      add(`${bid}.relu`, { parent: bid, ops: ['Relu'], out: [1, c, s, s], inp: [1, c, s, s] });
      add(`${bid}.conv2`, { parent: bid, ops: ['Conv'], out: [1, c, s, s], inp: [1, c, s, s], params: 9 * c * c });
      if (b === 0 && cin !== c) add(`${bid}.downsample`, { parent: bid, ops: ['Conv'], out: [1, c, s, s], inp: [1, cin, sin, sin], params: cin * c });
    }
    prevC = c;
    prevS = s;
  }
  add('avgpool', { ops: ['GlobalAveragePool'], out: [1, 512, 1, 1], inp: [1, 512, 7, 7] });
  add('flatten', { ops: ['Flatten'], out: [1, 512], inp: [1, 512, 1, 1] });
  add('fc', { ops: ['Gemm'], out: [1, 10], inp: [1, 512], params: 5130 });
  add('head', { ops: ['NonMaxSuppression'], out: [1, 10], inp: [1, 10] });
  add('head.nms', { parent: 'head', ops: ['NonMaxSuppression'], out: [1, 10], inp: [1, 10], label: 'nms' });
  const roots = layers.filter((l) => !l.parent).map((l) => l.id);

  const model = {
    modelKey: 'file:///workspace/models/resnet18-fashion.onnx',
    modelName: 'resnet18-fashion.onnx',
    layers,
    roots,
    values,
    inputs: [{ name: 'input', dtype: 'float32', shape: [1, 3, 224, 224] }],
    // What the engine reads from the graph. The fake's scores are softmaxed, so they lie in [0, 1]: logits that
    // happen to look like probabilities must still be called logits.
    outputs: [{ name: 'logits', dtype: 'float32', shape: [1, 10], kind: { kind: 'logits', basis: "Gemm node '/fc/Gemm'" } }],
    preprocess: { size: [224, 224], range: [0, 1], mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], layout: 'nchw', channels: 3 },
    preprocessSource: 'sidecar',
    labels: LABELS,
    labelsSource: 'metadata',
  };

  // ---- a synthetic input image ----------------------------------------------------------------------
  function makeImage(variant) {
    const W = 224;
    const c = new OffscreenCanvas(W, W);
    const g = c.getContext('2d');
    const sky = g.createLinearGradient(0, 0, 0, W);
    sky.addColorStop(0, variant ? '#30415d' : '#8fb8de');
    sky.addColorStop(1, variant ? '#c7a27c' : '#e9eef2');
    g.fillStyle = sky;
    g.fillRect(0, 0, W, W);
    g.fillStyle = '#5d7a4a';
    g.fillRect(0, 168, W, 56);
    // a sneaker-ish silhouette
    g.fillStyle = variant ? '#e7e3da' : '#2d3142';
    g.beginPath();
    g.moveTo(40, 150);
    g.quadraticCurveTo(60, 96, 104, 100);
    g.lineTo(128, 118);
    g.quadraticCurveTo(176, 122, 190, 146);
    g.lineTo(190, 160);
    g.lineTo(40, 160);
    g.closePath();
    g.fill();
    g.fillStyle = '#f2f2f2';
    g.fillRect(38, 156, 154, 9);
    g.strokeStyle = '#c44536';
    g.lineWidth = 4;
    g.beginPath();
    g.moveTo(84, 112);
    g.lineTo(120, 130);
    g.stroke();
    const rgba = new Uint8Array(g.getImageData(0, 0, W, W).data.buffer);
    return { width: W, height: W, rgba };
  }

  // ---- synthetic attributions -----------------------------------------------------------------------
  function classOf(target) {
    if (target.kind === 'index') return ((target.index % 10) + 10) % 10;
    if (target.kind === 'perExample') return ((target.indices[0] % 10) + 10) % 10;
    return 0;
  }
  function attributionFor(layerId, params) {
    const e = byId.get(layerId);
    const valueName = params.layerInput ? e.inputs[0] : e.outputs[0];
    const dims = values.find((v) => v.name === valueName).shape;
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const k = classOf(params.target);
    const depth = layers.indexOf(e) + 1;
    const scale = (params.gradientOnly ? 2e-4 : 3e-3) * (1 + depth / 10);
    if (dims.length === 4) {
      const [, C, H, W] = dims;
      const cx = (0.28 + 0.045 * k) * W;
      const cy = (params.gradientOnly ? 0.35 : 0.55) * H;
      const sx = Math.max(1, 0.16 * W);
      const nx = 0.78 * W;
      const ny = 0.25 * H;
      for (let c = 0; c < C; c++) {
        const wc = Math.exp(-c / 9) * (c % 5 === 3 ? -0.6 : 1) * (1 + 0.35 * Math.sin(c * 1.7)) * (c === 0 ? fake.boostChannel0 : 1);
        for (let y = 0; y < H; y++)
          for (let x = 0; x < W; x++) {
            const g1 = Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sx * sx));
            const g2 = Math.exp(-((x - nx) ** 2 + (y - ny) ** 2) / (2 * (0.7 * sx) ** 2));
            const ripple = 0.08 * Math.sin((x + 2 * y + c) * 0.9);
            data[(c * H + y) * W + x] = scale * wc * (g1 - 0.55 * g2 + ripple * g1);
          }
      }
    } else {
      for (let i = 0; i < n; i++) data[i] = scale * Math.sin(i * 0.37 + k) * Math.exp(-((i % 97) / 60));
    }
    return { valueName, dims: [...dims], data };
  }

  /** What each of Captum's other layer methods would return, shaped as the engine returns it (Grad-CAM: [N, 1, h, w]). */
  function methodAttribution(t, params) {
    const m = params.method;
    if (!m) return t;
    const data = Float32Array.from(t.data);
    switch (m.name) {
      case 'activation':
        for (let i = 0; i < data.length; i++) data[i] = Math.abs(data[i]) * 40 + 0.01 * Math.cos(i);
        return { ...t, data };
      case 'gradcam': {
        if (t.dims.length !== 4 || m.dimSum === false) return { ...t, data: m.reluAttributions ? data.map((v) => Math.max(0, v)) : data };
        const [n, c, hh, ww] = t.dims;
        const out = new Float32Array(n * hh * ww);
        for (let ch = 0; ch < c; ch++) for (let s = 0; s < hh * ww; s++) out[s] += data[ch * hh * ww + s] * (ch % 2 ? 0.5 : 1.5);
        return { ...t, dims: [n, 1, hh, ww], data: m.reluAttributions ? out.map((v) => Math.max(0, v)) : out };
      }
      case 'feature-ablation': {
        if (m.layerMask && m.layerMask.dims[1] !== t.dims[1]) throw new Error(`the layer mask of shape [${m.layerMask.dims}] does not broadcast to the layer's shape [${t.dims}]`);
        const per = t.dims.slice(2).reduce((a, b) => a * b, 1);
        for (let i = 0; i < data.length; i++) data[i] = m.layerMask ? t.data[Math.floor(i / per) * per] * 3 : -data[i];
        return { ...t, data };
      }
      default: {
        // Path methods: the picture moves with n_steps, so each choice looks different.
        const k = (m.nSteps ?? 50) / 50;
        for (let i = 0; i < data.length; i++) data[i] = data[i] * (1 + 0.5 * Math.sin(i * k)) * (m.name === 'internal-influence' ? -1 : 1);
        return { ...t, data };
      }
    }
  }

  function topK(k, variant) {
    const logits = LABELS.map((_l, i) => Math.cos(i * 1.3 + variant) * 2 + (i === 7 ? 4 : 0) + (i === 9 ? 2.6 : 0) + (i === 5 ? 2.1 : 0));
    const ex = logits.map((x) => Math.exp(x));
    const z = ex.reduce((a, b) => a + b, 0);
    return LABELS.map((label, index) => ({ index, score: fake.rawScores ? logits[index] : ex[index] / z, label }))
      .sort((a, b) => b.score - a.score)
      .slice(0, k);
  }

  // ---- the transport --------------------------------------------------------------------------------
  const handlers = [];
  const timers = new Map();
  const fake = {
    sent: [],
    invalid: [],
    exports: [],
    delayMs: 15,
    inputVariant: 0,
    /** Answer predictions with the raw logits (outside [0, 1]) instead of their softmax. */
    rawScores: false,
    lastAttribute: undefined,
    /** The next attribution fails with this message (once). */
    failNext: undefined,
    /** Channel 0's attribution is this many times its usual size (a channel far above the others). */
    boostChannel0: 1,
    model,
    /** Sends the model again (after a test changed `model`), as the host does when the file changes. */
    reloadModel() {
      event('modelLoaded', model);
    },
    /** Delivers a host message asynchronously, as postMessage does. */
    emit(msg) {
      const copy = structuredClone(msg);
      setTimeout(() => {
        for (const h of handlers) h(copy);
      }, 0);
    },
    requests(method) {
      return this.sent.filter((m) => m.method === method);
    },
  };
  window.fakeHost = fake;
  const respond = (id, result) => fake.emit({ kind: 'response', id, result });
  const fail = (id, error) => fake.emit({ kind: 'response', id, error });
  const later = (id, ms, fn) => timers.set(id, setTimeout(() => (timers.delete(id), fn()), ms));
  const event = (name, payload) => fake.emit({ kind: 'event', name, payload });
  const sendInput = () =>
    event('inputLoaded', { name: fake.inputVariant ? 'dusk-sneaker.png' : 'sneaker.png', kind: 'image', tensorDims: [1, 3, 224, 224], dtype: 'float32', image: makeImage(fake.inputVariant), preprocess: model.preprocess });

  function handle(msg) {
    const { id, method, params } = msg;
    switch (method) {
      case 'ready':
        respond(id, { protocolVersion: 1 });
        event('providerInfo', { requested: 'auto', used: 'cpu', available: ['cpu'], notes: ['webgpu: No supported adapters'] });
        event('modelLoaded', model);
        sendInput();
        return;
      case 'selectLayer':
        return respond(id, null);
      case 'pickInput':
        fake.inputVariant = 1 - fake.inputVariant;
        respond(id, { picked: true });
        return later(id, 5, sendInput);
      case 'setPreprocess':
        model.preprocess = params.preprocess;
        respond(id, { preprocess: params.preprocess });
        return later(id, 5, sendInput);
      case 'predict': {
        // Another model's predictions (test/webview/fakeOutputs.js).
        if (fake.predictOverride) return later(id, fake.delayMs, () => respond(id, fake.predictOverride(params)));
        const outputName = typeof params.output === 'string' ? params.output : 'logits';
        if (params.ablate) {
          // What-if: one switched-off channel takes 1 % off the top class's score; two or more drop it below the
          // runner-up.
          const reference = topK(10, fake.inputVariant);
          const lowered = params.ablate.channels.length === 1 ? reference[0].score * 0.99 : reference[1].score * 0.9;
          const scored = reference.map((p, rank) => ({ ...p, score: rank === 0 ? lowered : p.score }));
          const order = scored.map((_p, i) => i).sort((a, b) => scored[b].score - scored[a].score).slice(0, params.top);
          return later(id, fake.delayMs, () =>
            respond(id, { outputName, outputShape: [1, 10], top: [order.map((i) => scored[i])], reference: [order.map((i) => reference[i])], provider: 'cpu', timings: { load: 0, compile: 0, run: 1.7 } }),
          );
        }
        return later(id, fake.delayMs, () => respond(id, { outputName, outputShape: [1, 10], top: [topK(params.top, fake.inputVariant)], provider: 'cpu', timings: { load: 0, compile: 0, run: 3.2 } }));
      }
      case 'attribute': {
        event('progress', { requestId: id, stage: 'compile' });
        later(id, fake.delayMs, () => {
          event('progress', { requestId: id, stage: 'run', fraction: 0.5 });
          const layerId = params.layers[0];
          if (fake.failNext) {
            const message = fake.failNext;
            fake.failNext = undefined;
            return fail(id, { message, code: 'engine-error' });
          }
          if (byId.get(layerId)?.opTypes.includes('NonMaxSuppression'))
            return fail(id, { message: "unsupported op 'NonMaxSuppression' on the path from the layer to the target: no VJP rule (domain ai.onnx, opset 17)", code: 'unsupported-op', node: '/head/nms/NonMaxSuppression', op: 'NonMaxSuppression' });
          let layers;
          try {
            layers = params.layers.map((l) => ({ layerId: l, tensors: [methodAttribution(attributionFor(l, params), params)] }));
          } catch (e) {
            return fail(id, { message: `feature ablation: ${e.message}`, code: 'invalid-argument' });
          }
          const steps = params.method?.nSteps ?? 50;
          const response = {
            layers,
            output: { name: typeof params.output === 'string' ? params.output : 'logits', dims: [1, 10] },
            provider: 'cpu',
            providerNotes: ['webgpu: No supported adapters'],
            timings: { load: 0, compile: 41.5, run: params.method?.nSteps ? 12.3 * steps : 12.3 },
          };
          if (params.method?.convergenceDelta) response.delta = { dims: [1], data: Float32Array.of(3.1e-4 * (50 / steps)) };
          fake.lastAttribute = { params, response };
          respond(id, response);
        });
        return;
      }
      case 'cancel': {
        const t = timers.get(params.requestId);
        if (t) {
          clearTimeout(t);
          timers.delete(params.requestId);
          fail(params.requestId, { message: 'Cancelled.', code: 'cancelled' });
        }
        return respond(id, null);
      }
      case 'exportPng':
      case 'exportNpy':
        fake.exports.push({ method, params });
        return respond(id, { saved: true, path: `/workspace/out/${params.suggestedName}` });
    }
  }

  let state = JSON.parse(sessionStorage.getItem('layerlens-state') ?? 'null');
  window.layerLensTransport = {
    postMessage(msg, transfer) {
      const copy = structuredClone(msg, { transfer: transfer ?? [] });
      fake.sent.push(copy);
      const checked = P.validateWebviewMessage(copy);
      if (typeof checked === 'string') {
        fake.invalid.push(checked);
        const rid = P.requestIdOf(copy);
        if (rid) fail(rid, { message: checked });
        return;
      }
      handle(checked);
    },
    onMessage(h) {
      handlers.push(h);
    },
    getState() {
      return state;
    },
    setState(s) {
      state = structuredClone(s);
      sessionStorage.setItem('layerlens-state', JSON.stringify(s));
    },
  };
})();
