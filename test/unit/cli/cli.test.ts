/** The `layerlens` binary, as a user runs it: fixture cases end to end, JSON summaries, one-line errors. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { readNpy } from '../../../src/engine/tensor/npy';
import { METHOD_OF_CLASS, ON_PUBLIC_SETS, FixtureCase, REPO_ROOT, compareTensor, fixtureTargetSpec, listCases, publicModel, publicInput } from '../../support/fixtures';

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

/** The CLI flags a case maps to (test/data/fixtures/layer_methods/README.md, "CLI mapping"). */
function caseArgs(c: FixtureCase, out: string): string[] {
  const args = ['attribute', c.modelPath, ...c.json.layers.flatMap((l) => ['--layer', l]), ...c.json.inputs.flatMap((f) => ['--input', path.join(c.dir, f)])];
  const m = c.json.method;
  const method = m ? METHOD_OF_CLASS[m.name] : 'lgxa';
  if (method !== 'lgxa') args.push('--method', method);
  const spec = fixtureTargetSpec(c.json.target);
  if (spec !== undefined) args.push('--target', spec);
  if (c.json.target_box_cli) args.push('--target', c.json.target_box_cli);
  if (c.json.target_mask) args.push('--target-mask', path.join(c.dir, c.json.target_mask));
  if (c.json.layer_is_list) args.push('--layer-list');
  if (c.json.attribute_to_layer_input) args.push('--layer-input');
  const mbi = m ? m.init_args?.multiply_by_inputs !== false : c.json.multiply_by_inputs;
  if (!mbi) args.push(method === 'lgxa' ? '--gradient-only' : '--no-multiply-by-inputs');
  const a = m?.args ?? {};
  const file = (f: unknown) => path.join(c.dir, String(f));
  if (a.baselines !== undefined) for (const f of Array.isArray(a.baselines) ? a.baselines : [a.baselines]) args.push('--baseline', file(f));
  if (a.n_steps !== undefined) args.push('--n-steps', String(a.n_steps));
  if (a.method !== undefined) args.push('--integration', String(a.method));
  if (a.internal_batch_size !== undefined) args.push('--internal-batch-size', String(a.internal_batch_size));
  if (a.relu_attributions) args.push('--relu-attributions');
  if (a.attr_dim_summation === false) args.push('--no-dim-sum');
  if (a.layer_baselines !== undefined) args.push('--layer-baseline', typeof a.layer_baselines === 'number' ? String(a.layer_baselines) : file(a.layer_baselines));
  if (a.layer_mask !== undefined) args.push('--layer-mask', file(a.layer_mask));
  if (a.perturbations_per_eval !== undefined) args.push('--perturbations-per-eval', String(a.perturbations_per_eval));
  if (a.return_convergence_delta) args.push('--convergence-delta');
  args.push('--out', out, '--json', '--threads', '1');
  return args;
}

describe('layerlens attribute on fixture cases', () => {
  // Public sets: ten chosen LGXA cases and every layer-method case (the engine test runs all). Other sets: every case.
  const viaCli = ON_PUBLIC_SETS ? (x: FixtureCase) => VIA_CLI.includes(x.id) || !!x.json.method : () => true;
  for (const c of listCases().filter(viaCli)) {
    test(c.id, async () => {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'll-cli-'));
      const r = cli(caseArgs(c, out));
      if (c.json.expect_error) {
        assert.notEqual(r.code, 0, `expected an error: ${c.json.expect_error}`);
        assert.match(r.stderr, /^error: [^\n]+\n$/);
        assert.deepEqual(fs.readdirSync(out), [], 'no arrays written');
        fs.rmSync(out, { recursive: true, force: true });
        return;
      }
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
      if (c.json.delta) {
        const cmp = compareTensor(await readNpy(path.join(out, 'delta.npy')), await readNpy(path.join(c.dir, c.json.delta)), 0, c.json.atol_delta ?? 1e-5);
        assert.ok(cmp.ok, `delta: ${cmp.message}`);
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
    ['unknown method', ['attribute', model, '--layer', 'conv2', '--input', input, '--method', 'shap'], /--method must be one of lgxa, activation/],
    ['a flag of another method', ['attribute', model, '--layer', 'conv2', '--input', input, '--target', '1', '--n-steps', '5'], /--n-steps does not apply to --method lgxa/],
    ['activation takes no target', ['attribute', model, '--layer', 'conv2', '--input', input, '--method', 'activation', '--target', '1'], /has no target/],
    ['unknown integration rule', ['attribute', model, '--layer', 'conv2', '--input', input, '--method', 'conductance', '--target', '1', '--integration', 'simpson'], /--integration must be one of/],
    ['--target-mask with --target', ['attribute', model, '--layer', 'conv2', '--input', input, '--target', '1', '--target-mask', input], /--target-mask excludes --target/],
    ['a mask that does not fit the output', ['attribute', model, '--layer', 'conv2', '--input', input, '--target-mask', input], /does not broadcast/],
    ['a baseline of another shape', ['attribute', model, '--layer', 'conv2', '--input', input, '--method', 'integrated-gradients', '--target', '1', '--baseline', publicInput('resnet_block_outputs')], /baseline 0 .*does not broadcast|baseline/],
    ['one riemann step', ['attribute', model, '--layer', 'conv2', '--input', input, '--method', 'internal-influence', '--target', '1', '--integration', 'riemann_left', '--n-steps', '1'], /needs n_steps ≥ 2/],
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

describe('layerlens in a pipe', () => {
  test('a reader that closes early (| head -1) ends it quietly', () => {
    const r = spawnSync('bash', ['-c', `set -o pipefail; node ${JSON.stringify(BIN)} predict ${JSON.stringify(publicModel('small_cnn'))} --input ${JSON.stringify(publicInput('cnn_conv2_b4_targets'))} --top 10 | head -1 >/dev/null`], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.stderr, '');
    assert.equal(r.status, 0);
  });
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
