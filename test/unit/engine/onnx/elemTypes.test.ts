/**
 * Element types the engine declares for intermediates it makes graph outputs (withOutputs) must be the ones
 * onnxruntime computes, or it refuses the model. For every op the VJP rules know and every op of the test models,
 * and the ops whose outputs are not their inputs' type: a one-node model with every output (optional ones included)
 * exposed with its declared type, loaded and run in onnxruntime, each result's type compared with the declaration;
 * every test model with all its intermediates exposed the same way; outputs whose type cannot be known are declared
 * without one; the schema table leaves no output untyped that an input or attribute determines.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import '../../../../src/engine/autodiff/rules/index';
import { registeredOps } from '../../../../src/engine/autodiff/registry';
import { withOutputs } from '../../../../src/engine/attribution/compile';
import { outputElemTypes } from '../../../../src/engine/onnx/elemTypes';
import type { GraphNode } from '../../../../src/engine/onnx/graph';
import { LoadedModel, decodeModel, loadModel } from '../../../../src/engine/onnx/loadModel';
import { ONNX_SIGNATURES, SCHEMA_ELEM_TYPES } from '../../../../src/engine/onnx/opSignatures';
import { AttrType, AttributeProto, ElemType, GraphProto, ModelProto, NodeProto, TensorProto, ValueInfoProto, attr, encodeModel } from '../../../../src/engine/onnx/proto';
import { makeTensor } from '../../../../src/engine/onnx/tensorData';
import { DTYPE_TO_ELEM } from '../../../../src/engine/runtime/tensors';
import { REPO_ROOT } from '../../../support/fixtures';
import { rng } from '../../../support/gradcheck';
import { tempDir, writeModel } from '../../../support/tinyModels';

const { FLOAT, DOUBLE, INT64, INT32, BOOL, UINT8, INT8 } = ElemType;

/** An input: a constant of that type and shape (random floats in [0, 1) unless `data`), or absent (null). */
type Arg = { elem: number; dims: number[]; data?: number[] } | null;
const F = (...dims: number[]): Arg => ({ elem: FLOAT, dims });
const Fv = (data: number[], dims = [data.length]): Arg => ({ elem: FLOAT, dims, data });
const I64 = (data: number[], dims = [data.length]): Arg => ({ elem: INT64, dims, data });
const Bv = (data: number[], dims = [data.length]): Arg => ({ elem: BOOL, dims, data });
const U8 = (data: number[], dims = [data.length]): Arg => ({ elem: UINT8, dims, data });
const I8 = (data: number[], dims = [data.length]): Arg => ({ elem: INT8, dims, data });

interface OpCase {
  op: string;
  opset?: number;
  inputs: Arg[];
  attrs?: AttributeProto[];
  /** How many outputs the node has (all of the schema's, optional ones included). */
  outputs?: number;
  /** Outputs whose type cannot be known: they must be declared without a type. */
  unknown?: number[];
  /** More nodes after the op, reading its outputs `y0`, `y1`, …; the values exposed are then `z0`, `z1`, …. */
  then?: NodeProto[];
  label?: string;
}

function graphAttr(name: string, g: GraphProto): AttributeProto {
  return { name, type: AttrType.GRAPH, g };
}
function tensorInfo(name: string, elemType: number, dims?: number[]): ValueInfoProto {
  return { name, type: { tensorType: { elemType, ...(dims ? { shape: { dim: dims.map((d) => ({ dimValue: d })) } } : {}) } } };
}

const unary = (ops: string[], opset = 17, attrs: AttributeProto[] = []): OpCase[] => ops.map((op) => ({ op, opset, inputs: [F(2, 3)], attrs }));
const binary = (ops: string[]): OpCase[] => ops.map((op) => ({ op, inputs: [F(2, 3), F(2, 3)] }));
const reduce18 = (ops: string[]): OpCase[] => ops.map((op) => ({ op, opset: 18, inputs: [F(2, 3), I64([1])] }));

