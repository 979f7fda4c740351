/** Reading Captum reference cases (test/data/fixtures: the lgxa and layer_methods formats) and comparing with their tolerance rule. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AttributeRequest, AttributionTarget, MethodName, MethodSpec, TargetSpec } from '../../src/engine/api';
import { readNpy } from '../../src/engine/tensor/npy';
import type { HostTensor } from '../../src/engine/tensor/hostTensor';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
/** The public Captum sets, copied into the repository (test/data/fixtures/README.md says from where). */
export const PUBLIC_FIXTURES = path.join(REPO_ROOT, 'test', 'data', 'fixtures');
export const PUBLIC_FIXTURE_SET = path.join(PUBLIC_FIXTURES, 'lgxa');
export const PUBLIC_METHOD_SET = path.join(PUBLIC_FIXTURES, 'layer_methods');
/**
 * The sets whose cases the conformance tests enumerate: LAYERLENS_FIXTURES (one or more set folders joined by
 * the path delimiter, in either format — e.g. hidden sets) or the two public ones.
 */
export const FIXTURE_SETS = process.env.LAYERLENS_FIXTURES
  ? process.env.LAYERLENS_FIXTURES.split(path.delimiter).filter(Boolean)
  : [PUBLIC_FIXTURE_SET, PUBLIC_METHOD_SET];
/** Particular public-set files that other tests rely on, whatever LAYERLENS_FIXTURES says. */
export const publicModel = (name: string): string => path.join(PUBLIC_FIXTURE_SET, 'models', `${name}.onnx`);
export const publicInput = (caseId: string): string => path.join(PUBLIC_FIXTURE_SET, 'cases', caseId, 'input_0.npy');

export interface FixtureCase {
  id: string;
  dir: string;
  modelPath: string;
  json: {
    model: string;
    inputs: string[];
    layers: string[];
    layer_is_list: boolean;
    target: unknown;
    attribute_to_layer_input: boolean;
    multiply_by_inputs: boolean;
    expected: string[][];
    rtol: number;
    atol: number;
    atol_per_tensor?: number[][];
    expect_error?: string;
    optional?: boolean;
    note?: string;
    /** layer_methods cases: the Captum method and its arguments (files named by case-directory .npy names). */
    method?: { name: string; init_args?: Record<string, unknown>; args: Record<string, unknown> };
    target_mask?: string;
    target_box?: (number | [number, number])[];
    target_box_cli?: string;
    delta?: string;
    atol_delta?: number;
  };
}

/** Captum class → `--method` (the layer_methods README's table). */
export const METHOD_OF_CLASS: Record<string, MethodName> = {
  LayerGradientXActivation: 'lgxa',
  LayerActivation: 'activation',
  LayerGradCam: 'gradcam',
  InternalInfluence: 'internal-influence',
  LayerConductance: 'conductance',
  LayerIntegratedGradients: 'integrated-gradients',
  LayerFeatureAblation: 'feature-ablation',
};

/** The engine's method spec for a case (layer_methods format; undefined for a plain LGXA case). */
export async function fixtureMethod(c: FixtureCase): Promise<MethodSpec | undefined> {
  const m = c.json.method;
  if (!m) return undefined;
  const name = METHOD_OF_CLASS[m.name];
  if (!name) throw new Error(`unknown Captum method ${m.name}`);
  const a = m.args;
  const npy = (f: unknown) => readNpy(path.join(c.dir, String(f)));
  const files = (v: unknown) => (Array.isArray(v) ? v : [v]);
  return {
    name,
    ...(a.baselines !== undefined ? { baselines: await Promise.all(files(a.baselines).map(npy)) } : {}),
    ...(a.n_steps !== undefined ? { nSteps: Number(a.n_steps) } : {}),
    ...(a.method !== undefined ? { integration: a.method as MethodSpec['integration'] } : {}),
    ...(a.internal_batch_size !== undefined ? { internalBatchSize: Number(a.internal_batch_size) } : {}),
    ...(a.return_convergence_delta ? { convergenceDelta: true } : {}),
    ...(m.init_args?.multiply_by_inputs === false ? { multiplyByInputs: false } : {}),
    ...(a.relu_attributions ? { reluAttributions: true } : {}),
    ...(a.attr_dim_summation === false ? { dimSum: false } : {}),
    ...(a.layer_baselines !== undefined ? { layerBaseline: typeof a.layer_baselines === 'number' ? a.layer_baselines : await npy(a.layer_baselines) } : {}),
    ...(a.layer_mask !== undefined ? { layerMask: await npy(a.layer_mask) } : {}),
    ...(a.perturbations_per_eval !== undefined ? { perturbationsPerEval: Number(a.perturbations_per_eval) } : {}),
  };
}

