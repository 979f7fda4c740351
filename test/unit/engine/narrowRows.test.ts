/**
 * Row narrowing (src/engine/attribution/narrowRows.ts): a graph read only at some rows computes those rows
 * only. Checked three ways: a tiny ViT classifier exported by PyTorch against PyTorch autograd references
 * (test/data/vit_cls/make.py), every move rule on small graphs (narrowed and unnarrowed compilations give the
 * same output and the same gradient, and the rule really moved the Gather), and the cases that must not move.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { compileAttribution, probeValues } from '../../../src/engine/attribution/compile';
import { MOVE_RULES, narrowRows } from '../../../src/engine/attribution/narrowRows';
import { findGradientPath } from '../../../src/engine/autodiff/paths';
import { ModelSession } from '../../../src/engine/modelSession';
import { OnnxGraph } from '../../../src/engine/onnx/graph';
import { LayerTree } from '../../../src/engine/onnx/layerTree';
import type { LoadedModel } from '../../../src/engine/onnx/loadModel';
import { loadModel } from '../../../src/engine/onnx/loadModel';
import { ElemType, ModelProto, NodeProto, attr } from '../../../src/engine/onnx/proto';
import { makeTensor } from '../../../src/engine/onnx/tensorData';
import { fromOrt, toOrt } from '../../../src/engine/runtime/tensors';
import type { HostTensor } from '../../../src/engine/tensor/hostTensor';
import { readNpy } from '../../../src/engine/tensor/npy';
import { REPO_ROOT, matchesReference } from '../../support/fixtures';
import { rng } from '../../support/gradcheck';

const VIT = path.join(REPO_ROOT, 'test', 'data', 'vit_cls');

describe('row narrowing: tiny ViT exported by PyTorch, against PyTorch autograd', () => {
  // blocks.0 sits before the narrowed block; the others are inside it (kept whole, narrowing stops there).
  for (const layer of ['blocks.0', 'blocks.1.attn.proj', 'blocks.1.mlp.fc1', 'blocks.1.norm2', 'norm']) {
    test(`${layer}, per-example targets [3, 1]`, async () => {
      const s = await ModelSession.open(path.join(VIT, 'vit_cls.onnx'));
      try {
        const x = await readNpy(path.join(VIT, 'x.npy'));
        const r = await s.attribute({ layers: [layer], inputs: [x], target: { kind: 'perExample', indices: [3, 1] }, threads: 1 });
        const cmp = await matchesReference(r.attributions[0][0], path.join(VIT, `ref_${layer}.npy`));
        assert.ok(cmp.ok, cmp.message);
      } finally {
        await s.dispose();
      }
    });
  }

  test('the last block is narrowed for blocks.0 (MLP, projection, attention rows), not for the final norm', async () => {
    const model = await loadModel(path.join(VIT, 'vit_cls.onnx'));
    const x = await readNpy(path.join(VIT, 'x.npy'));
    const compiled = async (layer: string) => {
      const acts = new LayerTree(model.graph).activations(layer, false);
      const c = await compileAttribution(model, acts, 'logits', [x], { provider: 'cpu', threads: 1 });
      await c.dispose();
      return c.narrowedNodes;
    };
    // LayerNorm, residual Add, fc2 (MatMul, bias), GELU (5 nodes), fc1 (MatMul, bias), norm2, residual Add,
    // proj (MatMul, bias), Reshape, Transpose, attention MatMul, Softmax, scale Mul, scores MatMul, …
    assert.ok((await compiled('blocks.0')) >= 18, 'blocks.0');
    assert.equal(await compiled('norm'), 0, 'the final norm is the layer itself: it stays whole');
  });
});

// ------------------------------------------------------------------------------------------- rule by rule

const F = ElemType.FLOAT;
const I64 = ElemType.INT64;

interface Case {
  name: string;
  opset?: number;
  /** Input x dims; the op reads h = Tanh(x) (so the op's input is computed, not a graph input). */
  x: number[];
  /** Nodes from 'h' to 'v'; constants by name. */
  nodes: NodeProto[];
  consts?: Record<string, { dims: number[]; values?: number[]; int?: boolean; bool?: boolean }>;
  /** The row Gather on v. */
  axis: number;
  indices: number[] | number;
  /** Whether the Gather must move above the op producing v. */
  moves: boolean;
  /** Extra consumers or keeps: names kept whole besides x and y. */
  keep?: string[];
  /** Replace the single Gather with custom reader nodes (must produce 'y'). */
  readers?: NodeProto[];
}

