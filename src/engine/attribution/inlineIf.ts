/**
 * An If whose condition is fixed once the input shapes are (torch exports `squeeze(dim)` on a dimension it could
 * not see as 1, and similar shape checks, this way) is replaced by the branch it takes, so the gradient flows
 * through that branch's ordinary nodes. Branch-local names get a prefix; the If's outputs keep their names.
 * An If that depends on data, or whose branch holds further subgraphs, stays — and the backward builder then
 * refuses it by name.
 */
import type { ProbedValue } from '../autodiff/buildBackward';
import type { LoadedModel } from '../onnx/loadModel';
import { GraphNode, OnnxGraph } from '../onnx/graph';
import { GraphProto, ModelProto, NodeProto, TensorProto } from '../onnx/proto';
import { tensorToNumbers } from '../onnx/tensorData';

function isGraph(v: unknown): v is GraphProto {
  return typeof v === 'object' && v !== null && 'node' in v;
}

/** The If nodes of `candidates` that can be inlined, with their taken branch. */
function takenBranches(g: OnnxGraph, candidates: GraphNode[], probe: Map<string, ProbedValue>): Map<string, GraphProto> {
  const out = new Map<string, GraphProto>();
  for (const n of candidates) {
    if (n.opType !== 'If' || n.domain !== '' || !n.inputs[0] || !g.staticValues.has(n.inputs[0])) continue;
    const init = g.initializers.get(n.inputs[0]);
    const cond = init ? tensorToNumbers(init, n.inputs[0]) : probe.get(n.inputs[0])?.numbers;
    if (!cond || cond.length !== 1) continue;
    const branch = n.attrs.get(cond[0] ? 'then_branch' : 'else_branch');
    if (!isGraph(branch)) continue;
    const nested = (branch.node ?? []).some((b) => (b.attribute ?? []).some((a) => a.g || (a.graphs && a.graphs.length)));
    if (nested || (branch.output ?? []).length !== n.outputs.length) continue;
    out.set(n.name, branch);
  }
  return out;
}

/** `model` with every inlinable If among `candidates` replaced by its taken branch; undefined when none is. */
export function inlineStaticIfs(model: LoadedModel, candidates: GraphNode[], probe: Map<string, ProbedValue>): LoadedModel | undefined {
  const g = model.graph;
  const branches = takenBranches(g, candidates, probe);
  if (!branches.size) return undefined;
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  for (const n of g.nodes) {
    const branch = branches.get(n.name);
    if (!branch) {
      nodes.push(n.proto);
      continue;
    }
    const prefix = `${n.name}/ll_inline/`;
    const local = new Set<string>();
    for (const t of branch.initializer ?? []) if (t.name) local.add(t.name);
    for (const b of branch.node ?? []) for (const o of b.output ?? []) if (o) local.add(o);
    const rename = (v: string) => (v && local.has(v) ? prefix + v : v);
    for (const t of branch.initializer ?? []) inits.push({ ...t, name: rename(t.name ?? '') });
    (branch.node ?? []).forEach((b, i) =>
      nodes.push({ ...b, name: `${prefix}${b.name || `${b.opType}_${i}`}`, input: (b.input ?? []).map(rename), output: (b.output ?? []).map(rename) }),
    );
    (branch.output ?? []).forEach((o, i) => {
      if (n.outputs[i]) nodes.push({ name: `${prefix}output_${i}`, opType: 'Identity', input: [rename(o.name ?? '')], output: [n.outputs[i]] });
    });
  }
  const graph = model.proto.graph!;
  const proto: ModelProto = { ...model.proto, graph: { ...graph, node: nodes, initializer: [...(graph.initializer ?? []), ...inits] } };
  return { ...model, proto, graph: new OnnxGraph(proto) };
}
