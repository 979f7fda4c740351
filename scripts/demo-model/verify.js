#!/usr/bin/env node
// Checks the bundled demo model in media/demo/ with onnxruntime-node:
//  - the model's metadata_props agree with labels.json and preprocess.json,
//  - it is small, has input "image" [N,1,28,28] and output "logits" [N,10],
//  - every sample PNG, preprocessed as preprocess.json says, is classified as
//    the label in its file name (run as one batch, so the dynamic N is tried).
// Run from the repository root: node scripts/demo-model/verify.js
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const ort = require('onnxruntime-node');
const sharp = require('sharp');
const { onnx } = require('onnx-proto');

const demo = path.join(__dirname, '..', '..', 'media', 'demo');
const modelPath = path.join(demo, 'fashion_mnist_cnn.onnx');

function slug(label) {
  return label.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function main() {
  const labels = JSON.parse(fs.readFileSync(path.join(demo, 'labels.json'), 'utf8'));
  const pre = JSON.parse(fs.readFileSync(path.join(demo, 'preprocess.json'), 'utf8'));
  const bytes = fs.readFileSync(modelPath);
  check(bytes.length < 200 * 1024, `model is ${bytes.length} bytes, over 200 KB`);

  const proto = onnx.ModelProto.decode(bytes);
  const meta = Object.fromEntries(proto.metadataProps.map((p) => [p.key, p.value]));
  check(JSON.stringify(JSON.parse(meta.labels)) === JSON.stringify(labels), 'metadata labels differ from labels.json');
  check(JSON.stringify(JSON.parse(meta['layerlens.preprocess'])) === JSON.stringify(pre),
    'metadata layerlens.preprocess differs from preprocess.json');
  check(/^0\.\d+$/.test(meta.test_accuracy || ''), 'metadata test_accuracy missing');
  check(typeof meta.description === 'string' && meta.description.length > 0, 'metadata description missing');
  check(labels.length === 10, 'expected 10 labels');

  const session = await ort.InferenceSession.create(modelPath);
  check(session.inputNames.length === 1 && session.inputNames[0] === 'image', `inputs: ${session.inputNames}`);
  check(session.outputNames.length === 1 && session.outputNames[0] === 'logits', `outputs: ${session.outputNames}`);

  const [h, w] = pre.size;
  const files = fs.readdirSync(path.join(demo, 'samples')).filter((f) => f.endsWith('.png')).sort();
  check(files.length === 8, `expected 8 samples, found ${files.length}`);
  const data = new Float32Array(files.length * h * w);
  const expected = [];
  for (const [k, file] of files.entries()) {
    const m = /^(\d+)_(.+)\.png$/.exec(file);
    check(m, `bad sample name ${file}`);
    const cls = labels.findIndex((l) => slug(l) === m[2]);
    check(cls >= 0, `no label for ${file}`);
    expected.push(cls);
    const { data: px, info } = await sharp(path.join(demo, 'samples', file))
      .extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    check(info.width === w && info.height === h && info.channels === 1, `${file}: ${info.width}x${info.height}x${info.channels}`);
    const [lo, hi] = pre.range;
    for (let i = 0; i < h * w; i++) {
      const x = lo + (px[i] / 255) * (hi - lo);
      data[k * h * w + i] = (x - pre.mean[0]) / pre.std[0];
    }
  }

  const out = await session.run({ image: new ort.Tensor('float32', data, [files.length, 1, h, w]) });
  const logits = out.logits;
  check(logits.dims.length === 2 && logits.dims[0] === files.length && logits.dims[1] === 10, `logits dims ${logits.dims}`);
  let failed = 0;
  for (const [k, file] of files.entries()) {
    const row = Array.from(logits.data.slice(k * 10, k * 10 + 10));
    const max = Math.max(...row);
    const exps = row.map((v) => Math.exp(v - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    const pred = row.indexOf(max);
    const ok = pred === expected[k];
    if (!ok) failed++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${file}: predicted ${labels[pred]} (p=${(exps[pred] / sum).toFixed(3)}), expected ${labels[expected[k]]}`);
  }
  console.log(`model ${bytes.length} bytes, test_accuracy ${meta.test_accuracy}`);
  console.log(`${files.length - failed} passed, ${failed} failed`);
  if (failed) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