const CASES: OpCase[] = [
  ...unary(['Abs', 'Acos', 'Acosh', 'Asin', 'Asinh', 'Atan', 'Atanh', 'Ceil', 'Cos', 'Cosh', 'Erf', 'Exp', 'Floor', 'Log',
    'Neg', 'Reciprocal', 'Relu', 'Round', 'Sigmoid', 'Sign', 'Sin', 'Sinh', 'Softplus', 'Softsign', 'Sqrt', 'Tan', 'Tanh',
    'Identity', 'HardSwish', 'Elu', 'Selu', 'Celu', 'LeakyRelu', 'ThresholdedRelu', 'HardSigmoid', 'Shrink', 'Softmax',
    'LogSoftmax', 'Hardmax', 'IsNaN', 'IsInf', 'Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin', 'Flatten', 'Transpose', 'Trilu',
    'Bernoulli', 'RandomNormalLike', 'RandomUniformLike']),
  ...unary(['Mish'], 18),
  ...unary(['Gelu'], 20),
  { op: 'EyeLike', inputs: [F(3, 3)] },
  { op: 'EyeLike', inputs: [F(3, 3)], attrs: [attr.int('dtype', INT64)], label: 'dtype int64' },
  { op: 'EyeLike', inputs: [I64([0, 0, 0, 0], [2, 2])], label: 'int64 input' },
  { op: 'RandomUniformLike', inputs: [F(2, 3)], attrs: [attr.int('dtype', DOUBLE)], label: 'dtype double' },
  { op: 'RandomNormal', inputs: [], attrs: [attr.ints('shape', [2, 3])] },
  { op: 'RandomUniform', inputs: [], attrs: [attr.ints('shape', [2, 3]), attr.int('dtype', DOUBLE)], label: 'dtype double' },
  { op: 'Multinomial', inputs: [F(1, 3)], attrs: [attr.int('sample_size', 2)] },
  { op: 'Multinomial', inputs: [F(1, 3)], attrs: [attr.int('sample_size', 2), attr.int('dtype', INT64)], label: 'dtype int64' },
  ...binary(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'PRelu', 'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual']),
  ...['Max', 'Min', 'Mean', 'Sum'].map((op) => ({ op, inputs: [F(2, 3), F(3), F(2, 3)] })),
  { op: 'Mod', inputs: [I64([5, -7, 9]), I64([2, 3, 4])] },
  ...['And', 'Or', 'Xor'].map((op) => ({ op, inputs: [Bv([1, 0, 1]), Bv([1, 1, 0])] })),
  { op: 'Not', inputs: [Bv([1, 0])] },
  { op: 'BitShift', inputs: [U8([1, 2]), U8([1, 1])], attrs: [attr.string('direction', 'LEFT')] },
  { op: 'Where', inputs: [Bv([1, 0, 1], [3]), F(2, 3), F(2, 3)] },
  { op: 'MatMul', inputs: [F(2, 3), F(3, 4)] },
  { op: 'Gemm', inputs: [F(2, 3), F(3, 4), F(4)] },
  { op: 'Einsum', opset: 12, inputs: [F(2, 3), F(3, 4)], attrs: [attr.string('equation', 'ij,jk->ik')] },
  { op: 'MatMulInteger', inputs: [U8([1, 2, 3, 4, 5, 6], [2, 3]), U8([1, 2, 3, 4, 5, 6], [3, 2])] },
  { op: 'Cast', inputs: [F(2, 3)], attrs: [attr.int('to', INT64)] },
  { op: 'Cast', inputs: [F(2, 3)], attrs: [attr.int('to', BOOL)], label: 'to bool' },
  { op: 'CastLike', inputs: [F(2, 3), { elem: INT32, dims: [1], data: [0] }] },
  { op: 'Reshape', inputs: [F(2, 3), I64([3, 2])] },
  { op: 'Squeeze', inputs: [F(1, 3), I64([0])] },
  { op: 'Unsqueeze', inputs: [F(3), I64([0])] },
  { op: 'Expand', inputs: [F(1, 3), I64([2, 3])] },
  { op: 'Tile', inputs: [F(2, 3), I64([2, 1])] },
  { op: 'Concat', inputs: [F(2, 3), F(1, 3)], attrs: [attr.int('axis', 0)] },
  { op: 'Split', opset: 13, inputs: [F(4, 3), I64([1, 3])], outputs: 2 },
  { op: 'Split', opset: 18, inputs: [F(4, 3)], attrs: [attr.int('num_outputs', 2)], outputs: 2, label: 'num_outputs' },
  { op: 'Slice', inputs: [F(4, 3), I64([1]), I64([3]), I64([0]), I64([1])] },
  { op: 'Gather', inputs: [F(3, 2), I64([2, 0])] },
  { op: 'GatherElements', inputs: [F(2, 3), I64([0, 1, 0, 1, 1, 0], [2, 3])] },
  { op: 'GatherND', inputs: [F(2, 3), I64([0, 1], [1, 2])] },
  { op: 'ScatterElements', inputs: [F(2, 3), I64([1, 0, 1], [1, 3]), F(1, 3)] },
  { op: 'ScatterND', inputs: [F(2, 3), I64([1], [1, 1]), F(1, 3)] },
  { op: 'Pad', inputs: [F(2, 3), I64([0, 1, 0, 1])] },
  { op: 'CenterCropPad', opset: 18, inputs: [F(4, 4), I64([2, 3])] },
  { op: 'DepthToSpace', inputs: [F(1, 4, 2, 2)], attrs: [attr.int('blocksize', 2)] },
  { op: 'SpaceToDepth', inputs: [F(1, 1, 4, 4)], attrs: [attr.int('blocksize', 2)] },
  { op: 'CumSum', inputs: [F(2, 3), I64([1], [])] },
  { op: 'ConstantOfShape', inputs: [I64([2, 3])] },
  { op: 'ConstantOfShape', inputs: [I64([2, 3])], attrs: [attr.tensor('value', makeTensor('v', INT64, [1], [4]))], label: 'int64 value' },
  { op: 'Constant', inputs: [], attrs: [attr.ints('value_ints', [1, 2])] },
  { op: 'Constant', inputs: [], attrs: [attr.float('value_float', 2)], label: 'value_float' },
  { op: 'Constant', inputs: [], attrs: [attr.tensor('value', makeTensor('v', BOOL, [2], [1, 0]))], label: 'bool tensor' },
  { op: 'Range', inputs: [Fv([0], []), Fv([5], []), Fv([1.5], [])] },
  { op: 'Range', inputs: [I64([0], []), I64([5], []), I64([2], [])], label: 'int64' },
  { op: 'Conv', inputs: [F(1, 1, 4, 4), F(1, 1, 2, 2)] },
  { op: 'ConvTranspose', inputs: [F(1, 1, 3, 3), F(1, 1, 2, 2)] },
  { op: 'GlobalAveragePool', inputs: [F(1, 2, 3, 3)] },
  { op: 'GlobalMaxPool', inputs: [F(1, 2, 3, 3)] },
  { op: 'AveragePool', inputs: [F(1, 1, 4, 4)], attrs: [attr.ints('kernel_shape', [2, 2])] },
  { op: 'MaxPool', inputs: [F(1, 1, 4, 4)], attrs: [attr.ints('kernel_shape', [2, 2])], outputs: 2 },
  { op: 'MaxUnpool', inputs: [F(1, 1, 2, 2), I64([0, 3, 8, 11], [1, 1, 2, 2])], attrs: [attr.ints('kernel_shape', [2, 2]), attr.ints('strides', [2, 2])] },
  { op: 'BatchNormalization', opset: 15, inputs: [F(2, 3, 2), F(3), F(3), F(3), Fv([1, 1, 1])] },
  { op: 'BatchNormalization', opset: 15, inputs: [F(2, 3, 2), F(3), F(3), F(3), Fv([1, 1, 1])], attrs: [attr.int('training_mode', 1)], outputs: 3, label: 'training outputs' },
  { op: 'InstanceNormalization', inputs: [F(1, 2, 3), F(2), F(2)] },
  { op: 'LayerNormalization', inputs: [F(2, 3), F(3), F(3)], outputs: 3 },
  { op: 'LayerNormalization', inputs: [{ elem: DOUBLE, dims: [2, 3] }, { elem: DOUBLE, dims: [3] }], outputs: 3, label: 'double' },
  { op: 'LRN', inputs: [F(1, 3, 2, 2)], attrs: [attr.int('size', 3)] },
  { op: 'Resize', opset: 13, inputs: [F(1, 1, 2, 2), null, Fv([1, 1, 2, 2])] },
  { op: 'Upsample', opset: 9, inputs: [F(1, 1, 2, 2), Fv([1, 1, 2, 2])] },
  { op: 'Clip', opset: 13, inputs: [F(2, 3), Fv([0.2], []), Fv([0.6], [])] },
  { op: 'Clip', opset: 6, inputs: [F(2, 3)], attrs: [attr.float('min', 0.2)], label: 'attributes' },
  ...reduce18(['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare']),
  { op: 'ReduceMean', opset: 13, inputs: [F(2, 3)], attrs: [attr.ints('axes', [1])], label: 'axes attribute' },
  { op: 'TopK', inputs: [F(2, 3), I64([2])], outputs: 2 },
  { op: 'Unique', inputs: [Fv([2, 1, 2, 3, 1])], outputs: 4 },
  { op: 'NonMaxSuppression', inputs: [Fv([0, 0, 1, 1, 0, 0.1, 1, 1.1], [1, 2, 4]), Fv([0.9, 0.8], [1, 1, 2]), I64([2])] },
  { op: 'QuantizeLinear', inputs: [F(4), Fv([0.1], []), I8([1], [])] },
  { op: 'QuantizeLinear', inputs: [F(4), Fv([0.1], [])], label: 'no zero point: uint8' },
  { op: 'DequantizeLinear', inputs: [I8([1, -2, 3, 4]), Fv([0.1], []), I8([1], [])] },
  { op: 'DynamicQuantizeLinear', inputs: [F(4)], outputs: 3 },
  { op: 'LSTM', inputs: [F(3, 1, 2), F(1, 12, 2), F(1, 12, 3)], attrs: [attr.int('hidden_size', 3)], outputs: 3 },
  { op: 'GRU', inputs: [F(3, 1, 2), F(1, 9, 2), F(1, 9, 3)], attrs: [attr.int('hidden_size', 3)], outputs: 2 },
  { op: 'RNN', inputs: [F(3, 1, 2), F(1, 3, 2), F(1, 3, 3)], attrs: [attr.int('hidden_size', 3)], outputs: 2 },
  // Dropout's mask: bool from opset 10, the data's type before.
  { op: 'Dropout', opset: 13, inputs: [F(2, 3)], outputs: 2 },
  { op: 'Dropout', opset: 13, inputs: [F(2, 3), Fv([0], []), Bv([1], [])], outputs: 2, label: 'ratio 0, training_mode (torch export)' },
  { op: 'Dropout', opset: 12, inputs: [F(2, 3)], outputs: 2, label: 'opset 12' },
  { op: 'Dropout', opset: 10, inputs: [F(2, 3)], outputs: 2, label: 'opset 10' },
  { op: 'Dropout', opset: 7, inputs: [F(2, 3)], outputs: 2, label: 'opset 7' },
  // Control flow: output types from the subgraphs.
  {
    op: 'If',
    inputs: [Bv([1], [])],
    outputs: 2,
    attrs: [0, 1].map((b) =>
      graphAttr(b ? 'else_branch' : 'then_branch', {
        name: 'branch',
        node: [
          { opType: 'Constant', output: ['c'], attribute: [attr.tensor('value', makeTensor('c', INT64, [2], [b, 2]))] },
          { opType: 'Constant', output: ['d'], attribute: [attr.tensor('value', makeTensor('d', BOOL, [1], [b]))] },
        ],
        output: [tensorInfo('c', INT64), tensorInfo('d', BOOL)],
      }),
    ),
  },
  {
    op: 'Loop',
    inputs: [I64([3], []), Bv([1], []), F(2)],
    outputs: 2,
    attrs: [
      graphAttr('body', {
        name: 'body',
        node: [
          { opType: 'Identity', input: ['cond_in'], output: ['cond_out'] },
          { opType: 'Add', input: ['v_in', 'v_in'], output: ['v_out'] },
          { opType: 'Cast', input: ['v_in'], output: ['scan'], attribute: [attr.int('to', INT32)] },
        ],
        input: [tensorInfo('i', INT64, []), tensorInfo('cond_in', BOOL, []), tensorInfo('v_in', FLOAT, [2])],
        output: [tensorInfo('cond_out', BOOL, []), tensorInfo('v_out', FLOAT, [2]), tensorInfo('scan', INT32, [2])],
      }),
    ],
  },
  // Experimental ops of early ONNX that onnxruntime still runs in the default domain.
  { op: 'ImageScaler', opset: 9, inputs: [F(1, 3, 2, 2)], attrs: [attr.floats('bias', [0, 1, 2]), attr.float('scale', 2)] },
  { op: 'Crop', opset: 9, inputs: [F(1, 1, 4, 4)], attrs: [attr.ints('border', [1, 1, 1, 1])] },
  { op: 'Affine', opset: 9, inputs: [F(2, 3)] },
  { op: 'ParametricSoftplus', opset: 9, inputs: [F(2, 3)], attrs: [attr.float('alpha', 1), attr.float('beta', 1)] },
  { op: 'Scale', opset: 9, inputs: [F(2, 3)] },
  { op: 'ScaledTanh', opset: 9, inputs: [F(2, 3)], attrs: [attr.float('alpha', 1), attr.float('beta', 1)] },
  { op: 'DynamicSlice', opset: 9, inputs: [F(4, 3), I64([1]), I64([3])] },
  // SequenceAt's type is its sequence's element type, which the graph does not record: declared without a type.
  {
    op: 'SplitToSequence',
    inputs: [F(4, 3)],
    then: [{ opType: 'SequenceAt', input: ['y0', 'pos'], output: ['z0'] }],
    unknown: [0],
    label: 'then SequenceAt',
  },
];

