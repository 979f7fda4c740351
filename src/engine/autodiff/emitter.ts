/** Appends standard ONNX nodes and constants to the backward graph, with collision-free names. */
import { AttributeProto, ElemType, NodeProto, TensorProto, attr } from '../onnx/proto';
import { makeTensor } from '../onnx/tensorData';

/** Opset of every node the backward graph contains (it is a separate model we fully control). */
export const BACKWARD_OPSET = 18;

/** Attribute values: integers and lists of integers as INT(S), strings as STRING, `F(x)` or `{ fs: […] }` for floats. */
export type AttrInput = number | number[] | string | { f: number } | { fs: number[] } | { t: TensorProto };
export const F = (f: number) => ({ f });

export class Emitter {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private counter = 0;
  private readonly constCache = new Map<string, string>();

  constructor(private readonly prefix = 'll_bw') {}

  fresh(hint: string): string {
    return `${this.prefix}/${hint}_${++this.counter}`;
  }

  /** Emits one node and returns its output names. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrInput | undefined> = {}, nOutputs = 1, domain = ''): string[] {
    const name = this.fresh(opType);
    const outputs = Array.from({ length: nOutputs }, (_, i) => `${name}:${i}`);
    const attribute: AttributeProto[] = [];
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined) continue;
      if (typeof v === 'number') attribute.push(attr.int(k, v));
      else if (typeof v === 'string') attribute.push(attr.string(k, v));
      else if (Array.isArray(v)) attribute.push(attr.ints(k, v));
      else if ('f' in v) attribute.push(attr.float(k, v.f));
      else if ('fs' in v) attribute.push(attr.floats(k, v.fs));
      else attribute.push(attr.tensor(k, v.t));
    }
    this.nodes.push({ name, opType, domain, input: inputs, output: outputs, attribute });
    return outputs;
  }

  /** Emits a one-output node and returns its output name. */
  op1(opType: string, inputs: string[], attrs: Record<string, AttrInput | undefined> = {}): string {
    return this.op(opType, inputs, attrs, 1)[0];
  }

  /** A constant tensor (deduplicated by content). */
  constant(elemType: number, dims: readonly number[], values: ArrayLike<number>): string {
    // Only small constants (axes, shapes, scalars) repeat; a key for a weight would be a 40-million-character string.
    const k = values.length <= 64 ? `${elemType}|${dims.join(',')}|${Array.from(values).join(',')}` : undefined;
    const hit = k && this.constCache.get(k);
    if (hit) return hit;
    const name = this.fresh('const');
    this.initializers.push(makeTensor(name, elemType, dims, values));
    if (k) this.constCache.set(k, name);
    return name;
  }

  /** A 1-D int64 constant (axes, shapes, pads, starts…). */
  i64(values: readonly number[]): string {
    return this.constant(ElemType.INT64, [values.length], values);
  }

  /** A scalar of the given float element type. */
  scalar(value: number, elemType: number): string {
    return this.constant(elemType, [], [value]);
  }

  addInitializer(t: TensorProto): void {
    this.initializers.push(t);
  }
}
