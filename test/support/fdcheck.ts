/**
 * Finite-difference reference for a layer gradient anywhere in a real model: the model is cut at the chosen
 * value (it becomes a graph input, its producer's result unused), and ⟨seed, output⟩ is differentiated by
 * central differences along random directions, through onnxruntime.
 */
import * as ort from 'onnxruntime-node';
import type { TargetSpec } from '../../src/engine/api';
import { buildSeed } from '../../src/engine/attribution/targets';
import type { LoadedModel } from '../../src/engine/onnx/loadModel';
import { ModelProto, encodeModel } from '../../src/engine/onnx/proto';
import { toOrt } from '../../src/engine/runtime/tensors';
import type { HostTensor } from '../../src/engine/tensor/hostTensor';
import { withOutputs } from '../../src/engine/attribution/compile';
import { rng } from './gradcheck';

export async function valueOf(model: LoadedModel, inputs: HostTensor[], value: string): Promise<ort.Tensor> {
  const s = await ort.InferenceSession.create(encodeModel(withOutputs(model, [value])), { intraOpNumThreads: 1 });
  const feeds: Record<string, ort.Tensor> = {};
  model.graph.inputs.forEach((n, i) => (feeds[n] = toOrt(inputs[i])));
  const r = await s.run(feeds, [value]);
  await s.release();
  return r[value];
}

function cutAt(model: LoadedModel, value: string, output: string, dims: readonly number[]): ModelProto {
  const g = model.proto.graph!;
  const producer = model.graph.producer.get(value);
  const nodes = (g.node ?? []).map((n) =>
    n === producer?.node.proto ? { ...n, output: (n.output ?? []).map((o) => (o === value ? `${value}__cut` : o)) } : n,
  );
  const isInput = model.graph.inputs.includes(value);
  const input = isInput
    ? g.input
    : [...(g.input ?? []), { name: value, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } }];
  return { ...model.proto, graph: { ...g, node: nodes, input, output: (g.output ?? []).filter((o) => o.name === output) } } as ModelProto;
}

export interface FdResult {
  directions: number;
  worstRelErr: number;
}

/** Compares ⟨G, v⟩ with the central difference of s along v for several random directions v. */
export async function fdCheckValue(
  model: LoadedModel,
  inputs: HostTensor[],
  value: string,
  output: string,
  target: TargetSpec,
  gradient: HostTensor,
  opts: { directions?: number; seed?: number; rtol?: number } = {},
): Promise<FdResult> {
  const a = await valueOf(model, inputs, value);
  const cut = await ort.InferenceSession.create(encodeModel(cutAt(model, value, output, a.dims)), { intraOpNumThreads: 1 });
  const feeds: Record<string, ort.Tensor> = {};
  model.graph.inputs.forEach((n, i) => (feeds[n] = toOrt(inputs[i])));
  const base = Float32Array.from(a.data as Float32Array);
  const outRun = await cut.run({ ...feeds, [value]: new ort.Tensor('float32', base, a.dims) }, [output]);
  const seed = buildSeed(target, [...outRun[output].dims]);
  const s = async (x: Float32Array) => {
    const r = await cut.run({ ...feeds, [value]: new ort.Tensor('float32', x, a.dims) }, [output]);
    const y = r[output].data as Float32Array;
    let acc = 0;
    for (let k = 0; k < y.length; k++) if (seed[k]) acc += seed[k] * y[k];
    return acc;
  };
  const rand = rng(opts.seed ?? 7);
  const g = gradient.data as Float32Array;
  let rms = 0;
  for (const x of base) rms += x * x;
  rms = Math.sqrt(rms / Math.max(1, base.length)) || 1;
  let worst = 0;
  const n = opts.directions ?? 6;
  for (let d = 0; d < n; d++) {
    // Half the directions are dense random, half concentrate on the largest-gradient elements.
    const v = new Float32Array(base.length);
    if (d % 2 === 0) for (let k = 0; k < v.length; k++) v[k] = rand() * 2 - 1;
    else {
      const idx = Array.from(g.keys()).sort((i, j) => Math.abs(g[j]) - Math.abs(g[i])).slice(0, 8);
      for (const k of idx) v[k] = rand() < 0.5 ? -1 : 1;
    }
    let analytic = 0;
    let gnorm = 0;
    for (let k = 0; k < v.length; k++) {
      analytic += g[k] * v[k];
      gnorm += Math.abs(g[k] * v[k]);
    }
    const eps = 1e-2 * rms;
    const plus = new Float32Array(base.length);
    const minus = new Float32Array(base.length);
    for (let k = 0; k < v.length; k++) {
      plus[k] = base[k] + eps * v[k];
      minus[k] = base[k] - eps * v[k];
    }
    const numeric = ((await s(plus)) - (await s(minus))) / (2 * eps);
    const err = Math.abs(numeric - analytic);
    const scale = Math.max(Math.abs(numeric), 1e-3 * gnorm, 1e-6);
    worst = Math.max(worst, err / scale);
    if (err > (opts.rtol ?? 3e-2) * scale)
      throw new Error(`gradient at '${value}' disagrees with finite differences along direction ${d}: analytic ${analytic}, numeric ${numeric}`);
  }
  await cut.release();
  return { directions: n, worstRelErr: worst };
}
