/**
 * The patched forward of Captum's perturbation-style layer methods (integrated gradients, feature ablation): the
 * model with a layer's value(s) replaced by new graph inputs, so that the rest of the network runs from values we
 * choose while everything else still comes from the real inputs.
 *
 * A layer *output* is seen through the replacement by every reader (Captum's forward hook replaces the module's
 * return value). A layer *input* is replaced only where the module's own nodes read it (the forward pre-hook
 * changes the module's arguments; another reader of the same tensor keeps the original).
 */
import type { LoadedModel } from '../../onnx/loadModel';
import type { GraphNode } from '../../onnx/graph';
import { OnnxGraph } from '../../onnx/graph';
import type { ModelProto, NodeProto, ValueInfoProto } from '../../onnx/proto';

export interface Swap {
  value: string;
  /** Only these nodes read the replacement (a layer input); undefined: every reader (a layer output). */
  readers?: GraphNode[];
}

export interface PatchedModel {
  model: LoadedModel;
  /** The new graph inputs, one per swap and in swap order, after the model's own inputs. */
  inputs: string[];
}

export function patchLayers(model: LoadedModel, swaps: Swap[]): PatchedModel {
  const g = model.graph;
  const graph = model.proto.graph!;
  const taken = new Set<string>([...g.producer.keys(), ...g.inputs, ...g.initializers.keys()]);
  const fresh = (base: string) => {
    let name = base;
    for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    return name;
  };
  const protoOf = new Map<GraphNode, NodeProto>(g.nodes.map((n) => [n, { ...n.proto, input: [...(n.proto.input ?? [])], output: [...(n.proto.output ?? [])] }]));
  const newInputs: string[] = [];
  const dropped = new Set<string>();
  for (const swap of swaps) {
    const { value } = swap;
    // A graph input has no producer to redirect: its readers switch to the replacement instead.
    const readers = swap.readers ?? (g.inputs.includes(value) ? (g.consumers.get(value) ?? []).map((c) => c.node) : undefined);
    if (readers) {
      // Only the module's own nodes read the replacement.
      const name = fresh(`${value}::layerlens_patched`);
      for (const n of readers) {
        const p = protoOf.get(n)!;
        p.input = p.input!.map((v) => (v === value ? name : v));
      }
      newInputs.push(name);
    } else {
      // Every reader (and a graph output of that name) sees the replacement: the producer writes elsewhere now.
      const producer = g.producer.get(value);
      if (producer) {
        const p = protoOf.get(producer.node)!;
        p.output = p.output!.map((v) => (v === value ? fresh(`${value}::layerlens_unpatched`) : v));
      }
      dropped.add(value);
      newInputs.push(value);
    }
  }
  const inputInfo = (name: string, like: string): ValueInfoProto => {
    const elemType = g.elemType(like);
    return elemType !== undefined ? { name, type: { tensorType: { elemType } } } : { name };
  };
  const swapped = swaps.map((s) => s.value);
  // Nodes nothing downstream reads any more (the network before a swapped output) are dropped: onnxruntime would
  // still run them on every (tiled) batch.
  const live = new Set<string>((graph.output ?? []).map((o) => o.name ?? ''));
  const kept: NodeProto[] = [];
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const p = protoOf.get(g.nodes[i])!;
    const n = g.nodes[i];
    if (!p.output!.some((o) => o && live.has(o))) continue;
    kept.push(p);
    for (const v of [...p.input!, ...n.implicitInputs]) if (v) live.add(v);
  }
  kept.reverse();
  const proto: ModelProto = {
    ...model.proto,
    graph: {
      ...graph,
      node: kept,
      input: [...(graph.input ?? []).filter((vi) => !dropped.has(vi.name ?? '')), ...newInputs.map((name, i) => inputInfo(name, swapped[i]))],
      valueInfo: (graph.valueInfo ?? []).filter((vi) => !dropped.has(vi.name ?? '')),
    },
  } as ModelProto;
  return { model: { ...model, proto, graph: new OnnxGraph(proto) }, inputs: newInputs };
}
