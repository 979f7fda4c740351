// Fallback when Debian's PyTorch is absent: the two benchmark architectures written as ONNX directly
// (BatchNorm already folded into Conv, as the PyTorch exporter does), PyTorch-style node scopes, dynamic batch,
// seeded random weights. Same shapes and FLOPs as make_models.py's exports; the weights differ.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { engine } from './lib.mjs';

function rng(seed) {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { u, normal: () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u()) };
}

class Builder {
  constructor(E, seed) {
    this.E = E;
    this.nodes = [];
    this.inits = [];
    this.r = rng(seed);
    this.n = 0;
  }
  normal(name, dims, std) {
    const size = dims.reduce((a, b) => a * b, 1);
    const d = new Float32Array(size);
    for (let i = 0; i < size; i++) d[i] = this.r.normal() * std;
    return this.f32(name, dims, d);
  }
  f32(name, dims, data) {
    const d = data instanceof Float32Array ? data : Float32Array.from(data);
    this.inits.push({ name, dataType: this.E.ElemType.FLOAT, dims, rawData: new Uint8Array(d.buffer, d.byteOffset, d.byteLength) });
    return name;
  }
  i64(name, values, dims = [values.length]) {
    const d = BigInt64Array.from(values.map(BigInt));
    this.inits.push({ name, dataType: this.E.ElemType.INT64, dims, rawData: new Uint8Array(d.buffer) });
    return name;
  }
  op(name, opType, inputs, attrs = {}, nOut = 1) {
    const A = this.E.attr;
    const attribute = Object.entries(attrs).map(([k, v]) =>
      Array.isArray(v) ? A.ints(k, v) : Number.isInteger(v) ? A.int(k, v) : A.float(k, v));
    const outputs = Array.from({ length: nOut }, (_, i) => `${name}_output_${i}`);
    this.nodes.push({ name, opType, input: inputs, output: outputs, attribute });
    return outputs[0];
  }
  model(outputName) {
    const { ElemType } = this.E;
    return {
      irVersion: 8,
      producerName: 'layerlens-bench-js',
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'main_graph',
        node: this.nodes,
        initializer: this.inits,
        input: [{ name: 'input', type: { tensorType: { elemType: ElemType.FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: 3 }, { dimValue: 224 }, { dimValue: 224 }] } } } }],
        output: [{ name: 'logits', type: { tensorType: { elemType: ElemType.FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: 1000 }] } } } }],
      },
      _out: outputName,
    };
  }
}

