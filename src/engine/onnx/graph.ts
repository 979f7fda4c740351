/**
 * A read-only view of an ONNX graph: nodes in topological order, producers and consumers of every value,
 * initializers, value types, and which values are constant-derived or fixed once input shapes are fixed.
 */
import { LayerLensError } from '../errors';
import { inferElemTypes } from './elemTypes';
import {
  AttrValue,
  GraphProto,
  ModelProto,
  NodeProto,
  TensorProto,
  ValueInfoProto,
  attrValue,
  toNum,
} from './proto';

export interface GraphNode {
  /** Position in topological order (also the index in `OnnxGraph.nodes`). */
  index: number;
  /** Position in the file. */
  fileIndex: number;
  /** The node's name, or a synthesized `<OpType>_<fileIndex>` when it has none (or a duplicate). */
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Map<string, AttrValue>;
  proto: NodeProto;
  /** Values of this graph that the node's subgraphs (If/Loop/Scan bodies) read without listing them as inputs. */
  implicitInputs: string[];
}

export interface ValueType {
  elemType?: number;
  /** Static dims: a number, a symbolic name, or null when unknown. Undefined when rank is unknown. */
  dims?: (number | string | null)[];
}

const STATIC_SOURCE_OPS = new Set(['Shape', 'Size', 'Constant', 'ConstantOfShape', 'EyeLike']);

export class OnnxGraph {
  readonly nodes: GraphNode[] = [];
  readonly producer = new Map<string, { node: GraphNode; index: number }>();
  readonly consumers = new Map<string, { node: GraphNode; index: number }[]>();
  readonly initializers = new Map<string, TensorProto>();
  /** Graph inputs that are not initializers: what the user feeds, in order. */
  readonly inputs: string[] = [];
  readonly outputs: string[] = [];
  readonly types = new Map<string, ValueType>();
  /** Initializers, Constant outputs, and node outputs whose inputs are all constant-derived. */
  readonly constantDerived = new Set<string>();
  /** Constant-derived values plus values computed only from shapes: fixed once input shapes are fixed. */
  readonly staticValues = new Set<string>();
  readonly opsets = new Map<string, number>();
  readonly nodeByName = new Map<string, GraphNode>();

  constructor(readonly model: ModelProto) {
    const g = model.graph;
    if (!g) throw new LayerLensError('the model has no graph', 'model-invalid');
    for (const o of model.opsetImport ?? []) this.opsets.set(o.domain || 'ai.onnx', toNum(o.version));
    if (!this.opsets.has('ai.onnx')) {
      // IR 2 models may omit the default-domain import; onnxruntime then assumes opset 1-era semantics.
      this.opsets.set('ai.onnx', model.opsetImport && model.opsetImport.length ? 1 : 1);
    }
    for (const t of g.initializer ?? []) if (t.name) this.initializers.set(t.name, t);
    this.collectTypes(g);
    for (const vi of g.input ?? []) if (vi.name && !this.initializers.has(vi.name)) this.inputs.push(vi.name);
    for (const vi of g.output ?? []) if (vi.name) this.outputs.push(vi.name);
    this.sortNodes(g);
    this.classifyValues();
    inferElemTypes(this);
  }

  get opset(): number {
    return this.opsets.get('ai.onnx') ?? 1;
  }

  opsetOf(domain: string): number | undefined {
    return this.opsets.get(domain || 'ai.onnx');
  }

  type(value: string): ValueType | undefined {
    return this.types.get(value);
  }

  elemType(value: string): number | undefined {
    const init = this.initializers.get(value);
    if (init) return init.dataType ?? undefined;
    return this.types.get(value)?.elemType;
  }

  isConstant(value: string): boolean {
    return this.constantDerived.has(value);
  }

  private collectTypes(g: GraphProto): void {
    const add = (vi: ValueInfoProto) => {
      if (!vi.name) return;
      const tt = vi.type?.tensorType;
      if (!tt) {
        this.types.set(vi.name, {});
        return;
      }
      const vt: ValueType = { elemType: tt.elemType ?? undefined };
      if (tt.shape) {
        vt.dims = (tt.shape.dim ?? []).map((d) => {
          const which = (d as { value?: string }).value;
          if (which === 'dimParam' || d.dimParam) return d.dimParam || null;
          if (toNum(d.dimValue) > 0) return toNum(d.dimValue);
          return null;
        });
      }
      this.types.set(vi.name, vt);
    };
    for (const vi of g.input ?? []) add(vi);
    for (const vi of g.output ?? []) add(vi);
    for (const vi of g.valueInfo ?? []) add(vi);
    for (const t of g.initializer ?? []) {
      if (t.name) this.types.set(t.name, { elemType: t.dataType ?? undefined, dims: (t.dims ?? []).map(toNum) });
    }
  }

