/**
 * A ResNet-18-shaped ONNX model (torchvision BasicBlock layout, full width, random weights, BatchNorm folded
 * into the convolutions as PyTorch's eval export does) built without Python, with PyTorch-style scoped node
 * names (`/layer3/layer3.1/relu_1/Relu`). Used by the GPU check and benchmarks where no exporter is available.
 */
import { ElemType, ModelProto, NodeProto, TensorProto, attr } from '../../src/engine/onnx/proto';
import { makeTensor } from '../../src/engine/onnx/tensorData';
import { rng } from './random';

export function buildResNet18(opts: { classes?: number; seed?: number; width?: number } = {}): ModelProto {
  const rand = rng(opts.seed ?? 18);
  const classes = opts.classes ?? 1000;
  const w0 = opts.width ?? 64;
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  let counter = 0;
  const weight = (dims: number[], fanIn: number) => {
    const name = `onnx::W_${counter++}`;
    const n = dims.reduce((a, b) => a * b, 1);
    const std = Math.sqrt(2 / fanIn);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = (rand() * 2 - 1) * std * Math.sqrt(3);
    inits.push(makeTensor(name, ElemType.FLOAT, dims, v));
    return name;
  };
  const bias = (c: number) => {
    const name = `onnx::B_${counter++}`;
    inits.push(makeTensor(name, ElemType.FLOAT, [c], Array.from({ length: c }, () => (rand() - 0.5) * 0.1)));
    return name;
  };
  const conv = (scope: string, x: string, cin: number, cout: number, k: number, stride: number) => {
    const name = `${scope}/Conv`;
    const out = `${name}_output_0`;
    const p = Math.floor(k / 2);
    nodes.push({
      name,
      opType: 'Conv',
      input: [x, weight([cout, cin, k, k], cin * k * k), bias(cout)],
      output: [out],
      attribute: [attr.ints('kernel_shape', [k, k]), attr.ints('strides', [stride, stride]), attr.ints('pads', [p, p, p, p]), attr.ints('dilations', [1, 1]), attr.int('group', 1)],
    });
    return out;
  };
  const relu = (scope: string, x: string) => {
    const name = `${scope}/Relu`;
    nodes.push({ name, opType: 'Relu', input: [x], output: [`${name}_output_0`] });
    return `${name}_output_0`;
  };
  let x = conv('/conv1', 'image', 3, w0, 7, 2);
  x = relu('/relu', x);
  nodes.push({
    name: '/maxpool/MaxPool',
    opType: 'MaxPool',
    input: [x],
    output: ['/maxpool/MaxPool_output_0'],
    attribute: [attr.ints('kernel_shape', [3, 3]), attr.ints('strides', [2, 2]), attr.ints('pads', [1, 1, 1, 1])],
  });
  x = '/maxpool/MaxPool_output_0';
  let cin = w0;
  for (let l = 1; l <= 4; l++) {
    const cout = w0 * 2 ** (l - 1);
    for (let b = 0; b < 2; b++) {
      const scope = `/layer${l}/layer${l}.${b}`;
      const stride = l > 1 && b === 0 ? 2 : 1;
      const identity = x;
      let y = conv(`${scope}/conv1`, x, cin, cout, 3, stride);
      y = relu(`${scope}/relu`, y);
      y = conv(`${scope}/conv2`, y, cout, cout, 3, 1);
      const skip = stride !== 1 || cin !== cout ? conv(`${scope}/downsample/downsample.0`, identity, cin, cout, 1, stride) : identity;
      nodes.push({ name: `${scope}/Add`, opType: 'Add', input: [y, skip], output: [`${scope}/Add_output_0`] });
      x = relu(`${scope}/relu_1`, `${scope}/Add_output_0`);
      cin = cout;
    }
  }
  nodes.push({ name: '/avgpool/GlobalAveragePool', opType: 'GlobalAveragePool', input: [x], output: ['/avgpool/GlobalAveragePool_output_0'] });
  nodes.push({ name: '/Flatten', opType: 'Flatten', input: ['/avgpool/GlobalAveragePool_output_0'], output: ['/Flatten_output_0'], attribute: [attr.int('axis', 1)] });
  nodes.push({
    name: '/fc/Gemm',
    opType: 'Gemm',
    input: ['/Flatten_output_0', weight([classes, cin], cin), bias(classes)],
    output: ['logits'],
    attribute: [attr.float('alpha', 1), attr.float('beta', 1), attr.int('transB', 1)],
  });
  const vi = (name: string, dims: (number | string)[]) => ({
    name,
    type: { tensorType: { elemType: ElemType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  return {
    irVersion: 8,
    producerName: 'layerlens-resnet18-builder',
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'resnet18', node: nodes, initializer: inits, input: [vi('image', ['N', 3, 224, 224])], output: [vi('logits', ['N', classes])] },
  };
}
