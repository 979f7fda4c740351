/**
 * Helpers the rule families share: small array arithmetic, static values, the unary-rule registration, axes,
 * the window geometry of Conv and pooling, and the adjoint of per-axis index maps (Slice, Pad, Gather, crops).
 */
import { LayerLensError } from '../../errors';
import { ElemType } from '../../onnx/proto';
import type { GradValue, VjpContext } from '../context';
import { RuleSpec, registerRules } from '../registry';

export const prod = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
/** [a, a + 1, …, b − 1]. */
export const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

/** A memoized thunk: work several input gradients share is emitted once, and only if one of them is built. */
export function once<T>(make: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = make();
      done = true;
    }
    return value;
  };
}

/** Compile-time values of input i (constant or computed from shapes only), or undefined when computed at run time. */
export function staticValues(c: VjpContext, i: number): number[] | undefined {
  try {
    return c.values(i);
  } catch (err) {
    if (err instanceof LayerLensError) return undefined;
    throw err;
  }
}

/**
 * Registers ops whose only differentiable input is input 0 and whose gradient reads output 0's: `grad` runs only
 * when input 0 needs a gradient and output 0 has one.
 */
export function singleInput(opTypes: string | string[], spec: RuleSpec, grad: (c: VjpContext, dy: string) => GradValue): void {
  registerRules(typeof opTypes === 'string' ? [opTypes] : opTypes, spec, (c) => {
    const dy = c.dy(0);
    if (dy) return [() => grad(c, dy)];
  });
}

/** Registers unary ops whose gradient is dy times a local derivative `d`. */
export function unary(opTypes: string | string[], spec: RuleSpec, d: (c: VjpContext) => string): void {
  singleInput(opTypes, spec, (c, dy) => c.op('Mul', [dy, d(c)]));
}

