/**
 * The layer tree: the module hierarchy recovered from node-name scopes (PyTorch's `/a/b.0/c/Op_n`, or
 * `a/b/op` from other exporters), plus one entry per node. Layer ids are module paths (`layer1.0.conv1`),
 * `node:<ONNX node name>` or `value:<value name>`.
 */
import { LayerLensError } from '../errors';
import type { GraphNode, OnnxGraph } from './graph';
import { elemTypeName, isFloatElemType } from './proto';
import { tensorElementCount } from './tensorData';

export interface LayerEntry {
  id: string;
  /** Short name for display (last path component, or the node name). */
  label: string;
  kind: 'module' | 'node';
  parent?: string;
  children: string[];
  /** Op types of the nodes in the (last) invocation, in order, de-duplicated. */
  opTypes: string[];
  /** Float activations the layer returns (last invocation). */
  outputs: string[];
  /** Float, non-constant activations the layer is called with (last invocation). */
  inputs: string[];
  /** How many times the module was called; attributions use the last call (as Captum's hook does). */
  invocations: number;
  nodeCount: number;
  paramCount: number;
}

export interface ValueSummary {
  name: string;
  dtype: string;
  shape?: (number | string | null)[];
}

interface Invocation {
  nodes: GraphNode[];
}

/** Splits a node name into (module base name, call index) scope components; null when unscoped. */
function scopeComponents(name: string): { base: string; call: number }[] | null {
  if (!name.includes('/')) return null;
  const torchStyle = name.startsWith('/');
  const parts = name.split('/');
  const comps = torchStyle ? parts.slice(1, -1) : parts.slice(0, -1);
  if (!comps.length || comps.some((c) => c === '')) return null;
  return comps.map((c) => {
    if (!torchStyle) return { base: c, call: 0 };
    const m = /^(.*)_(\d+)$/.exec(c);
    return m && m[1] ? { base: m[1], call: Number(m[2]) } : { base: c, call: 0 };
  });
}

/** The README rule: Sequential children extend their container's path; other scopes nest with a dot. */
function modulePaths(comps: { base: string; call: number }[]): { path: string; call: number }[] {
  const out: { path: string; call: number }[] = [];
  let path = '';
  let prev: string | null = null;
  for (const { base, call } of comps) {
    const rest = prev !== null && base.startsWith(prev + '.') ? base.slice(prev.length) : null;
    if (rest !== null && /^(\.\d+)+$/.test(rest)) path = path + rest;
    else path = path === '' ? base : `${path}.${base}`;
    out.push({ path, call });
    prev = base;
  }
  return out;
}

export class LayerTree {
  readonly entries = new Map<string, LayerEntry>();
  readonly roots: string[] = [];
  private readonly invocations = new Map<string, Map<number, Invocation>>();
  /** Ids resolved by taking scope names literally (null: tried, nothing there). */
  private readonly literal = new Map<string, LayerEntry | null>();

  constructor(readonly graph: OnnxGraph) {
    this.build();
  }

  get size(): number {
    return this.entries.size;
  }

  get(id: string): LayerEntry | undefined {
    return this.resolveEntry(id);
  }

  /** The activation tensors behind a layer id (output or input side), float only. */
  activations(id: string, layerInput: boolean): string[] {
    const g = this.graph;
    if (id.startsWith('value:')) {
      const v = id.slice('value:'.length);
      if (!g.producer.has(v) && !g.inputs.includes(v) && !g.initializers.has(v))
        throw new LayerLensError(`unknown layer '${id}': the model has no value named '${v}'`, 'unknown-layer');
      if (!isFloatElemType(g.elemType(v)))
        throw new LayerLensError(`value '${v}' is ${elemTypeName(g.elemType(v))}, not a float tensor; it has no gradient`, 'unknown-layer');
      return [v];
    }
    const entry = this.resolveEntry(id);
    if (!entry) throw this.unknown(id);
    const vals = layerInput ? entry.inputs : entry.outputs;
    if (!vals.length)
      throw new LayerLensError(
        `layer '${id}' has no float ${layerInput ? 'inputs' : 'outputs'} to attribute to${layerInput ? ' (its inputs are integer ids or constants)' : ''}`,
        'unknown-layer',
      );
    return vals;
  }

  describeValue(v: string): ValueSummary {
    const t = this.graph.type(v);
    return { name: v, dtype: elemTypeName(this.graph.elemType(v)), shape: t?.dims };
  }

