// A synthetic 20,000-node ONNX model with PyTorch-style module scopes, for timing the layer tree.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { engine, median, round, timeIt } from './lib.mjs';

const SUBMODULES = ['norm1', 'attn/q_proj', 'attn/k_proj', 'attn/v_proj', 'attn/out_proj', 'norm2', 'mlp/fc1', 'mlp/act', 'mlp/fc2', 'drop'];
const OPS = ['Add', 'Relu', 'Mul', 'Sigmoid'];

/** `layers` × SUBMODULES.length × `perModule` nodes, chained, on a [1, 16] float tensor. */
export function syntheticModel(E, { layers = 200, perModule = 10 } = {}) {
  const { ElemType } = E;
  const nodes = [];
  let prev = 'input';
  let id = 0;
  for (let l = 0; l < layers; l++) {
    for (const sub of SUBMODULES) {
      const seen = new Map();
      for (let k = 0; k < perModule; k++) {
        const op = OPS[(id + k) % OPS.length];
        const n = seen.get(op) ?? 0;
        seen.set(op, n + 1);
        const name = `/encoder/layers.${l}/${sub}/${n ? `${op}_${n}` : op}`;
        const out = `${name}_output_0`;
        const inputs = op === 'Add' || op === 'Mul' ? [prev, 'c'] : [prev];
        nodes.push({ name, opType: op, input: inputs, output: [out] });
        prev = out;
      }
      id++;
    }
  }
  nodes.push({ name: '/head/Identity', opType: 'Identity', input: [prev], output: ['logits'] });
  const vi = (name) => ({ name, type: { tensorType: { elemType: ElemType.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: 16 }] } } } });
  const c = new Float32Array(16).fill(0.5);
  return {
    irVersion: 8,
    producerName: 'layerlens-bench',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'synthetic',
      node: nodes,
      input: [vi('input')],
      output: [vi('logits')],
      initializer: [{ name: 'c', dataType: ElemType.FLOAT, dims: [16], rawData: new Uint8Array(c.buffer) }],
    },
  };
}

/** Writes the model, then times loadModel and `new LayerTree(graph)` (median of `reps`). */
export async function benchLayerTree({ dir, reps = 5, log = () => undefined } = {}) {
  const E = engine();
  const proto = syntheticModel(E);
  const nodeCount = proto.graph.node.length;
  const { ms: encodeMs, r: bytes } = await timeIt(() => E.encodeModel(proto));
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'synthetic-20k.onnx');
  fs.writeFileSync(file, bytes);
  const loads = [];
  const trees = [];
  let size = 0;
  let model;
  for (let i = 0; i < reps; i++) {
    const l = await timeIt(() => E.loadModel(file));
    loads.push(l.ms);
    model = l.r;
    const t = await timeIt(() => new E.LayerTree(model.graph));
    trees.push(t.ms);
    size = t.r.size;
  }
  // A module lookup as the tree view does it (resolves the activations of one layer).
  const tree = new E.LayerTree(model.graph);
  const { ms: lookupMs } = await timeIt(() => tree.activations('encoder.layers.100', false));
  const res = {
    nodes: nodeCount,
    bytes: bytes.length,
    entries: size,
    encodeMs: round(encodeMs),
    loadModelMs: round(median(loads)),
    layerTreeMs: round(median(trees)),
    layerTreeAllMs: trees.map((v) => round(v)),
    lookupMs: round(lookupMs, 3),
  };
  log(`layer tree: ${nodeCount} nodes → ${size} entries, loadModel ${res.loadModelMs} ms, new LayerTree ${res.layerTreeMs} ms`);
  return res;
}