function tensorOf(name: string, a: NonNullable<Arg>, seed: number): TensorProto {
  const n = a.dims.reduce((x, y) => x * y, 1);
  const r = rng(seed);
  const data = a.data ?? Array.from({ length: n }, () => r());
  if (a.elem === INT8) return { name, dataType: INT8, dims: a.dims, rawData: new Uint8Array(Int8Array.from(data).buffer) };
  return makeTensor(name, a.elem, a.dims, data);
}

const PLACEHOLDER: NodeProto = { opType: 'Constant', output: ['placeholder'], attribute: [attr.float('value_float', 0)] };

function caseModel(c: OpCase): { proto: ModelProto; exposed: string[] } {
  const inputs = c.inputs.map((a, i) => (a ? `x${i}` : ''));
  const outputs = Array.from({ length: c.outputs ?? 1 }, (_, i) => `y${i}`);
  const initializer = c.inputs.flatMap((a, i) => (a ? [tensorOf(`x${i}`, a, 100 + i)] : []));
  if (c.then) initializer.push(makeTensor('pos', INT64, [], [1]));
  const node: NodeProto = { name: `the_${c.op}`, opType: c.op, input: inputs, output: outputs, attribute: c.attrs ?? [] };
  const exposed = c.then ? c.then.flatMap((n) => n.output ?? []) : outputs;
  return {
    proto: {
      irVersion: 8,
      opsetImport: [{ domain: '', version: c.opset ?? 17 }],
      // A placeholder output (a file needs one): withOutputs replaces the outputs with the values under test.
      graph: { name: c.op, node: [node, ...(c.then ?? []), PLACEHOLDER], initializer, output: [tensorInfo('placeholder', FLOAT)] },
    },
    exposed,
  };
}

