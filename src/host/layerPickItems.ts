/** The rows of the "Explain Layer" layer quick pick: one per layer, nested modules indented (no `vscode` here). */
import type { LayerEntry, ValueSummary } from '../engine/onnx/layerTree';

export interface LayerPickItem {
  id: string;
  label: string;
  description: string;
}

/**
 * Whether a node adds nothing to the list: it is its module's only child, so the module's row already is that
 * node (`conv1` and `node:/conv1/Conv` attribute to the same tensor). A module's other nodes — a block's residual
 * Add, each call of a module called twice — stay: they are layers of their own.
 */
function isModulesOnlyNode(l: LayerEntry, byId: ReadonlyMap<string, LayerEntry>): boolean {
  if (l.kind !== 'node' || !l.parent) return false;
  const parent = byId.get(l.parent);
  return parent?.kind === 'module' && parent.children.length === 1 && parent.children[0] === l.id;
}

/** Depth-first, in the tree's (network) order, with depths for indentation. */
export function layerPickItems(layers: LayerEntry[], roots: string[], values: ValueSummary[]): LayerPickItem[] {
  const byId = new Map(layers.map((l) => [l.id, l]));
  const shapes = new Map(values.map((v) => [v.name, v.shape ? `[${v.shape.map((d) => d ?? '?').join('×')}]` : '']));
  const out: LayerPickItem[] = [];
  const stack: [string, number][] = [...roots].reverse().map((id) => [id, 0]);
  while (stack.length) {
    const [id, depth] = stack.pop()!;
    const l = byId.get(id);
    if (!l || isModulesOnlyNode(l, byId)) continue;
    const shape = l.outputs.map((v) => shapes.get(v) ?? '').filter(Boolean).join(' ');
    out.push({
      id: l.id,
      label: `${'\u2003'.repeat(Math.min(depth, 8))}$(${l.kind === 'module' ? 'symbol-class' : 'symbol-method'}) ${l.id}`,
      description: `${l.opTypes.slice(0, 4).join(', ')}${l.opTypes.length > 4 ? ', …' : ''}${shape ? `  → ${shape}` : ''}`,
    });
    for (let i = l.children.length - 1; i >= 0; i--) stack.push([l.children[i], depth + 1]);
  }
  return out;
}