  private resolveEntry(id: string): LayerEntry | undefined {
    return this.entries.get(id) ?? this.literalEntry(id);
  }

  /**
   * PyTorch's scope suffix `_<n>` marks the n-th call of a module, but a module may also be *named* `ln_1`
   * (GPT-2's `ln_1`, `ln_2`): the rule then files both under `ln`, called twice. An id the rule does not know is
   * tried once more with every scope component taken literally (all nodes under that literal scope).
   */
  private literalEntry(id: string): LayerEntry | undefined {
    const cached = this.literal.get(id);
    if (cached !== undefined) return cached ?? undefined;
    const nodes = this.literalNodes(id);
    if (!nodes.length) {
      this.literal.set(id, null);
      return undefined;
    }
    const entry: LayerEntry = {
      id,
      label: id.split('.').pop() ?? id,
      kind: 'module',
      children: [],
      opTypes: uniq(nodes.map((n) => n.opType)),
      outputs: [],
      inputs: [],
      invocations: 1,
      nodeCount: nodes.length,
      paramCount: 0,
    };
    this.fillBoundary(entry, nodes);
    this.literal.set(id, entry);
    return entry;
  }

  private literalNodes(id: string): GraphNode[] {
    return this.graph.nodes.filter((n) => {
      if (!n.name.startsWith('/')) return false;
      const raw = n.name.split('/').slice(1, -1);
      if (!raw.length || raw.some((c) => c === '')) return false;
      return modulePaths(raw.map((base) => ({ base, call: 0 }))).some((p) => p.path === id);
    });
  }

  /**
   * The nodes of a layer's last call: where Captum's hook swaps a module's *inputs* (other readers of the same
   * value keep the original). Undefined for `value:` ids, whose every reader counts.
   */
  nodesOf(id: string): GraphNode[] | undefined {
    if (id.startsWith('value:')) return undefined;
    if (!this.resolveEntry(id)) throw this.unknown(id);
    if (id.startsWith('node:')) {
      const node = this.graph.nodes.find((n) => `node:${n.name}` === id);
      return node ? [node] : undefined;
    }
    const calls = this.invocations.get(id);
    return calls ? calls.get(Math.max(...calls.keys()))!.nodes : this.literalNodes(id);
  }

  private unknown(id: string): LayerLensError {
    const near = [...this.entries.keys()].filter((k) => k.endsWith(id) || id.endsWith(k.replace(/^node:/, ''))).slice(0, 3);
    const hint = near.length ? `; did you mean ${near.map((n) => `'${n}'`).join(', ')}?` : `; run 'layerlens layers' to list them`;
    return new LayerLensError(`unknown layer '${id}'${hint}`, 'unknown-layer');
  }

  private build(): void {
    const g = this.graph;
    for (const node of g.nodes) {
      const comps = scopeComponents(node.name);
      if (!comps) continue;
      for (const { path, call } of modulePaths(comps)) {
        let calls = this.invocations.get(path);
        if (!calls) this.invocations.set(path, (calls = new Map()));
        let inv = calls.get(call);
        if (!inv) calls.set(call, (inv = { nodes: [] }));
        inv.nodes.push(node);
      }
    }
    // Modules, parents before children (a parent path is a prefix of the child's module path list).
    const modules = [...this.invocations.keys()];
    const parentOf = new Map<string, string | undefined>();
    for (const node of g.nodes) {
      const comps = scopeComponents(node.name);
      if (!comps) continue;
      const paths = modulePaths(comps).map((p) => p.path);
      paths.forEach((p, i) => {
        if (!parentOf.has(p)) parentOf.set(p, i > 0 ? paths[i - 1] : undefined);
      });
    }
    for (const path of modules) {
      const calls = this.invocations.get(path)!;
      const last = Math.max(...calls.keys());
      const inv = calls.get(last)!;
      const parent = parentOf.get(path);
      const entry: LayerEntry = {
        id: path,
        label: parent ? path.slice(parent.length).replace(/^\./, '') : path,
        kind: 'module',
        parent,
        children: [],
        // Constants and shape arithmetic say nothing about what the module computes.
        opTypes: uniq(inv.nodes.filter((n) => n.outputs.some((o) => o && !g.isConstant(o) && isFloatElemType(g.elemType(o)))).map((n) => n.opType)),
        outputs: [],
        inputs: [],
        invocations: calls.size,
        nodeCount: inv.nodes.length,
        paramCount: 0,
      };
      this.fillBoundary(entry, inv.nodes);
      this.entries.set(path, entry);
    }
    for (const e of this.entries.values()) {
      if (e.parent && this.entries.has(e.parent)) this.entries.get(e.parent)!.children.push(e.id);
      else this.roots.push(e.id);
    }
    // One entry per node, under the innermost module of its scope (last call wins for display too).
    for (const node of g.nodes) {
      const comps = scopeComponents(node.name);
      const owner = comps ? modulePaths(comps).at(-1)!.path : undefined;
      const id = `node:${node.name}`;
      const entry: LayerEntry = {
        id,
        label: node.name.split('/').pop() || node.name,
        kind: 'node',
        parent: owner,
        children: [],
        opTypes: [node.opType],
        outputs: [],
        inputs: [],
        invocations: 1,
        nodeCount: 1,
        paramCount: 0,
      };
      this.fillBoundary(entry, [node], true);
      this.entries.set(id, entry);
      // Constants and shape arithmetic stay addressable by id but are not listed: nothing to attribute there.
      if (!entry.outputs.length) continue;
      if (owner && this.entries.has(owner)) this.entries.get(owner)!.children.push(id);
      else this.roots.push(id);
    }
    this.sortInNetworkOrder();
  }