const n = (opType: string, input: string[], output: string[], attribute: NodeProto['attribute'] = []): NodeProto => ({ name: `${opType}_${output[0]}`, opType, input, output, attribute });

function buildCase(c: Case): ModelProto {
  const r = rng(7);
  const initializer = Object.entries(c.consts ?? {}).map(([name, t]) => {
    const size = t.dims.reduce((a, b) => a * b, 1);
    const values = t.values ?? Array.from({ length: size }, () => r() * 2 - 1);
    return makeTensor(name, t.int ? I64 : t.bool ? ElemType.BOOL : F, t.dims, values);
  });
  const idx = typeof c.indices === 'number' ? makeTensor('idx', I64, [], [c.indices]) : makeTensor('idx', I64, [c.indices.length], c.indices);
  const readers = c.readers ?? [n('Gather', ['v', 'idx'], ['g'], [attr.int('axis', c.axis)]), n('Mul', ['g', 'two'], ['y'])];
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: c.opset ?? 17 }],
    graph: {
      name: c.name,
      node: [n('Tanh', ['x'], ['h']), ...c.nodes, ...readers],
      initializer: [...initializer, idx, makeTensor('two', F, [], [2])],
      input: [{ name: 'x', type: { tensorType: { elemType: F, shape: { dim: c.x.map((d) => ({ dimValue: d })) } } } }],
      output: [{ name: 'y' }],
    },
  };
}

async function vjp(model: LoadedModel, x: HostTensor, wrt: string, narrow: boolean) {
  const c = await compileAttribution(model, [wrt], 'y', [x], { provider: 'cpu', threads: 1 }, undefined, { narrow });
  try {
    const feeds = { x: toOrt(x) };
    const fw = await c.forward.session.run(feeds, c.forwardOutputs);
    const y = fw.y;
    const r = rng(3);
    const seed = new ort.Tensor('float32', Float32Array.from({ length: y.size }, () => r() * 2 - 1), y.dims);
    const bwFeeds: Record<string, ort.Tensor> = { [c.seedName]: seed };
    for (const v of c.backwardForwardFeeds) bwFeeds[v] = fw[v];
    for (const v of c.backwardInputFeeds) bwFeeds[v] = feeds[v as 'x'];
    const bw = await c.backward.session.run(bwFeeds, c.gradOutputs);
    return { y: fromOrt(y), grad: fromOrt(bw[c.gradOutputs[0]]), narrowed: c.narrowedNodes };
  } finally {
    await c.dispose();
  }
}

