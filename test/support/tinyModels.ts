/** Small ONNX models built in tests, written to a temp folder. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ElemType, ModelProto, NodeProto, TensorProto, encodeModel } from '../../src/engine/onnx/proto';
import { makeTensor } from '../../src/engine/onnx/tensorData';

export function tempDir(prefix = 'll-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function writeModel(proto: ModelProto, dir = tempDir(), name = 'model.onnx'): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, encodeModel(proto));
  return p;
}

/** A float value's ValueInfo with static (numbers) and symbolic (strings) dimensions. */
export function floatValue(name: string, dims: (number | string)[]) {
  return {
    name,
    type: { tensorType: { elemType: ElemType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

/** x[N,4] → /block/scale/Mul(w) → /block/act/Relu → /head/Add(b) → y[N,4]: module paths block.scale, block.act, head. */
export function tinyMlp(opset = 13): ModelProto {
  const w: TensorProto = makeTensor('w', ElemType.FLOAT, [4], [0.5, -1.5, 2, 1]);
  const b: TensorProto = makeTensor('b', ElemType.FLOAT, [4], [0.1, 0.2, -0.3, 0.4]);
  const nodes: NodeProto[] = [
    { name: '/block/scale/Mul', opType: 'Mul', input: ['x', 'w'], output: ['/block/scale/Mul_output_0'] },
    { name: '/block/act/Relu', opType: 'Relu', input: ['/block/scale/Mul_output_0'], output: ['/block/act/Relu_output_0'] },
    { name: '/head/Add', opType: 'Add', input: ['/block/act/Relu_output_0', 'b'], output: ['y'] },
  ];
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: { name: 'tiny', node: nodes, initializer: [w, b], input: [floatValue('x', ['N', 4])], output: [floatValue('y', ['N', 4])] },
  };
}
