/**
 * Builds the backward (VJP) model: standard ONNX nodes that map the seed (∂s/∂output, the target mask)
 * to ∂s/∂A for every layer tensor A. Runs as its own model at BACKWARD_OPSET, fed by forward values.
 */
import type { OnnxGraph } from '../onnx/graph';
import { ElemType, ModelProto, ValueInfoProto } from '../onnx/proto';
import { makeTensor, tensorFloat32, tensorToNumbers } from '../onnx/tensorData';
import { Placement, VjpContext, ZERO, contextError, unbroadcastWith } from './context';
import { AttrInput, BACKWARD_OPSET, Emitter } from './emitter';
import { GradientPath } from './paths';
import { broadcastsInput, findRule } from './registry';
import './rules';

/** A value computed by one probe run of the forward model at the compiled input shapes. */
export interface ProbedValue {
  elemType: number;
  dims: number[];
  /** Present for static (shape- or constant-derived) values only. */
  numbers?: number[];
}

export interface BackwardModel {
  model: ModelProto;
  /** Forward values (node outputs, not graph inputs) that the backward model reads, by name. */
  forwardFetches: string[];
  /** Graph inputs the backward model reads, by name. */
  graphInputs: string[];
  seedName: string;
  /** Gradient output name for each activation, in the order given. */
  gradOutputs: string[];
}

const SEED_NAME = 'll_seed';

