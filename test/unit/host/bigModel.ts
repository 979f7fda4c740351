/** A long, flat ONNX model (one Relu after another, unscoped names): every node is a top-level layer. */
import * as fs from 'node:fs';
import { ElemType, ModelProto, NodeProto, encodeModel } from '../../../src/engine/onnx/proto';

export function flatReluChain(n: number): ModelProto {
  const nodes: NodeProto[] = [];
  for (let i = 0; i < n; i++) nodes.push({ name: `relu_${i}`, opType: 'Relu', input: [i ? `v${i - 1}` : 'x'], output: [i === n - 1 ? 'y' : `v${i}`] });
  const vi = (name: string) => ({ name, type: { tensorType: { elemType: ElemType.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: 4 }] } } } });
  return { irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: { name: 'chain', node: nodes, input: [vi('x')], output: [vi('y')] } };
}

export function writeFlatReluChain(file: string, n: number): void {
  fs.writeFileSync(file, encodeModel(flatReluChain(n)));
}