  /** Kahn's algorithm, iterative (a 20k-node chain must not overflow), stable in file order. */
  private sortNodes(g: GraphProto): void {
    const protos = g.node ?? [];
    const available = new Set<string>(['']);
    for (const n of this.initializers.keys()) available.add(n);
    for (const vi of g.input ?? []) if (vi.name) available.add(vi.name);

    const producedBy = new Map<string, number>();
    const usedNames = new Set<string>();
    const drafts = protos.map((p, fileIndex) => {
      const opType = p.opType ?? '';
      if (!opType) throw new LayerLensError(`node ${fileIndex} (${p.name || 'unnamed'}) has no op type`, 'model-invalid');
      let name = p.name ?? '';
      if (!name || usedNames.has(name)) name = `${opType}_${fileIndex}`;
      while (usedNames.has(name)) name = `${name}_`;
      usedNames.add(name);
      const attrs = new Map<string, AttrValue>();
      for (const a of p.attribute ?? []) {
        const v = attrValue(a);
        if (a.name && v !== undefined) attrs.set(a.name, v);
      }
      const outputs = [...(p.output ?? [])];
      for (const o of outputs) {
        if (!o) continue;
        if (producedBy.has(o) || available.has(o))
          throw new LayerLensError(`value '${o}' is produced twice (second time by node '${name}')`, 'model-invalid');
        producedBy.set(o, fileIndex);
      }
      // Values a subgraph (If/Loop/Scan body) reads from the enclosing graph are dependencies too.
      const implicit: string[] = [];
      for (const v of attrs.values()) {
        const graphs = isGraph(v) ? [v] : Array.isArray(v) && v.length && isGraph(v[0]) ? (v as GraphProto[]) : [];
        for (const sub of graphs) implicit.push(...outerReferences(sub));
      }
      return {
        fileIndex,
        name,
        opType,
        domain: p.domain ?? '',
        inputs: [...(p.input ?? [])],
        outputs,
        attrs,
        proto: p,
        implicit,
        deps: [...(p.input ?? []), ...implicit],
      };
    });

    const pending = new Array<number>(drafts.length).fill(0);
    const waiting = new Map<string, number[]>();
    const ready: number[] = [];
    drafts.forEach((d, i) => {
      const missing = new Set<string>();
      for (const v of d.deps) {
        if (available.has(v)) continue;
        if (!producedBy.has(v)) {
          if (d.inputs.includes(v))
            throw new LayerLensError(`node '${d.name}' (${d.opType}) reads '${v}', which nothing produces`, 'model-invalid');
          continue; // an outer reference of a subgraph that is local to it after all
        }
        missing.add(v);
      }
      pending[i] = missing.size;
      for (const v of missing) {
        const list = waiting.get(v);
        if (list) list.push(i);
        else waiting.set(v, [i]);
      }
      if (missing.size === 0) ready.push(i);
    });
    // A min-heap would keep file order exactly; a sorted queue of ready indices is enough here.
    let head = 0;
    const order: number[] = [];
    while (head < ready.length) {
      const i = ready[head++];
      order.push(i);
      for (const o of drafts[i].outputs) {
        if (!o) continue;
        for (const j of waiting.get(o) ?? []) if (--pending[j] === 0) ready.push(j);
      }
    }
    if (order.length !== drafts.length) {
      const stuck = drafts.find((_, i) => pending[i] > 0);
      throw new LayerLensError(
        `the graph has a cycle (or an unresolvable dependency) through node '${stuck?.name}' (${stuck?.opType})`,
        'model-invalid',
      );
    }
    for (const i of order) {
      const d = drafts[i];
      const node: GraphNode = {
        index: this.nodes.length,
        fileIndex: d.fileIndex,
        name: d.name,
        opType: d.opType,
        domain: d.domain === 'ai.onnx' ? '' : d.domain,
        inputs: d.inputs,
        outputs: d.outputs,
        attrs: d.attrs,
        proto: d.proto,
        implicitInputs: d.implicit.filter((v) => producedBy.has(v) || available.has(v)),
      };
      this.nodes.push(node);
      this.nodeByName.set(node.name, node);
      node.outputs.forEach((o, index) => {
        if (o) this.producer.set(o, { node, index });
      });
      node.inputs.forEach((v, index) => {
        if (!v) return;
        const list = this.consumers.get(v);
        if (list) list.push({ node, index });
        else this.consumers.set(v, [{ node, index }]);
      });
    }
  }

  private classifyValues(): void {
    for (const n of this.initializers.keys()) {
      this.constantDerived.add(n);
      this.staticValues.add(n);
    }
    for (const node of this.nodes) {
      const ins = node.inputs.filter((v) => v);
      const hasSubgraph = [...node.attrs.values()].some((v) => isGraph(v) || (Array.isArray(v) && v.length > 0 && isGraph(v[0])));
      const constant = !hasSubgraph && (node.opType === 'Constant' || (ins.length > 0 && ins.every((v) => this.constantDerived.has(v))));
      const isStatic =
        !hasSubgraph &&
        (constant ||
          STATIC_SOURCE_OPS.has(node.opType) && node.domain === '' ||
          (ins.length > 0 && ins.every((v) => this.staticValues.has(v))));
      for (const o of node.outputs) {
        if (!o) continue;
        if (constant) this.constantDerived.add(o);
        if (isStatic) this.staticValues.add(o);
      }
    }
  }
}

function isGraph(v: unknown): v is GraphProto {
  return typeof v === 'object' && v !== null && 'node' in v && Array.isArray((v as GraphProto).node);
}

/** Names a subgraph reads without defining them itself (iterative walk over nested subgraphs). */
function outerReferences(root: GraphProto): string[] {
  const refs = new Set<string>();
  const stack: { g: GraphProto; outerDefined: Set<string> }[] = [{ g: root, outerDefined: new Set() }];
  while (stack.length) {
    const { g, outerDefined } = stack.pop()!;
    const defined = new Set(outerDefined);
    for (const t of g.initializer ?? []) if (t.name) defined.add(t.name);
    for (const vi of g.input ?? []) if (vi.name) defined.add(vi.name);
    for (const n of g.node ?? []) for (const o of n.output ?? []) if (o) defined.add(o);
    for (const n of g.node ?? []) {
      for (const i of n.input ?? []) if (i && !defined.has(i)) refs.add(i);
      for (const a of n.attribute ?? []) {
        if (a.g) stack.push({ g: a.g, outerDefined: defined });
        for (const sg of a.graphs ?? []) stack.push({ g: sg, outerDefined: defined });
      }
    }
    for (const o of g.output ?? []) if (o.name && !defined.has(o.name)) refs.add(o.name);
  }
  return [...refs];
}
