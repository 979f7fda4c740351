/** Small ONNX models built in tests, written to a temp folder. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ElemType, ModelProto, NodeProto, TensorProto, attr, encodeModel } from '../../src/engine/onnx/proto';
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

/**
 * image[N,3,224,224] → /stem/conv/Conv (64 channels, 3×3, stride 1: a [N,64,224,224] layer) → /stem/act/Relu →
 * /pool/GlobalAveragePool → /Flatten → /fc/Gemm → logits[N,10]: the largest heat map a layer of an ImageNet-sized
 * input gives, for measuring how fast a result reaches the screen.
 */
export function fullResolutionConvNet(seed = 1): ModelProto {
  let s = seed;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const conv = makeTensor('conv.w', ElemType.FLOAT, [64, 3, 3, 3], Array.from({ length: 64 * 27 }, () => rand() * 0.3));
  const fc = makeTensor('fc.w', ElemType.FLOAT, [10, 64], Array.from({ length: 640 }, () => rand() * 0.5));
  const fcb = makeTensor('fc.b', ElemType.FLOAT, [10], Array.from({ length: 10 }, () => rand() * 0.1));
  const nodes: NodeProto[] = [
    { name: '/stem/conv/Conv', opType: 'Conv', input: ['image', 'conv.w'], output: ['/stem/conv/Conv_output_0'], attribute: [attr.ints('pads', [1, 1, 1, 1]), attr.ints('kernel_shape', [3, 3])] },
    { name: '/stem/act/Relu', opType: 'Relu', input: ['/stem/conv/Conv_output_0'], output: ['/stem/act/Relu_output_0'] },
    { name: '/pool/GlobalAveragePool', opType: 'GlobalAveragePool', input: ['/stem/act/Relu_output_0'], output: ['/pool/GlobalAveragePool_output_0'] },
    { name: '/Flatten', opType: 'Flatten', input: ['/pool/GlobalAveragePool_output_0'], output: ['/Flatten_output_0'] },
    { name: '/fc/Gemm', opType: 'Gemm', input: ['/Flatten_output_0', 'fc.w', 'fc.b'], output: ['logits'], attribute: [attr.int('transB', 1)] },
  ];
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'fullres', node: nodes, initializer: [conv, fc, fcb], input: [floatValue('image', ['N', 3, 224, 224])], output: [floatValue('logits', ['N', 10])] },
  };
}