function maxAbsDiff(a: HostTensor, b: HostTensor): number {
  assert.deepEqual(a.dims, b.dims);
  let m = 0;
  const [x, y] = [a.data as Float32Array, b.data as Float32Array];
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

async function narrowedOps(model: LoadedModel, x: HostTensor, keep: string[]): Promise<{ moves: number; model?: LoadedModel }> {
  const p = findGradientPath(model.graph, ['h'], 'y');
  const probe = await probeValues(model, [...p.touched], { x: toOrt(x) }, { threads: 1 });
  const r = narrowRows(model, ['y', 'h', ...keep], probe);
  return { moves: r?.moves ?? 0, model: r?.model };
}

const CASES: Case[] = [
  { name: 'unary (Relu), scalar index on axis 1', x: [2, 5, 6], nodes: [n('Relu', ['h'], ['v'])], axis: 1, indices: 0, moves: true },
  { name: 'unary (Erf), two rows, negative index', x: [2, 5, 6], nodes: [n('Erf', ['h'], ['v'])], axis: 1, indices: [-1, 2], moves: true },
  {
    name: 'broadcasting Add with a bias and a row-broadcast operand',
    x: [2, 5, 6],
    consts: { b: { dims: [6] }, r: { dims: [2, 1, 6] } },
    nodes: [n('Add', ['h', 'b'], ['a']), n('Mul', ['a', 'r'], ['v'])],
    axis: 1,
    indices: [1, 3],
    moves: true,
  },
  {
    name: 'Where with a per-row condition input',
    x: [2, 5, 6],
    consts: { z: { dims: [5, 1] } },
    nodes: [n('Greater', ['z', 'two'], ['c']), n('Where', ['c', 'h', 'z'], ['v'])],
    axis: 1,
    indices: [4],
    moves: true,
  },
  { name: 'MatMul rows', x: [2, 5, 6], consts: { w: { dims: [6, 3] } }, nodes: [n('MatMul', ['h', 'w'], ['v'])], axis: 1, indices: 2, moves: true },
  { name: 'MatMul batch axis', x: [2, 5, 6], consts: { w: { dims: [2, 6, 3] } }, nodes: [n('MatMul', ['h', 'w'], ['v'])], axis: 0, indices: [1], moves: true },
  {
    name: 'Gemm rows (transA, full C)',
    x: [6, 5],
    consts: { w: { dims: [6, 3] }, c: { dims: [5, 3] } },
    nodes: [n('Gemm', ['h', 'w', 'c'], ['v'], [attr.int('transA', 1)])],
    axis: 0,
    indices: [0, 4],
    moves: true,
  },
  {
    name: 'LayerNormalization over the last axis',
    x: [2, 5, 6],
    consts: { s: { dims: [6] }, b: { dims: [6] } },
    nodes: [n('LayerNormalization', ['h', 's', 'b'], ['v'], [attr.int('axis', -1)])],
    axis: 1,
    indices: 0,
    moves: true,
  },
  { name: 'Softmax over another axis (opset 13)', opset: 13, x: [2, 5, 6], nodes: [n('Softmax', ['h'], ['v'], [attr.int('axis', -1)])], axis: 1, indices: [3], moves: true },
  { name: 'Softmax, opset 11 (coerced to 2-D at axis 2)', opset: 11, x: [2, 5, 6], nodes: [n('Softmax', ['h'], ['v'], [attr.int('axis', 2)])], axis: 1, indices: [3], moves: true },
  { name: 'ReduceMean over the last axis, keepdims (opset 13)', opset: 13, x: [2, 5, 6], nodes: [n('ReduceMean', ['h'], ['v'], [attr.ints('axes', [-1])])], axis: 1, indices: [0], moves: true },
  {
    name: 'ReduceSum with axes as an input (opset 18)',
    opset: 18,
    x: [2, 5, 6],
    consts: { ax: { dims: [1], values: [2], int: true } },
    nodes: [n('ReduceSum', ['h', 'ax'], ['v'])],
    axis: 1,
    indices: [1],
    moves: true,
  },
  { name: 'Transpose', x: [2, 5, 6], nodes: [n('Transpose', ['h'], ['v'], [attr.ints('perm', [0, 2, 1])])], axis: 2, indices: [3], moves: true },
  {
    name: 'Reshape that keeps the leading axes',
    x: [2, 5, 6],
    consts: { s: { dims: [4], values: [2, 5, 3, 2], int: true } },
    nodes: [n('Reshape', ['h', 's'], ['v'])],
    axis: 1,
    indices: 0,
    moves: true,
  },
  {
    name: 'Concat along another axis',
    x: [2, 5, 6],
    nodes: [n('Neg', ['h'], ['m']), n('Concat', ['h', 'm'], ['v'], [attr.int('axis', 2)])],
    axis: 1,
    indices: [2],
    moves: true,
  },
  {
    name: 'two identical Gathers of one value merge (one computes, the other aliases)',
    x: [2, 5, 6],
    nodes: [n('Sigmoid', ['h'], ['v'])],
    axis: 1,
    indices: [1],
    moves: true,
    readers: [
      n('Gather', ['v', 'idx'], ['g1'], [attr.int('axis', 1)]),
      n('Gather', ['v', 'idx'], ['g2'], [attr.int('axis', 1)]),
      n('Mul', ['g1', 'g2'], ['y']),
    ],
  },
  {
    name: 'Dropout (inference: the identity) with a ratio input',
    x: [2, 5, 6],
    consts: { ratio: { dims: [], values: [0.25] } },
    nodes: [n('Dropout', ['h', 'ratio'], ['v'])],
    axis: 1,
    indices: [2],
    moves: true,
  },
  // Must not move:
  {
    name: 'Dropout with a training_mode input (it could draw masks)',
    x: [2, 5, 6],
    consts: { ratio: { dims: [], values: [0.25] }, mode: { dims: [], values: [0], bool: true } },
    nodes: [n('Dropout', ['h', 'ratio', 'mode'], ['v'])],
    axis: 1,
    indices: [2],
    moves: false,
  },
  { name: 'Softmax over the gathered axis', x: [2, 5, 6], nodes: [n('Softmax', ['h'], ['v'], [attr.int('axis', 1)])], axis: 1, indices: [0], moves: false },
  { name: 'MatMul columns', x: [2, 5, 6], consts: { w: { dims: [6, 3] } }, nodes: [n('MatMul', ['h', 'w'], ['v'])], axis: 2, indices: [1], moves: false },
  { name: 'ReduceMean over the gathered axis', opset: 13, x: [2, 5, 6], nodes: [n('ReduceMean', ['h'], ['v'], [attr.ints('axes', [1])])], axis: 1, indices: [0], moves: false },
  {
    name: 'Reshape that changes the leading axes',
    x: [2, 5, 6],
    consts: { s: { dims: [3], values: [10, 3, 2], int: true } },
    nodes: [n('Reshape', ['h', 's'], ['v'])],
    axis: 1,
    indices: [0],
    moves: false,
  },
  {
    name: 'a value also read whole elsewhere',
    x: [2, 5, 6],
    nodes: [n('Relu', ['h'], ['v'])],
    axis: 1,
    indices: [0],
    moves: false,
    readers: [n('Gather', ['v', 'idx'], ['g'], [attr.int('axis', 1)]), n('ReduceSum', ['v'], ['s'], [attr.int('keepdims', 0)]), n('Mul', ['g', 's'], ['y'])],
  },
  {
    name: 'two Gathers of different rows',
    x: [2, 5, 6],
    consts: { idx2: { dims: [1], values: [3], int: true } },
    nodes: [n('Relu', ['h'], ['v'])],
    axis: 1,
    indices: [0],
    moves: false,
    readers: [n('Gather', ['v', 'idx'], ['g1'], [attr.int('axis', 1)]), n('Gather', ['v', 'idx2'], ['g2'], [attr.int('axis', 1)]), n('Add', ['g1', 'g2'], ['y'])],
  },
  { name: 'a kept value (a layer activation)', x: [2, 5, 6], nodes: [n('Relu', ['h'], ['v'])], axis: 1, indices: [0], moves: false, keep: ['v'] },
];

describe('row narrowing: move rules', () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const proto = buildCase(c);
      const model: LoadedModel = { path: '<memory>', dir: '.', bytes: 0, mtimeMs: 0, proto, graph: new OnnxGraph(proto) };
      const r = rng(11);
      const size = c.x.reduce((a, b) => a * b, 1);
      const x: HostTensor = { dtype: 'float32', dims: c.x, data: Float32Array.from({ length: size }, () => r() * 2 - 1) };
      const { moves, model: narrowed } = await narrowedOps(model, x, c.keep ?? []);
      if (!c.moves) {
        assert.equal(moves, 0, 'nothing may move');
        return;
      }
      assert.ok(moves >= 1, 'the Gather moved');
      // The op that produced v now runs on gathered inputs: no node outputs v any more.
      assert.ok(!narrowed!.graph.producer.has('v'), 'v (all rows) is no longer computed');
      if (c.keep?.length) return;
      const [plain, narrow] = [await vjp(model, x, 'h', false), await vjp(model, x, 'h', true)];
      assert.equal(plain.narrowed, 0);
      assert.ok(narrow.narrowed >= 1);
      assert.ok(maxAbsDiff(plain.y, narrow.y) <= 1e-6, 'same output');
      assert.ok(maxAbsDiff(plain.grad, narrow.grad) <= 1e-6, 'same gradient');
    });
  }

  test('every op type with a move rule is covered by a case above', () => {
    const covered = new Set(CASES.filter((c) => c.moves).flatMap((c) => c.nodes.map((nd) => nd.opType)));
    const families = [['Relu', 'Erf', 'Sigmoid', 'Neg'], ['Add', 'Mul', 'Where'], ['ReduceMean', 'ReduceSum'], ['MatMul'], ['Gemm'], ['LayerNormalization'], ['Softmax'], ['Transpose'], ['Reshape'], ['Concat']];
    for (const f of families) assert.ok(f.some((op) => covered.has(op) && MOVE_RULES.has(op)), `no case for ${f.join('/')}`);
  });

  test('graphs with subgraphs are left alone (their outer reads are invisible to dead-node removal)', async () => {
    const c = CASES[0];
    const proto = buildCase(c);
    const body = { name: 'b', node: [n('Identity', ['h'], ['o'])], output: [{ name: 'o' }] };
    proto.graph!.node!.push(n('If', ['cond'], ['unused'], [{ name: 'then_branch', type: 5, g: body }, { name: 'else_branch', type: 5, g: body }]));
    proto.graph!.initializer!.push(makeTensor('cond', ElemType.BOOL, [], [1]));
    const model: LoadedModel = { path: '<memory>', dir: '.', bytes: 0, mtimeMs: 0, proto, graph: new OnnxGraph(proto) };
    const x: HostTensor = { dtype: 'float32', dims: c.x, data: new Float32Array(60).fill(0.5) };
    assert.equal((await narrowedOps(model, x, [])).moves, 0);
  });
});
