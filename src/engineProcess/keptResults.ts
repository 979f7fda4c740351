/**
 * Whole attribution tensors the engine process keeps after answering with their display form
 * (WireAttributeParams.display): the host and the webview get what they draw, and a tensor crosses whole only
 * when it is exported, or one channel of it at full size when a tile is chosen. The newest results are kept, within
 * a count and a byte budget; an evicted one is a one-line error that says what to do.
 */
import { LayerLensError } from '../engine/errors';
import type { HostTensor } from '../engine/tensor/hostTensor';
import { channelPlane } from '../shared/displayTensor';
import type { WireChannelPlane } from '../shared/engineWire';

export const KEPT_RESULTS_MAX = 16;
export const KEPT_RESULTS_MAX_BYTES = 512 * 2 ** 20;

export class KeptResults {
  private readonly results = new Map<number, { tensors: HostTensor[][]; bytes: number }>();
  private next = 1;
  private bytes = 0;

  constructor(
    private readonly maxResults = KEPT_RESULTS_MAX,
    private readonly maxBytes = KEPT_RESULTS_MAX_BYTES,
  ) {}

  /** Keeps `tensors` (attributions[L][K]) and returns their id; evicts the oldest beyond the bounds (never the new one). */
  keep(tensors: HostTensor[][]): number {
    const id = this.next++;
    const bytes = tensors.flat().reduce((a, t) => a + t.data.byteLength, 0);
    this.results.set(id, { tensors, bytes });
    this.bytes += bytes;
    for (const [old, r] of this.results) {
      if (old === id || (this.results.size <= this.maxResults && this.bytes <= this.maxBytes)) break;
      this.results.delete(old);
      this.bytes -= r.bytes;
    }
    return id;
  }

  get size(): number {
    return this.results.size;
  }

  tensor(kept: number, layer: number, k: number): HostTensor {
    const t = this.results.get(kept)?.tensors[layer]?.[k];
    if (!t) throw new LayerLensError('that result is no longer kept by the engine: attribute again', 'invalid-argument');
    return t;
  }

  /** One channel of one example of a kept rank-4 float32 result, at full size. */
  channel(kept: number, layer: number, k: number, example: number, channel: number, channelsLast: boolean): WireChannelPlane {
    const t = this.tensor(kept, layer, k);
    if (t.dims.length !== 4 || !(t.data instanceof Float32Array)) throw new LayerLensError(`a [${t.dims.join(', ')}] result has no channels to show one of`, 'invalid-argument');
    const [n, c] = channelsLast ? [t.dims[0], t.dims[3]] : [t.dims[0], t.dims[1]];
    if (!Number.isInteger(example) || !Number.isInteger(channel) || example < 0 || channel < 0 || example >= n || channel >= c)
      throw new LayerLensError(`no channel ${channel} of example ${example} in a [${t.dims.join(', ')}] result`, 'invalid-argument');
    const dims = channelsLast ? [t.dims[1], t.dims[2]] : [t.dims[2], t.dims[3]];
    return { dims, data: channelPlane(t.dims, t.data, channelsLast, example, channel) };
  }
}
