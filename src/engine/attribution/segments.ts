/**
 * Single-tensor cuts: values every path from the graph inputs to an output passes through (a ResNet block's output,
 * a transformer block's residual stream, a VGG stage). Between two cuts lies a segment that can be run and
 * differentiated on its own — the model from one cut to the next — so a backward pass can be split there and
 * chained: the gradient at a cut is the seed of the segment before it.
 *
 * Cuts are found by liveness in topological order: after node i runs, a value is live when it was computed (or fed)
 * at or before i and is read after i (or is the output). A value computed by node i that is the only live value
 * after it is a cut. Constants do not count (a segment computes its own); shape computations that read the inputs do.
 */
import type { LoadedModel } from '../onnx/loadModel';
import { OnnxGraph } from '../onnx/graph';
import type { ModelProto, NodeProto, ValueInfoProto } from '../onnx/proto';

/** Cuts between the graph inputs and `output`, in network order (neither a graph input nor the output itself). */
export function findCuts(g: OnnxGraph, output: string): string[] {
  if (!g.producer.has(output)) return [];
  // Nodes the output depends on.
  const needed = new Set<number>();
  const stack = [output];
  const seen = new Set<string>();
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    const p = g.producer.get(v)?.node;
    if (!p || needed.has(p.index)) continue;
    needed.add(p.index);
    for (const u of [...p.inputs, ...p.implicitInputs]) if (u) stack.push(u);
  }
  const dynamic = (v: string) => !!v && !g.constantDerived.has(v) && !g.initializers.has(v);
  // lastUse[v]: the last needed node reading v (Infinity for the output).
  const lastUse = new Map<string, number>([[output, Infinity]]);
  for (const i of needed) {
    const n = g.nodes[i];
    for (const u of [...n.inputs, ...n.implicitInputs]) if (dynamic(u)) lastUse.set(u, Math.max(lastUse.get(u) ?? -1, i));
  }
  const count = g.nodes.length;
  const diff = new Int32Array(count + 1);
  for (const [v, last] of lastUse) {
    const def = g.producer.get(v)?.node.index ?? -1;
    diff[Math.max(0, def)]++;
    if (Number.isFinite(last) && last <= count) diff[last]--;
  }
  const cuts: string[] = [];
  let live = 0;
  for (let i = 0; i < count; i++) {
    live += diff[i];
    if (!needed.has(i) || live !== 1) continue;
    const outs = g.nodes[i].outputs.filter((v) => v && lastUse.has(v) && v !== output);
    if (outs.length === 1 && (lastUse.get(outs[0]) ?? -1) > i) cuts.push(outs[0]);
  }
  return cuts;
}

/**
 * The part of `model` that computes `to` from `from` (graph inputs of the new model; every other value `to` needs
 * must be constant), with the original value names, initializers and opsets: a model onnxruntime runs on its own.
 */
export function segmentModel(model: LoadedModel, from: string[], to: string): LoadedModel {
  const g = model.graph;
  const graph = model.proto.graph!;
  const stop = new Set(from);
  const keep = new Set<number>();
  const used = new Set<string>();
  const stack = [to];
  while (stack.length) {
    const v = stack.pop()!;
    if (used.has(v)) continue;
    used.add(v);
    if (stop.has(v)) continue;
    const p = g.producer.get(v)?.node;
    if (!p) continue; // an initializer (kept below) or a graph input (refused below)
    if (keep.has(p.index)) continue;
    keep.add(p.index);
    for (const u of [...p.inputs, ...p.implicitInputs]) if (u) stack.push(u);
  }
  const stray = [...used].filter((v) => g.inputs.includes(v) && !stop.has(v));
  if (stray.length) throw new Error(`segment ${from.join(', ')} → ${to} also reads graph input(s) ${stray.join(', ')}`);
  const nodes: NodeProto[] = [...keep].sort((a, b) => a - b).map((i) => g.nodes[i].proto);
  const info = (name: string): ValueInfoProto => {
    const t = g.type(name);
    const elemType = g.elemType(name);
    return {
      name,
      type: {
        tensorType: {
          ...(elemType !== undefined ? { elemType } : {}),
          ...(t?.dims ? { shape: { dim: t.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {})) } } : {}),
        },
      },
    };
  };
  const proto: ModelProto = {
    ...model.proto,
    graph: {
      ...graph,
      name: `${graph.name ?? 'graph'}:${to}`,
      node: nodes,
      initializer: (graph.initializer ?? []).filter((t) => used.has(t.name ?? '')),
      sparseInitializer: (graph.sparseInitializer ?? []).filter((t) => used.has(t.values?.name ?? '')),
      input: from.map(info),
      output: [info(to)],
      valueInfo: (graph.valueInfo ?? []).filter((vi) => used.has(vi.name ?? '') && !stop.has(vi.name ?? '') && vi.name !== to),
    },
  } as ModelProto;
  return { ...model, proto, graph: new OnnxGraph(proto) };
}