function resnet18(E) {
  const b = new Builder(E, 18);
  // conv(node scope, parameter prefix, …)
  const conv = (scope, param, x, cin, cout, k, s, p) => {
    const w = b.normal(`${param}.weight`, [cout, cin, k, k], Math.sqrt(2 / (cout * k * k)));
    const bias = b.f32(`${param}.bias`, [cout], new Float32Array(cout));
    return b.op(`${scope}/Conv`, 'Conv', [x, w, bias], { kernel_shape: [k, k], strides: [s, s], pads: [p, p, p, p], dilations: [1, 1], group: 1 });
  };
  let x = conv('/conv1', 'conv1', 'input', 3, 64, 7, 2, 3);
  x = b.op('/relu/Relu', 'Relu', [x]);
  x = b.op('/maxpool/MaxPool', 'MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  let cin = 64;
  [64, 128, 256, 512].forEach((planes, li) => {
    const L = `layer${li + 1}`;
    for (let bi = 0; bi < 2; bi++) {
      const s = li > 0 && bi === 0 ? 2 : 1;
      const scope = `/${L}/${L}.${bi}`;
      const identity = x;
      let h = conv(`${scope}/conv1`, `${L}.${bi}.conv1`, x, cin, planes, 3, s, 1);
      h = b.op(`${scope}/relu/Relu`, 'Relu', [h]);
      h = conv(`${scope}/conv2`, `${L}.${bi}.conv2`, h, planes, planes, 3, 1, 1);
      const short = s !== 1 || cin !== planes ? conv(`${scope}/downsample/downsample.0`, `${L}.${bi}.downsample.0`, x, cin, planes, 1, s, 0) : identity;
      h = b.op(`${scope}/Add`, 'Add', [h, short]);
      x = b.op(`${scope}/relu_1/Relu`, 'Relu', [h]);
      cin = planes;
    }
  });
  x = b.op('/avgpool/GlobalAveragePool', 'GlobalAveragePool', [x]);
  x = b.op('/Flatten', 'Flatten', [x], { axis: 1 });
  const bound = 1 / Math.sqrt(512);
  const w = b.f32('fc.weight', [1000, 512], Float32Array.from({ length: 512000 }, () => (b.r.u() * 2 - 1) * bound));
  const bias = b.f32('fc.bias', [1000], Float32Array.from({ length: 1000 }, () => (b.r.u() * 2 - 1) * bound));
  const out = b.op('/fc/Gemm', 'Gemm', [x, w, bias], { transB: 1 });
  b.nodes[b.nodes.length - 1].output = ['logits'];
  return b.model(out);
}

function vit(E, { dim = 192, depth = 6, heads = 3, hidden = 768 } = {}) {
  const b = new Builder(E, 224);
  const hd = dim / heads;
  // Node scopes as the PyTorch exporter writes them: blocks.3.attn.qkv → /blocks/blocks.3/attn/qkv
  const scopeOf = (param) => `/${param.replace(/^blocks\.(\d+)\./, 'blocks/blocks.$1/').replace(/\./g, '/').replace(/blocks\/blocks\/(\d+)/, 'blocks/blocks.$1')}`;
  const lin = (param, x, cin, cout) => {
    const w = b.normal(`${param}.weight_T`, [cin, cout], 0.02);
    const bias = b.f32(`${param}.bias`, [cout], new Float32Array(cout));
    const s = scopeOf(param);
    return b.op(`${s}/Add`, 'Add', [b.op(`${s}/MatMul`, 'MatMul', [x, w]), bias]);
  };
  const ln = (param, x) => {
    const g = b.f32(`${param}.weight`, [dim], new Float32Array(dim).fill(1));
    const beta = b.f32(`${param}.bias`, [dim], new Float32Array(dim));
    return b.op(`${scopeOf(param)}/LayerNormalization`, 'LayerNormalization', [x, g, beta], { axis: -1, epsilon: 1e-6 });
  };
  const pw = b.normal('patch_embed.proj.weight', [dim, 3, 16, 16], Math.sqrt(1 / (3 * 256)));
  const pb = b.f32('patch_embed.proj.bias', [dim], new Float32Array(dim));
  let x = b.op('/patch_embed/proj/Conv', 'Conv', ['input', pw, pb], { kernel_shape: [16, 16], strides: [16, 16], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1 });
  x = b.op('/patch_embed/Reshape', 'Reshape', [x, b.i64('c_pe_shape', [0, dim, -1])]);
  x = b.op('/patch_embed/Transpose', 'Transpose', [x], { perm: [0, 2, 1] });
  const shape = b.op('/Shape', 'Shape', ['input']);
  const nb = b.op('/Slice', 'Slice', [shape, b.i64('c_0', [0]), b.i64('c_1', [1])]);
  const clsShape = b.op('/Concat', 'Concat', [nb, b.i64('c_cls_tail', [1, dim])], { axis: 0 });
  const cls = b.op('/Expand', 'Expand', [b.normal('cls_token', [1, 1, dim], 0.02), clsShape]);
  x = b.op('/Concat_1', 'Concat', [cls, x], { axis: 1 });
  x = b.op('/Add', 'Add', [x, b.normal('pos_embed', [1, 197, dim], 0.02)]);
  const idx = [0, 1, 2].map((i) => b.i64(`c_idx_${i}`, [i], []));
  const scale = b.f32('c_scale', [], [hd ** -0.5]);
  const sqrt2 = b.f32('c_sqrt2', [], [Math.SQRT2]);
  const one = b.f32('c_one', [], [1]);
  const half = b.f32('c_half', [], [0.5]);
  const qkvShape = b.i64('c_qkv_shape', [0, 0, 3, heads, hd]);
  const mergeShape = b.i64('c_merge_shape', [0, 0, dim]);
  for (let i = 0; i < depth; i++) {
    const S = `/blocks/blocks.${i}`;
    let h = ln(`blocks.${i}.norm1`, x);
    const qkv = lin(`blocks.${i}.attn.qkv`, h, dim, 3 * dim);
    const p = b.op(`${S}/attn/Transpose`, 'Transpose', [b.op(`${S}/attn/Reshape`, 'Reshape', [qkv, qkvShape])], { perm: [2, 0, 3, 1, 4] });
    const [q, k, v] = idx.map((ix, j) => b.op(`${S}/attn/Gather${j ? `_${j}` : ''}`, 'Gather', [p, ix], { axis: 0 }));
    const kt = b.op(`${S}/attn/Transpose_1`, 'Transpose', [k], { perm: [0, 1, 3, 2] });
    let a = b.op(`${S}/attn/Mul`, 'Mul', [b.op(`${S}/attn/MatMul`, 'MatMul', [q, kt]), scale]);
    a = b.op(`${S}/attn/Softmax`, 'Softmax', [a], { axis: -1 });
    let o = b.op(`${S}/attn/MatMul_1`, 'MatMul', [a, v]);
    o = b.op(`${S}/attn/Transpose_2`, 'Transpose', [o], { perm: [0, 2, 1, 3] });
    o = b.op(`${S}/attn/Reshape_1`, 'Reshape', [o, mergeShape]);
    x = b.op(`${S}/Add`, 'Add', [x, lin(`blocks.${i}.attn.proj`, o, dim, dim)]);
    h = ln(`blocks.${i}.norm2`, x);
    const f1 = lin(`blocks.${i}.mlp.fc1`, h, dim, hidden);
    const erf = b.op(`${S}/mlp/act/Erf`, 'Erf', [b.op(`${S}/mlp/act/Div`, 'Div', [f1, sqrt2])]);
    const g = b.op(`${S}/mlp/act/Mul_1`, 'Mul', [b.op(`${S}/mlp/act/Mul`, 'Mul', [f1, b.op(`${S}/mlp/act/Add`, 'Add', [erf, one])]), half]);
    x = b.op(`${S}/Add_1`, 'Add', [x, lin(`blocks.${i}.mlp.fc2`, g, hidden, dim)]);
  }
  x = ln('norm', x);
  x = b.op('/Gather', 'Gather', [x, idx[0]], { axis: 1 });
  const hw = b.normal('head.weight', [1000, dim], 0.02);
  const hb = b.f32('head.bias', [1000], new Float32Array(1000));
  b.op('/head/Gemm', 'Gemm', [x, hw, hb], { transB: 1 });
  b.nodes[b.nodes.length - 1].output = ['logits'];
  return b.model('logits');
}

export function writeFallbackModels(dir) {
  const E = engine();
  fs.mkdirSync(dir, { recursive: true });
  const manifest = { source: 'js-fallback', hash: 'js-fallback', opset: 17, models: {} };
  for (const [kind, build, layer] of [['resnet18', resnet18, 'layer3'], ['vit', vit, 'blocks.3']]) {
    const m = build(E);
    delete m._out;
    fs.writeFileSync(path.join(dir, `${kind}.onnx`), E.encodeModel(m));
    manifest.models[kind] = { onnx: `${kind}.onnx`, layer };
  }
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 1));
  return manifest;
}