/** Every value exposed with its declared type: onnxruntime loads the model, and each result has that type. */
async function checkExposed(model: LoadedModel, exposed: string[], feeds: Record<string, ort.Tensor>, unknown: number[] = []): Promise<void> {
  const proto = withOutputs(model, exposed);
  const declared = new Map(proto.graph!.output!.map((o) => [o.name!, o.type?.tensorType?.elemType ?? undefined]));
  exposed.forEach((v, i) => {
    if (unknown.includes(i)) assert.equal(declared.get(v), undefined, `${v} declared with a type that cannot be known`);
    else assert.notEqual(declared.get(v), undefined, `${v} has no element type`);
  });
  const session = await ort.InferenceSession.create(encodeModel(proto), { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
  try {
    const res = await session.run(feeds);
    for (const v of exposed) {
      const want = declared.get(v);
      if (want === undefined) continue;
      assert.equal(DTYPE_TO_ELEM[res[v].type as keyof typeof DTYPE_TO_ELEM], want, `${v}: onnxruntime gives ${res[v].type}, declared ${want}`);
    }
  } finally {
    await session.release();
  }
}

async function loadProto(proto: ModelProto, dir: string, name: string): Promise<LoadedModel> {
  return loadModel(writeModel(proto, dir, `${name}.onnx`));
}

/** The .onnx files of the test models under test/data. */
const MODEL_DIRS = ['module_zoo', 'model_zoo2', 'causal_lm', 'vit_cls', 'rnn', 'swin', 'fixtures', 'realworld'];
function testModels(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (e.name.endsWith('.onnx')) out.push(path.join(d, e.name));
    }
  };
  for (const d of MODEL_DIRS) walk(path.join(REPO_ROOT, 'test', 'data', d));
  return out.sort();
}