/** A case's target as the engine takes it: mask and box targets included. */
export async function fixtureAttributionTarget(c: FixtureCase): Promise<AttributionTarget> {
  if (c.json.target_mask) return { kind: 'mask', mask: await readNpy(path.join(c.dir, c.json.target_mask)) };
  if (c.json.target_box)
    return { kind: 'box', box: c.json.target_box.map((e) => (typeof e === 'number' ? e : { start: e[0], stop: e[1] })) };
  return fixtureTarget(c.json.target);
}

/** Every case of the given sets (default: FIXTURE_SETS), in index order. */
export function listCases(setDirs: string[] = FIXTURE_SETS): FixtureCase[] {
  return setDirs.flatMap((setDir) => {
    const index = JSON.parse(fs.readFileSync(path.join(setDir, 'index.json'), 'utf8')) as { cases: string[] };
    return index.cases.map((id) => {
      const dir = path.join(setDir, 'cases', id);
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'case.json'), 'utf8')) as FixtureCase['json'];
      return { id, dir, modelPath: path.join(setDir, json.model), json };
    });
  });
}

/** True when the conformance tests run the repository's own copies of the public sets. */
export const ON_PUBLIC_SETS = !process.env.LAYERLENS_FIXTURES;

export function fixtureTarget(t: unknown): TargetSpec {
  if (t === null || t === undefined) return { kind: 'none' };
  if (typeof t === 'number') return { kind: 'index', index: t };
  if (Array.isArray(t)) {
    if (t.length && Array.isArray(t[0])) return { kind: 'tuples', tuples: t as number[][] };
    return { kind: 'perExample', indices: t as number[] };
  }
  const o = t as { tuple?: number[]; tuples?: number[][] };
  if (o.tuple) return { kind: 'tuple', tuple: o.tuple };
  if (o.tuples) return { kind: 'tuples', tuples: o.tuples };
  throw new Error(`unknown target form ${JSON.stringify(t)}`);
}

/** CLI SPEC text for a fixture target (DESIGN §4). */
export function fixtureTargetSpec(t: unknown): string | undefined {
  const s = fixtureTarget(t);
  switch (s.kind) {
    case 'none': return undefined;
    case 'index': return String(s.index);
    case 'perExample': return s.indices.join(',');
    case 'tuple': return `(${s.tuple.join(',')})`;
    case 'tuples': return s.tuples.map((x) => `(${x.join(',')})`).join(',');
  }
}

export async function fixtureRequest(c: FixtureCase): Promise<AttributeRequest> {
  const inputs = await Promise.all(c.json.inputs.map((f) => readNpy(path.join(c.dir, f))));
  return {
    layers: c.json.layers,
    inputs,
    target: await fixtureAttributionTarget(c),
    method: await fixtureMethod(c),
    layerInput: c.json.attribute_to_layer_input,
    // multiply_by_inputs is LGXA's flag here (null for methods without it; integrated gradients carries its own).
    gradientOnly: c.json.multiply_by_inputs === false && !c.json.method?.name.startsWith('LayerIntegrated'),
    threads: 1,
  };
}

export interface Comparison {
  ok: boolean;
  message: string;
  maxAbs: number;
}

/** numpy.allclose semantics with the case's per-tensor atol; NaN/Inf never pass. */
export function compareTensor(cand: HostTensor, exp: HostTensor, rtol: number, atol: number): Comparison {
  if (cand.dims.join(',') !== exp.dims.join(','))
    return { ok: false, message: `shape [${cand.dims}] != expected [${exp.dims}]`, maxAbs: Infinity };
  const a = cand.data as Float32Array;
  const b = exp.data as Float32Array;
  let maxAbs = 0;
  let bad = -1;
  for (let i = 0; i < b.length; i++) {
    const x = Number(a[i]);
    const y = Number(b[i]);
    const d = Math.abs(x - y);
    if (!Number.isFinite(x) || !(d <= atol + rtol * Math.abs(y))) {
      if (bad < 0) bad = i;
    }
    if (d > maxAbs || Number.isNaN(d)) maxAbs = Number.isNaN(d) ? Infinity : d;
  }
  return bad < 0
    ? { ok: true, message: `max abs ${maxAbs.toExponential(2)}`, maxAbs }
    : { ok: false, message: `element ${bad}: ${a[bad]} vs ${b[bad]} (atol ${atol}, rtol ${rtol}); max abs ${maxAbs.toExponential(2)}`, maxAbs };
}

/**
 * Compares an attribution with a PyTorch autograd reference `.npy` (test/data/*) using the fixtures' rule:
 * rtol 1e-4 and atol 1e-5 × the reference's largest magnitude (float32 noise scales with it).
 */
export async function matchesReference(cand: HostTensor, refFile: string): Promise<Comparison> {
  const exp = await readNpy(refFile);
  let max = 0;
  for (const v of exp.data as Float32Array) max = Math.max(max, Math.abs(v));
  return compareTensor(cand, exp, 1e-4, 1e-5 * max);
}