  /**
   * Siblings in the order the network computes them: by each entry's first compute node in the file. Exporters
   * hoist Constant nodes to the top of the file (torch puts a module's constants before everything else), so
   * the first node of any kind would list `features.5` before `features.2`; shape arithmetic is passed over too.
   */
  private sortInNetworkOrder(): void {
    const g = this.graph;
    const rank = (n: GraphNode) => {
      const outs = n.outputs.filter((o) => o);
      if (n.opType !== 'Constant' && outs.some((o) => !g.staticValues.has(o))) return 0;
      return outs.some((o) => !g.isConstant(o)) ? 1 : 2;
    };
    // Per id: the best (rank, fileIndex) over its nodes, every call included.
    const first = new Map<string, [number, number]>();
    const note = (id: string, key: [number, number]) => {
      const cur = first.get(id);
      if (!cur || key[0] < cur[0] || (key[0] === cur[0] && key[1] < cur[1])) first.set(id, key);
    };
    for (const node of g.nodes) {
      const key: [number, number] = [rank(node), node.fileIndex];
      note(`node:${node.name}`, [0, node.fileIndex]);
      const comps = scopeComponents(node.name);
      if (comps) for (const { path } of modulePaths(comps)) note(path, key);
    }
    const position = (id: string) => first.get(id)?.[1] ?? Number.MAX_SAFE_INTEGER;
    const byPosition = (a: string, b: string) => position(a) - position(b);
    this.roots.sort(byPosition);
    for (const e of this.entries.values()) e.children.sort(byPosition);
  }

  private fillBoundary(entry: LayerEntry, nodes: GraphNode[], single = false): void {
    const g = this.graph;
    const inSet = new Set(nodes);
    const produced = new Set<string>();
    for (const n of nodes) for (const o of n.outputs) if (o) produced.add(o);
    const graphOutputs = new Set(g.outputs);
    const isFloat = (v: string) => isFloatElemType(g.elemType(v));
    const byFile = [...nodes].sort((a, b) => a.fileIndex - b.fileIndex);
    for (const n of byFile) {
      n.outputs.forEach((o) => {
        if (!o || !isFloat(o)) return;
        const leaves = single || graphOutputs.has(o) || (g.consumers.get(o) ?? []).some((c) => !inSet.has(c.node));
        if (leaves && !g.isConstant(o)) entry.outputs.push(o);
      });
    }
    const seen = new Set<string>();
    const params = new Set<string>();
    for (const n of byFile) {
      for (const v of n.inputs) {
        if (!v || produced.has(v) || seen.has(v)) continue;
        seen.add(v);
        if (g.initializers.has(v)) {
          if (isFloat(v)) params.add(v);
          continue;
        }
        if (g.isConstant(v) || !isFloat(v)) continue;
        entry.inputs.push(v);
      }
    }
    for (const p of params) entry.paramCount += tensorElementCount(g.initializers.get(p)!);
  }
}

function uniq<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}