/** Resolves a possibly negative axis, failing clearly when it is out of range. */
export function normAxis(c: VjpContext, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) c.fail(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

// ---------------------------------------------------------------------------------------------------------
// Windows (Conv, ConvTranspose, pooling).
// ---------------------------------------------------------------------------------------------------------

/** A strided, dilated, padded window over the spatial axes (what Conv, ConvTranspose and pooling share). */
export interface SpatialWindow {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** Resolved begin pads (one per spatial axis). */
  padBegin: number[];
}

/** `attr` as a list of `rank` integers, or `fallback` repeated when absent or empty. */
export function intsAttr(c: VjpContext, name: string, rank: number, fallback: number): number[] {
  const v = c.attr<number[] | undefined>(name, undefined);
  if (!v || !v.length) return new Array<number>(rank).fill(fallback);
  if (v.length !== rank) c.fail(`attribute ${name}=[${v}] does not have ${rank} values`);
  return v;
}

/**
 * Begin/end pads of a window read (Conv, pooling) after auto_pad, as onnxruntime resolves them:
 * SAME_* pads to ceil(in/stride) outputs, the odd unit at the end (UPPER) or the beginning (LOWER).
 * `sameKernel` is the extent SAME padding is computed with (onnxruntime's pooling uses the undilated kernel).
 */
export function resolveReadPads(
  c: VjpContext,
  inSp: number[],
  strides: number[],
  sameKernel: number[],
): { begin: number[]; end: number[] } {
  const r = inSp.length;
  const autoPad = c.attr<string>('auto_pad', 'NOTSET') || 'NOTSET';
  if (autoPad === 'NOTSET') {
    const pads = intsAttr(c, 'pads', 2 * r, 0);
    return { begin: pads.slice(0, r), end: pads.slice(r) };
  }
  if (autoPad === 'VALID') return { begin: new Array<number>(r).fill(0), end: new Array<number>(r).fill(0) };
  if (autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') c.fail(`attribute auto_pad=${autoPad} is not supported`);
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < r; i++) {
    const need = (Math.ceil(inSp[i] / strides[i]) - 1) * strides[i] + sameKernel[i] - inSp[i];
    // C++ integer division truncates toward zero (need can be negative when kernel < stride).
    const head = autoPad === 'SAME_LOWER' ? Math.trunc((need + 1) / 2) : Math.trunc(need / 2);
    begin.push(head);
    end.push(need - head);
  }
  return { begin, end };
}

/**
 * The adjoint of a window read: scatters `g` (shaped like the read's output, spatial `outSp`) back onto the
 * read's input positions (spatial `inSp`) through weight `w` laid out as ConvTranspose wants it. The end pad
 * and output_padding are chosen so the result has exactly `inSp` (taps past the input are cropped).
 */
export function windowAdjoint(
  c: VjpContext,
  g: string,
  w: string,
  inSp: number[],
  outSp: number[],
  win: SpatialWindow,
  group: number,
): string {
  const endPads: number[] = [];
  const outputPadding: number[] = [];
  inSp.forEach((n, i) => {
    // One past the last input position the last window reaches.
    const reach = (outSp[i] - 1) * win.strides[i] + (win.kernel[i] - 1) * win.dilations[i] + 1 - win.padBegin[i];
    endPads.push(Math.max(0, reach - n));
    outputPadding.push(Math.max(0, n - reach));
  });
  const attrs: Record<string, number | number[]> = {
    kernel_shape: win.kernel,
    strides: win.strides,
    dilations: win.dilations,
    pads: [...win.padBegin, ...endPads],
    group,
  };
  // Always below the stride for non-negative end pads; onnxruntime rejects output_padding ≥ max(stride, dilation).
  if (outputPadding.some((p, i) => p >= Math.max(win.strides[i], win.dilations[i])))
    c.fail(`the input tail [${outputPadding}] left unread by the windows is too long to differentiate`);
  if (outputPadding.some((p) => p > 0)) attrs.output_padding = outputPadding;
  return c.op('ConvTranspose', [g, w], attrs);
}

// ---------------------------------------------------------------------------------------------------------
// Index-map adjoints: the forward reads, along one axis, input index map[o] into output position o (or
// nothing when map[o] is -1); the adjoint sums dy[o] into dx[map[o]].
// ---------------------------------------------------------------------------------------------------------

export interface AxisMap {
  axis: number;
  /** map[o] = input index read by output position o, or -1 when o reads no input (a constant fill). */
  map: number[];
  /** The input's length along the axis. */
  inDim: number;
}

interface Contiguous {
  /** Output positions [o0, o1) read input positions [a, a + o1 - o0), in order; the rest read nothing. */
  o0: number;
  o1: number;
  a: number;
}

function contiguous(m: AxisMap): Contiguous | undefined {
  const o0 = m.map.findIndex((v) => v >= 0);
  if (o0 < 0) return undefined;
  let o1 = o0;
  while (o1 < m.map.length && m.map[o1] === m.map[o0] + (o1 - o0)) o1++;
  for (let o = o1; o < m.map.length; o++) if (m.map[o] >= 0) return undefined;
  return { o0, o1, a: m.map[o0] };
}

/**
 * Applies the transposed index maps to `g` (of shape `shape`, whose dim along each map's axis is map.length)
 * and returns a tensor whose dims along those axes are the maps' inDim. Exact: only copies and additions.
 */
export function adjointIndexMaps(c: VjpContext, g: string, shape: readonly number[], maps: AxisMap[]): string {
  const cur = [...shape];
  const outShape = [...shape];
  for (const m of maps) outShape[m.axis] = m.inDim;
  const trivial = (m: AxisMap) => m.map.length === m.inDim && m.map.every((v, i) => v === i);
  const active = maps.filter((m) => !trivial(m));
  if (!active.length) return g;
  // No element reaches the output: the gradient is zero.
  if (prod(shape) === 0 || active.some((m) => m.map.every((v) => v < 0))) return c.zeros(outShape);

  // Contiguous, ordered maps (Slice with step 1, constant Pad, cropping) become one Slice and one Pad.
  const rank = shape.length;
  const starts: number[] = [];
  const ends: number[] = [];
  const axes: number[] = [];
  const pads = new Array<number>(2 * rank).fill(0);
  const rest: AxisMap[] = [];
  for (const m of active) {
    const run = contiguous(m);
    if (!run) {
      rest.push(m);
      continue;
    }
    if (run.o0 > 0 || run.o1 < m.map.length) {
      starts.push(run.o0);
      ends.push(run.o1);
      axes.push(m.axis);
    }
    pads[m.axis] = run.a;
    pads[rank + m.axis] = m.inDim - run.a - (run.o1 - run.o0);
    cur[m.axis] = m.inDim;
  }
  if (axes.length) g = c.op('Slice', [g, c.i64(starts), c.i64(ends), c.i64(axes)]);
  if (pads.some((p) => p !== 0)) g = c.op('Pad', [g, c.i64(pads)]);

  for (const m of rest) {
    const valid = m.map.filter((v) => v >= 0);
    if (new Set(valid).size === valid.length) {
      // Injective (e.g. a strided or reversed Slice): dx is a Gather of dy, unread inputs take a zero slot.
      const zeroSlot = m.map.length;
      const inv = new Array<number>(m.inDim).fill(zeroSlot);
      m.map.forEach((v, o) => v >= 0 && (inv[v] = o));
      let src = g;
      if (inv.includes(zeroSlot)) {
        const slab = [...cur];
        slab[m.axis] = 1;
        src = c.op('Concat', [g, c.zeros(slab)], { axis: m.axis });
      }
      g = c.op('Gather', [src, c.i64(inv)], { axis: m.axis });
    } else {
      // Inputs read several times (reflect/edge/wrap Pad): scatter-add dy; unread positions go to a dummy slot.
      const dummy = valid.length < m.map.length ? 1 : 0;
      const idxDims = cur.map((d, i) => (i === m.axis ? d : 1));
      const idx = c.e.constant(ElemType.INT64, idxDims, m.map.map((v) => (v >= 0 ? v : m.inDim)));
      const target = [...cur];
      target[m.axis] = m.inDim + dummy;
      g = c.op('ScatterElements', [c.zeros(target), c.op('Expand', [idx, c.i64(cur)]), g], {
        axis: m.axis,
        reduction: 'add',
      });
      if (dummy) g = c.op('Slice', [g, c.i64([0]), c.i64([m.inDim]), c.i64([m.axis])]);
    }
    cur[m.axis] = m.inDim;
  }
  return g;
}
