/**
 * Path pruning: only nodes on a path from a layer tensor to the target output get VJPs. Gradients travel
 * through float values only, so `Shape`, `Size`, comparisons, integer casts and index inputs are stop edges.
 */
import { LayerLensError } from '../errors';
import type { GraphNode, OnnxGraph } from '../onnx/graph';
import { isFloatElemType } from '../onnx/proto';

export interface GradientPath {
  /** Nodes to differentiate, in forward topological order. */
  nodes: GraphNode[];
  /** Float values that depend on a layer tensor and reach the output. */
  requiresGrad: Set<string>;
  /** Every non-initializer value a node on the path reads or writes (whose shapes the builder needs). */
  touched: Set<string>;
}

export function findGradientPath(g: OnnxGraph, activations: string[], output: string): GradientPath {
  // A value of unknown type (an op of another domain, say) may carry a gradient: keeping it on the path makes an
  // op without a rule an error by name, where dropping it would silently lose that part of the gradient.
  const isFloat = (v: string) => {
    const t = g.elemType(v);
    return t === undefined ? !g.isConstant(v) : isFloatElemType(t);
  };
  // Forward: float values reachable from the activations.
  // A subgraph's reads of outer values are inputs too (an If branch computing on the layer's tensor).
  const reads = (n: GraphNode) => (n.implicitInputs.length ? [...n.inputs, ...n.implicitInputs] : n.inputs);
  const forward = new Set<string>(activations);
  for (const node of g.nodes) {
    if (!reads(node).some((v) => v && forward.has(v))) continue;
    for (const o of node.outputs) if (o && isFloat(o)) forward.add(o);
  }
  // Backward: values the output depends on (through any node).
  const ancestors = new Set<string>([output]);
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const node = g.nodes[i];
    if (!node.outputs.some((o) => o && ancestors.has(o))) continue;
    for (const v of reads(node)) if (v) ancestors.add(v);
  }
  const requiresGrad = new Set<string>();
  for (const v of forward) if (ancestors.has(v) && isFloat(v)) requiresGrad.add(v);
  const nodes = g.nodes.filter(
    (n) => reads(n).some((v) => v && requiresGrad.has(v)) && n.outputs.some((o) => o && requiresGrad.has(o)),
  );
  for (const a of activations) {
    if (!requiresGrad.has(a))
      throw new LayerLensError(
        `tensor '${a}' does not influence output '${output}', so its gradient is undefined (Captum raises here too)`,
        'unknown-layer',
      );
  }
  const touched = new Set<string>();
  for (const n of nodes) for (const v of [...n.inputs, ...n.outputs]) if (v && !g.initializers.has(v)) touched.add(v);
  for (const a of activations) touched.add(a);
  touched.add(output);
  return { nodes, requiresGrad, touched };
}
