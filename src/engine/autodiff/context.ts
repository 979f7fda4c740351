/**
 * What a VJP rule sees: the forward node, static shapes, forward values and output gradients, and the emitter.
 * A rule returns its input gradients (see registry.ts); the builder decides which are needed and sums them.
 */
import { LayerLensError } from '../errors';
import type { GraphNode } from '../onnx/graph';
import type { AttrInput, Emitter } from './emitter';

export interface VjpContext {
  readonly node: GraphNode;
  /** The model's default-domain opset (the forward node's semantics). */
  readonly opset: number;
  readonly e: Emitter;

  attr<T>(name: string, fallback: T): T;
  hasAttr(name: string): boolean;
  /** Number of real (non-empty) inputs the node was given. */
  readonly inputCount: number;
  /** Whether optional input i is present. */
  hasInput(i: number): boolean;

  shape(value: string): number[];
  inShape(i: number): number[];
  outShape(i?: number): number[];
  elemType(value: string): number;
  /** Element type of the gradients (the float type of the node's first float input/output). */
  readonly floatType: number;

  /** Forward input i, readable in the backward graph. */
  x(i: number): string;
  /** Forward output i, readable in the backward graph. */
  y(i?: number): string;
  /** Compile-time values of input i (must be static: constant or computed from shapes only). */
  values(i: number): number[];
  /** A weight's values (input i must be an initializer), unboxed; read-only. */
  floatValues(i: number): Float32Array;
  /** Like `values`, but undefined for an absent optional input. */
  maybeValues(i: number): number[] | undefined;

  /** Gradient flowing into output i, or undefined when nothing downstream uses it. */
  dy(i?: number): string | undefined;
  /** Gradient of output i, zeros when nothing downstream uses it. */
  dyOrZeros(i: number): string;

  // Helpers every family uses.
  op(opType: string, inputs: string[], attrs?: Record<string, AttrInput | undefined>): string;
  /** A float constant of the gradient's element type. */
  scalar(v: number): string;
  constant(dims: number[], values: ArrayLike<number>): string;
  i64(values: number[]): string;
  /** Sums `grad` (shaped `from`) over broadcast axes so it has shape `to` (numpy broadcasting). */
  unbroadcast(grad: string, from: number[], to: number[]): string;
  zeros(shape: number[]): string;
  fail(message: string): never;
}

/**
 * What a rule's thunk returns for one input: its gradient (shaped like the input, or like output 0 where the rule
 * registers as broadcasting), a placed slab, or `ZERO` — an explicit zero gradient in the input's own element type,
 * so an activation whose only path runs through a piecewise-constant op still gets one.
 */
export type GradValue = string | Placement | typeof ZERO;
export const ZERO: unique symbol = Symbol('zero gradient');

export function unsupported(c: VjpContext, what: string): never {
  return c.fail(`${what} is not supported for differentiation`);
}

/** Shared implementation detail: broadcasting reduction with ReduceSum (axes as input, opset ≥ 13). */
export function unbroadcastWith(e: Emitter, grad: string, from: number[], to: number[]): string {
  if (sameShape(from, to)) return grad;
  const lead = from.length - to.length;
  const axes: number[] = [];
  for (let i = 0; i < from.length; i++) {
    const t = i - lead;
    if (t < 0 || (to[t] === 1 && from[i] !== 1)) axes.push(i);
  }
  let g = grad;
  if (axes.length) g = e.op1('ReduceSum', [g, e.i64(axes)], { keepdims: 1 });
  if (lead > 0 || axes.length) g = e.op1('Reshape', [g, e.i64(to)]);
  return g;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function contextError(node: GraphNode, opset: number, message: string): LayerLensError {
  return new LayerLensError(`${node.opType} node '${node.name}' (opset ${opset}): ${message}`, 'unsupported-op', {
    node: node.name,
    op: node.domain ? `${node.domain}.${node.opType}` : node.opType,
  });
}

/**
 * A gradient slab ([pre, length, post]) placed at [start, start + length) of an input viewed as [pre, n, post]
 * (zeros elsewhere): what a Gather or Slice of a contiguous range sends back. Placements into one value that tile
 * disjoint ranges (q, k, v picked from one tensor) join in one Concat instead of being padded and summed.
 */
export interface Placement {
  slab: string;
  view: [number, number, number];
  start: number;
  length: number;
}