/** Inputs whose declared shape leaves more than the batch open (as realworld.test.ts runs them). */
const INPUT_DIMS: Record<string, number[]> = { 'pytorch_teams_matting.onnx': [1, 4, 64, 64] };

describe('element types of every output of every op', () => {
  const dir = tempDir('ll-elemtypes-');
  const models = testModels();

  test('every op the VJP rules know and every op of the test models has a case', () => {
    const covered = new Set(CASES.map((c) => c.op));
    const ops = new Set(registeredOps().map((e) => e.opType));
    for (const file of models) for (const n of decodeModel(fs.readFileSync(file)).graph!.node ?? []) ops.add(n.opType!);
    const missing = [...ops].filter((op) => !covered.has(op));
    assert.deepEqual(missing, []);
    assert.ok(covered.size >= 149, `${covered.size} op types`);
  });

  for (const [i, c] of CASES.entries()) {
    test(`${c.op}-${c.opset ?? 17}${c.label ? ` (${c.label})` : ''}: ${c.outputs ?? 1} output(s)`, async () => {
      const { proto, exposed } = caseModel(c);
      const model = await loadProto(proto, dir, `case${i}`);
      await checkExposed(model, exposed, {}, c.unknown);
    });
  }

  test('the test models are all there', () => assert.ok(models.length >= 30, `${models.length} models`));
  for (const file of models) {
    test(`${path.relative(path.join(REPO_ROOT, 'test', 'data'), file)}: every intermediate exposed with its type`, async () => {
      const model = await loadModel(file);
      const g = model.graph;
      const feeds: Record<string, ort.Tensor> = {};
      for (const name of g.inputs) {
        const declared = INPUT_DIMS[path.basename(file)] ?? g.type(name)?.dims ?? [];
        const dims = declared.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
        const n = dims.reduce((a, b) => a * b, 1);
        feeds[name] =
          g.elemType(name) === INT64
            ? new ort.Tensor('int64', new BigInt64Array(n), dims)
            : new ort.Tensor('float32', Float32Array.from({ length: n }, (_, k) => ((k * 7919) % 101) / 101), dims);
      }
      await checkExposed(model, g.nodes.flatMap((n) => n.outputs).filter((v) => v), feeds);
    });
  }

  test('withOutputs declares a value of unknown type without a type, and a known one with it', async () => {
    const model = await loadProto(caseModel(CASES.find((c) => c.op === 'SplitToSequence')!).proto, dir, 'seq');
    const proto = withOutputs(model, ['z0']);
    assert.deepEqual(proto.graph!.output, [{ name: 'z0' }]);
    const dropout = await loadProto(caseModel(CASES.find((c) => c.op === 'Dropout')!).proto, dir, 'dropout');
    assert.deepEqual(withOutputs(dropout, ['y1']).graph!.output!.map((o) => o.type?.tensorType?.elemType), [BOOL]);
  });

  test('the schema table leaves untyped only the outputs that no input or attribute types', () => {
    // Every input present, each type variable bound to float, no attributes: what stays untyped needs an attribute
    // (Cast's `to`), or is not a tensor (sequences, optionals), or takes its type from a sequence or a subgraph.
    const expected = [
      'BitCast', 'Cast', 'ConcatFromSequence', 'Constant', 'If', 'Loop', 'Optional', 'OptionalGetElement', 'Scan',
      'SequenceAt', 'SequenceConstruct', 'SequenceEmpty', 'SequenceErase', 'SequenceInsert', 'SequenceMap', 'SplitToSequence',
    ];
    const untyped = new Set<string>();
    for (const [op, rows] of Object.entries(ONNX_SIGNATURES)) {
      for (const [since, ins, outs] of rows) {
        const inputs = ins.split(' ').filter(Boolean);
        const outputs = outs.split(' ').filter(Boolean);
        const inTypes = inputs.map((t) => (t.startsWith('?') ? undefined : (SCHEMA_ELEM_TYPES[t.replace('*', '')] ?? FLOAT)));
        const node = { opType: op, domain: '', inputs: inputs.map((_, k) => `x${k}`), outputs: outputs.map((_, k) => `y${k}`), attrs: new Map(), proto: {} } as unknown as GraphNode;
        if (outputElemTypes(node, since, inTypes).some((t) => t === undefined)) untyped.add(op);
      }
    }
    assert.deepEqual([...untyped].sort(), expected);
  });
});
