/**
 * What-if ablation's one tensor operation: a copy of a layer value with some channels set to a constant.
 * Pure (no onnxruntime): the session runs the patched forward with the result.
 */
import { LayerLensError } from '../../errors';
import type { HostTensor } from '../../tensor/hostTensor';

export function ablateChannels(t: HostTensor, channelAxis: number, channels: readonly number[], baseline = 0): HostTensor {
  if (t.dtype !== 'float32') throw new LayerLensError(`channels of a ${t.dtype} value cannot be ablated (float32 only)`, 'invalid-argument');
  const rank = t.dims.length;
  const axis = channelAxis < 0 ? rank + channelAxis : channelAxis;
  if (!Number.isInteger(axis) || axis < 0 || axis >= rank)
    throw new LayerLensError(`channel axis ${channelAxis} is out of range for a value of shape [${t.dims.join(', ')}]`, 'invalid-argument');
  const count = t.dims[axis];
  for (const c of channels)
    if (!Number.isInteger(c) || c < 0 || c >= count)
      throw new LayerLensError(`channel ${c} is out of range: axis ${axis} of [${t.dims.join(', ')}] has ${count} channels`, 'invalid-argument');
  if (!Number.isFinite(baseline)) throw new LayerLensError(`the ablation baseline must be a finite number, got ${baseline}`, 'invalid-argument');
  const inner = t.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = t.dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const data = new Float32Array(t.data as Float32Array);
  const off = [...new Set(channels)];
  for (let o = 0; o < outer; o++)
    for (const c of off) {
      const start = (o * count + c) * inner;
      data.fill(baseline, start, start + inner);
    }
  return { dtype: 'float32', dims: [...t.dims], data };
}
