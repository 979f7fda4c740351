/** The `layerlens` binary, as a user runs it: fixture cases end to end, JSON summaries, one-line errors. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { readNpy } from '../../../src/engine/tensor/npy';
import { ON_PUBLIC_SETS, FixtureCase, REPO_ROOT, compareTensor, fixtureTargetSpec, listCases, publicModel, publicInput } from '../../support/fixtures';

const BIN = path.join(REPO_ROOT, 'bin', 'layerlens.js');

export function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const VIA_CLI = [
  'captum_linear1',
  'captum_multi_relu',
  'captum_multiinput_relu_additional_tensor',
  'cnn_conv2_b4_targets',
  'cnn_negative_target',
  'multidim_tuple_list_target',
  'resnet_downsample_input',
  'seg_tuple_target',
  'transformer_attn_parts',
  'captum_list_multi_relu_linear0',
];

describe('layerlens attribute on fixture cases', () => {
  // The public set: ten chosen cases (the engine test runs all of them). Another set: every value case.
  const viaCli = ON_PUBLIC_SETS ? (x: FixtureCase) => VIA_CLI.includes(x.id) : (x: FixtureCase) => !x.json.expect_error;
  for (const c of listCases().filter(viaCli)) {
    test(c.id, async () => {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'll-cli-'));
      const args = ['attribute', c.modelPath, ...c.json.layers.flatMap((l) => ['--layer', l]), ...c.json.inputs.flatMap((f) => ['--input', path.join(c.dir, f)])];
      const spec = fixtureTargetSpec(c.json.target);
      if (spec !== undefined) args.push('--target', spec);
      if (c.json.layer_is_list) args.push('--layer-list');
      if (c.json.attribute_to_layer_input) args.push('--layer-input');
      if (!c.json.multiply_by_inputs) args.push('--gradient-only');
      args.push('--out', out, '--json', '--threads', '1');
      const r = cli(args);
      assert.equal(r.code, 0, r.stderr);
      const summary = JSON.parse(r.stdout);
      assert.equal(summary.provider, 'cpu');
      for (const k of ['load', 'compile', 'run']) assert.equal(typeof summary.timings[k], 'number');
      for (const [L, files] of c.json.expected.entries()) {
        for (const [K, f] of files.entries()) {
          const got = await readNpy(path.join(out, `attr_${L}_${K}.npy`));
          const exp = await readNpy(path.join(c.dir, f));
          const cmp = compareTensor(got, exp, c.json.rtol, c.json.atol_per_tensor?.[L]?.[K] ?? c.json.atol);
          assert.ok(cmp.ok, `${f}: ${cmp.message}`);
          assert.deepEqual(summary.layers[L].shapes[K], exp.dims);
        }
      }
      fs.rmSync(out, { recursive: true, force: true });
    });
  }
});

describe('layerlens errors are one line with a non-zero exit', () => {
  const model = publicModel('small_cnn');
  const input = publicInput('cnn_conv2_b4_targets');
  const cases: [string, string[], RegExp][] = [
    ['missing model', ['layers', '/nonexistent/model.onnx'], /no such file/],
    ['not an ONNX file', ['layers', BIN], /not (a valid|an) ONNX model/],
    ['unknown layer', ['attribute', model, '--layer', 'nope', '--input', input, '--target', '1'], /unknown layer 'nope'/],
    ['target out of range', ['attribute', model, '--layer', 'conv2', '--input', input, '--target', '10'], /out of range/],
    ['malformed target', ['attribute', model, '--layer', 'conv2', '--input', input, '--target', '(1,'], /invalid target/],
    ['wrong input count', ['attribute', model, '--layer', 'conv2', '--input', input, '--input', input, '--target', '1'], /takes 1 input/],
    ['unknown option', ['layers', model, '--bogus'], /Unknown option/i],
    ['bad provider', ['attribute', model, '--layer', 'conv2', '--input', input, '--provider', 'tpu'], /--provider must be one of/],
    ['--target with --top-targets', ['attribute', model, '--layer', 'conv2', '--input', input, '--target', '1', '--top-targets', '2'], /exclude each other/],
    ['more top targets than classes', ['attribute', model, '--layer', 'conv2', '--input', input, '--top-targets', '11'], /only 10 classes/],
    ['webgpu without an adapter', ['attribute', model, '--layer', 'conv2', '--input', input, '--target', '1', '--provider', 'webgpu'], /webgpu/],
  ];
  for (const [name, args, re] of cases) {
    test(name, () => {
      const r = cli(args);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /^error: /);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line expected, got:\n${r.stderr}`);
      assert.match(r.stderr, re);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    });
  }
});

describe('npx layerlens from the repository', () => {
  test('an error is exactly one line on stderr (no npm warnings around it)', () => {
    const r = spawnSync('npx', ['--no-install', 'layerlens', 'layers', '/nonexistent/model.onnx'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1);
    assert.equal(r.stderr, "error: cannot read model '/nonexistent/model.onnx': no such file\n");
    assert.equal(r.stdout, '');
  });
});

describe('layerlens attribute --top-targets', () => {
  test('one attribution per rank, in DIR/top<r>/, classes as predict ranks them', async () => {
    const model = publicModel('small_cnn');
    const input = publicInput('cnn_conv2_b4_targets');
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'll-cli-top-'));
    const r = cli(['attribute', model, '--layer', 'conv2', '--input', input, '--top-targets', '2', '--out', out, '--json', '--threads', '1']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    const p = JSON.parse(cli(['predict', model, '--input', input, '--top', '2', '--json']).stdout);
    assert.deepEqual(j.targets.map((t: { classes: number[] }) => t.classes), [0, 1].map((rank) => p.top.map((row: { index: number }[]) => row[rank].index)));
    for (const rank of [0, 1]) {
      const f = path.join(out, `top${rank}`, 'attr_0_0.npy');
      assert.deepEqual(j.targets[rank].layers[0].files, [f]);
      assert.deepEqual((await readNpy(f)).dims, j.targets[rank].layers[0].shapes[0]);
      assert.equal((await readNpy(f)).dims[0], 4);
    }
    fs.rmSync(out, { recursive: true, force: true });
  });
});

describe('layerlens layers / predict', () => {
  test('layers --json lists module paths with op types and values', () => {
    const r = cli(['layers', publicModel('tiny_resnet'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    const ids = j.layers.map((l: { id: string }) => l.id);
    for (const id of ['layer1.0.conv1', 'layer1.0.relu', 'fc', 'node:/fc/Gemm']) assert.ok(ids.includes(id), id);
    const relu = j.layers.find((l: { id: string }) => l.id === 'layer1.0.relu');
    assert.equal(relu.invocations, 2);
    assert.deepEqual(relu.outputs.map((o: { name: string }) => o.name), ['/layer1/layer1.0/relu_1/Relu_output_0']);
  });
  test('predict --json gives top-k per example', () => {
    const c = publicInput('cnn_conv2_b4_targets');
    const r = cli(['predict', publicModel('small_cnn'), '--input', c, '--top', '3', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.top.length, 4);
    assert.equal(j.top[0].length, 3);
    assert.ok(j.top[0][0].score >= j.top[0][1].score);
  });
});