export function buildBackward(
  g: OnnxGraph,
  path: GradientPath,
  activations: string[],
  output: string,
  probe: Map<string, ProbedValue>,
): BackwardModel {
  const e = new Emitter();
  const opset = g.opset;
  const grads = new Map<string, (string | Placement)[]>();
  const usedForward = new Set<string>();
  const usedInitializers = new Set<string>();
  const embedded = new Set<string>();

  const valueShape = (v: string): number[] => {
    const p = probe.get(v);
    if (p) return p.dims;
    const init = g.initializers.get(v);
    if (init) return (init.dims ?? []).map(Number);
    throw new Error(`internal: no shape for '${v}'`);
  };
  const valueType = (v: string): number => probe.get(v)?.elemType ?? g.elemType(v) ?? ElemType.FLOAT;
  const addContribution = (v: string, grad: string | Placement) => {
    const list = grads.get(v);
    if (list) list.push(grad);
    else grads.set(v, [grad]);
  };
  const zerosOf = (v: string, dims: number[]) =>
    e.op1('ConstantOfShape', [e.i64(dims)], { value: { t: makeTensor('zero', valueType(v), [1], [0]) } });
  /** Placements that tile disjoint ranges of one view: one Concat (with zero gaps), else undefined. */
  const joined = (v: string, ps: Placement[]): string | undefined => {
    const [pre, n, post] = ps[0].view;
    if (ps.some((p) => p.view.join() !== ps[0].view.join())) return undefined;
    const sorted = [...ps].sort((a, b) => a.start - b.start);
    const parts: string[] = [];
    let at = 0;
    for (const p of sorted) {
      if (p.start < at) return undefined; // overlapping ranges add up: leave them to the sum
      if (p.start > at) parts.push(zerosOf(v, [pre, p.start - at, post]));
      parts.push(p.slab);
      at = p.start + p.length;
    }
    if (at < n) parts.push(zerosOf(v, [pre, n - at, post]));
    return e.op1('Reshape', [e.op1('Concat', parts, { axis: 1 }), e.i64(valueShape(v))]);
  };
  const materialize = (v: string, p: Placement): string => {
    const [, n] = p.view;
    const padded = e.op1('Pad', [p.slab, e.i64([0, p.start, 0, 0, n - p.start - p.length, 0])]);
    return e.op1('Reshape', [padded, e.i64(valueShape(v))]);
  };
  const total = (v: string): string | undefined => {
    const list = grads.get(v);
    if (!list || !list.length) return undefined;
    const placed = list.filter((x): x is Placement => typeof x !== 'string');
    const whole = placed.length > 1 && placed.length === list.length ? joined(v, placed) : undefined;
    const terms = whole ? [whole] : list.map((x) => (typeof x === 'string' ? x : materialize(v, x)));
    const sum = terms.length === 1 ? terms[0] : terms.length === 2 ? e.op1('Add', terms) : e.op1('Sum', terms);
    grads.set(v, [sum]);
    return sum;
  };
  /** Makes a forward value readable in the backward graph. */
  const readForward = (v: string): string => {
    if (g.initializers.has(v)) {
      usedInitializers.add(v);
      return v;
    }
    const p = probe.get(v);
    if (g.staticValues.has(v) && p?.numbers && !g.inputs.includes(v)) {
      if (!embedded.has(v)) {
        embedded.add(v);
        e.addInitializer(makeTensor(v, p.elemType, p.dims, p.numbers));
      }
      return v;
    }
    usedForward.add(v);
    return v;
  };

  addContribution(output, SEED_NAME);

  for (let ni = path.nodes.length - 1; ni >= 0; ni--) {
    const node = path.nodes[ni];
    const dys = node.outputs.map((o) => (o && path.requiresGrad.has(o) ? total(o) : undefined));
    if (dys.every((d) => d === undefined)) continue;
    const entry = findRule(node.domain, node.opType, node.domain === '' ? opset : g.opsetOf(node.domain) ?? 1);
    if (!entry) {
      const dom = node.domain ? `${node.domain}.` : '';
      throw contextError(
        node,
        opset,
        `no gradient rule for op ${dom}${node.opType}; this op lies between the layer and the output, so the attribution cannot be computed`,
      );
    }
    const firstFloat = [...node.inputs, ...node.outputs].find((v) => v && path.requiresGrad.has(v));
    const floatType = firstFloat ? valueType(firstFloat) : ElemType.FLOAT;
    const ctx: VjpContext = {
      node,
      opset,
      e,
      floatType,
      inputCount: node.inputs.filter((v) => v).length,
      attr: <T>(name: string, fallback: T) => (node.attrs.has(name) ? (node.attrs.get(name) as T) : fallback),
      hasAttr: (name) => node.attrs.has(name),
      hasInput: (i) => !!node.inputs[i],
      shape: valueShape,
      inShape: (i) => valueShape(node.inputs[i]),
      outShape: (i = 0) => valueShape(node.outputs[i]),
      elemType: valueType,
      x: (i) => readForward(node.inputs[i]),
      y: (i = 0) => readForward(node.outputs[i]),
      values: (i) => {
        const v = node.inputs[i];
        const nums = v ? staticNumbers(g, probe, v) : undefined;
        if (!nums) throw contextError(node, opset, `input ${i} ('${v}') must be a constant or computed from shapes only`);
        return nums;
      },
      floatValues: (i) => {
        const v = node.inputs[i];
        const init = v ? g.initializers.get(v) : undefined;
        if (!init) throw contextError(node, opset, `input ${i} ('${v}') must be a weight stored in the file`);
        return tensorFloat32(init, v);
      },
      maybeValues: (i) => {
        const v = node.inputs[i];
        if (!v) return undefined;
        const nums = staticNumbers(g, probe, v);
        if (!nums) throw contextError(node, opset, `input ${i} ('${v}') must be a constant or computed from shapes only`);
        return nums;
      },
      dy: (i = 0) => dys[i],
      dyOrZeros: (i) => dys[i] ?? ctx.zeros(valueShape(node.outputs[i])),
      op: (opType, inputs, attrs: Record<string, AttrInput | undefined> = {}) => e.op1(opType, inputs, attrs),
      scalar: (v) => e.scalar(v, floatType),
      constant: (dims, values) => e.constant(floatType, dims, values),
      i64: (values) => e.i64(values),
      unbroadcast: (grad, from, to) => unbroadcastWith(e, grad, from, to),
      zeros: (shape) =>
        e.op1('ConstantOfShape', [e.i64(shape)], { value: { t: makeTensor('zero', floatType, [1], [0]) } }),
      fail: (message) => {
        throw contextError(node, opset, message);
      },
    };
    // One gradient per input, built only for the inputs that need one, in input order.
    const inputGrads = entry.rule(ctx) ?? [];
    inputGrads.forEach((make, i) => {
      const v = node.inputs[i];
      if (!make || !v || !path.requiresGrad.has(v)) return;
      const grad = make();
      if (grad === undefined) return;
      if (grad === ZERO) addContribution(v, zerosOf(v, valueShape(v)));
      else if (typeof grad === 'string' && broadcastsInput(entry, i))
        addContribution(v, unbroadcastWith(e, grad, valueShape(node.outputs[0]), valueShape(v)));
      else addContribution(v, grad);
    });
  }

  const gradOutputs = activations.map((a, i) => {
    const gsum = total(a);
    if (!gsum) throw contextError(path.nodes[0] ?? g.nodes[0], opset, `internal: no gradient reached '${a}'`);
    const name = `ll_grad_${i}`;
    e.nodes.push({ name: `ll_out_${i}`, opType: 'Identity', input: [gsum], output: [name] });
    return name;
  });

  const graphInputs = [...usedForward].filter((v) => g.inputs.includes(v));
  const forwardFetches = [...usedForward].filter((v) => !g.inputs.includes(v));
  const vi = (name: string): ValueInfoProto => ({
    name,
    type: { tensorType: { elemType: valueType(name), shape: { dim: valueShape(name).map((d) => ({ dimValue: d })) } } },
  });
  const seedInfo: ValueInfoProto = {
    name: SEED_NAME,
    type: { tensorType: { elemType: valueType(output), shape: { dim: valueShape(output).map((d) => ({ dimValue: d })) } } },
  };
  const model: ModelProto = {
    irVersion: 8,
    producerName: 'layerlens-backward',
    opsetImport: [{ domain: '', version: BACKWARD_OPSET }],
    graph: {
      name: 'layerlens_backward',
      node: e.nodes,
      input: [seedInfo, ...[...usedForward].map(vi)],
      initializer: [...[...usedInitializers].map((n) => g.initializers.get(n)!), ...e.initializers],
      output: activations.map((a, i) => ({
        name: gradOutputs[i],
        type: { tensorType: { elemType: valueType(a) } },
      })),
    },
  };
  return { model, forwardFetches, graphInputs, seedName: SEED_NAME, gradOutputs };
}

function staticNumbers(g: OnnxGraph, probe: Map<string, ProbedValue>, v: string): number[] | undefined {
  const init = g.initializers.get(v);
  if (init) return tensorToNumbers(init, v);
  if (!g.staticValues.has(v)) return undefined;
  return probe.get(v)?.numbers;
}

