/**
 * Captum's target semantics, turned into the seed of the backward pass: a mask shaped like the output
 * with a 1 at every selected element, so s = Σ_i out[i, target_i] and ∂s/∂out = mask.
 */
import type { AttributionTarget, BoxEntry, TargetSpec } from '../api';
import { formatTarget, parseTargetText } from '../../shared/targetSpec';
import { LayerLensError } from '../errors';
import { broadcastTo } from '../tensor/broadcast';
import { elementCount } from '../tensor/hostTensor';

function describeTarget(t: AttributionTarget): string {
  if (t.kind === 'mask') return `mask [${t.mask.dims.join(', ')}]`;
  return formatTarget(t) || 'none';
}

/** Flat offsets (into the output tensor) of the selected element of each example. */
export function targetOffsets(target: TargetSpec, outDims: readonly number[]): number[] {
  const fail = (why: string) => new LayerLensError(`target ${describeTarget(target)}: ${why}`, 'target-invalid');
  if (outDims.length === 0) throw fail('the output is a scalar with no batch dimension');
  const n = outDims[0];
  const rest = outDims.slice(1);
  const perExample = rest.reduce((a, b) => a * b, 1);
  const strides = rest.map((_, i) => rest.slice(i + 1).reduce((a, b) => a * b, 1));
  const shapeText = `[${outDims.join(', ')}]`;

  const resolve = (idx: readonly number[]): number => {
    if (idx.length !== rest.length) {
      if (idx.length > rest.length)
        throw fail(`too many indices (${idx.length}) for an output of shape ${shapeText}`);
      throw fail(
        `selects ${rest.length - idx.length} more dimension(s) than it indexes; each example must select one element of the output of shape ${shapeText} (give an index tuple of length ${rest.length})`,
      );
    }
    let off = 0;
    idx.forEach((raw, d) => {
      if (!Number.isInteger(raw)) throw fail(`index ${raw} is not an integer`);
      const size = rest[d];
      const k = raw < 0 ? raw + size : raw;
      if (k < 0 || k >= size) throw fail(`index ${raw} is out of range for dimension ${d + 1} of size ${size} (output shape ${shapeText})`);
      off += k * strides[d];
    });
    return off;
  };

  let within: number[];
  switch (target.kind) {
    case 'none':
      if (perExample !== 1)
        throw fail(`a target is required: each example's output has ${perExample} elements (output shape ${shapeText})`);
      within = new Array(n).fill(0);
      break;
    case 'index':
      if (rest.length === 0) throw fail(`an integer target needs an output of rank 2 or more; this output has shape ${shapeText}`);
      within = new Array(n).fill(resolve([target.index]));
      break;
    case 'tuple':
      within = new Array(n).fill(resolve(target.tuple));
      break;
    case 'perExample':
      if (target.indices.length !== n) throw fail(`gives ${target.indices.length} targets for a batch of ${n}`);
      if (rest.length !== 1) throw fail(`per-example integer targets need a 2-D output; this output has shape ${shapeText}`);
      within = target.indices.map((t) => resolve([t]));
      break;
    case 'tuples':
      if (target.tuples.length !== n) throw fail(`gives ${target.tuples.length} targets for a batch of ${n}`);
      within = target.tuples.map((t) => resolve(t));
      break;
  }
  return within.map((w, i) => i * perExample + w);
}

/**
 * ∂s/∂out for a target: a tensor shaped like the output, so that s = Σ seed ⊙ out (Captum's selection for index
 * targets; ones on the box for boxes; the broadcast mask for masks).
 */
export function buildSeed(target: AttributionTarget, outDims: readonly number[], float64 = false): Float32Array | Float64Array {
  const total = outDims.reduce((a, b) => a * b, 1);
  const seed = float64 ? new Float64Array(total) : new Float32Array(total);
  switch (target.kind) {
    case 'mask':
      seed.set(
        broadcastTo(target.mask, outDims, 'the target mask', (msg) =>
          new LayerLensError(`${msg.replace("the layer's shape", 'the output of shape')} (give one example's shape [${outDims.slice(1).join(', ')}] or the whole output's)`, 'target-invalid'),
        ),
      );
      return seed;
    case 'box':
    case 'boxes': {
      const n = outDims[0] ?? 0;
      const boxes = target.kind === 'box' ? new Array<BoxEntry[]>(n).fill(target.box) : target.boxes;
      const fail = (why: string) => new LayerLensError(`target ${describeTarget(target)}: ${why}`, 'target-invalid');
      if (outDims.length < 2) throw fail(`a box needs an output of rank 2 or more; this output has shape [${outDims.join(', ')}]`);
      if (boxes.length !== n) throw fail(`gives ${boxes.length} boxes for a batch of ${n}`);
      boxes.forEach((box, i) => fillBox(box, outDims, i, seed, fail));
      return seed;
    }
    default:
      for (const off of targetOffsets(target, outDims)) seed[off] += 1;
      return seed;
  }
}

/** Ones on one example's box: each entry an index (negative from the end) or a half-open slice, clamped as Python does. */
function fillBox(box: BoxEntry[], outDims: readonly number[], example: number, seed: Float32Array | Float64Array, fail: (why: string) => LayerLensError): void {
  const rest = outDims.slice(1);
  if (box.length !== rest.length)
    throw fail(`a box needs ${rest.length} entries (one per output dimension after the batch) for an output of shape [${outDims.join(', ')}], got ${box.length}`);
  const ranges = box.map((e, d): [number, number] => {
    const size = rest[d];
    if (typeof e === 'number') {
      const k = e < 0 ? e + size : e;
      if (!Number.isInteger(e) || k < 0 || k >= size) throw fail(`index ${e} is out of range for dimension ${d + 1} of size ${size}`);
      return [k, k + 1];
    }
    const clamp = (v: number | undefined, dflt: number) => (v === undefined ? dflt : Math.min(size, Math.max(0, v < 0 ? v + size : v)));
    return [clamp(e.start, 0), clamp(e.stop, size)];
  });
  const strides = rest.map((_, d) => elementCount(rest.slice(d + 1)));
  const base = example * elementCount(rest);
  const walk = (d: number, off: number) => {
    if (d === ranges.length) {
      seed[off] = 1;
      return;
    }
    for (let k = ranges[d][0]; k < ranges[d][1]; k++) walk(d + 1, off + k * strides[d]);
  };
  walk(0, base);
}

/** Parses the CLI's SPEC (syntax: src/shared/targetSpec.ts); a SPEC it cannot read is a one-line error. */
export function parseTargetSpec(spec: string | undefined): AttributionTarget {
  const t = parseTargetText(spec ?? '');
  if (typeof t === 'string') throw new LayerLensError(`invalid target '${spec}': ${t}`, 'target-invalid');
  return t;
}
