/** HostTensor ⇄ WireTensor (the element bytes, binary). Pure Node; shared by the engine process and the host. */
import * as os from 'node:os';
import type { HostTensor } from '../engine/tensor/hostTensor';
import { DTYPES, elementCount, isDType } from '../engine/tensor/hostTensor';
import type { WireTensor } from '../shared/engineWire';

const LITTLE_ENDIAN = os.endianness() === 'LE';

export { isDType };

/**
 * `view` itself when it spans its whole buffer, else a copy of exactly its bytes: structured clone (Node IPC,
 * postMessage) sends a view's whole buffer, which for a view into a larger one is more than it holds.
 */
export function ownBuffer<T extends ArrayBufferView>(view: T): T {
  if (view.byteOffset === 0 && view.byteLength === view.buffer.byteLength) return view;
  const ctor = view.constructor as new (b: ArrayBuffer) => T;
  return new ctor(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength) as ArrayBuffer);
}

export function toWire(t: HostTensor): WireTensor {
  if (!LITTLE_ENDIAN) throw new Error('big-endian hosts are not supported');
  const own = ownBuffer(t.data);
  return { dtype: t.dtype, dims: [...t.dims], data: new Uint8Array(own.buffer) };
}

/** Decodes a wire tensor; throws a plain Error (the caller words it) when it is malformed. */
export function fromWire(w: WireTensor): HostTensor {
  if (!w || typeof w !== 'object') throw new Error('tensor: not an object');
  if (!isDType(w.dtype)) throw new Error(`tensor: unknown dtype '${String(w.dtype)}'`);
  if (!Array.isArray(w.dims) || !w.dims.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error('tensor: invalid dims');
  if (typeof w.data !== 'string' && !(w.data instanceof Uint8Array)) throw new Error('tensor: data must be bytes (a Uint8Array or base64 text)');
  const ctor = DTYPES[w.dtype].ctor;
  const raw = typeof w.data === 'string' ? Buffer.from(w.data, 'base64') : w.data;
  const n = elementCount(w.dims);
  if (raw.length !== n * ctor.BYTES_PER_ELEMENT) throw new Error(`tensor: ${raw.length} bytes for ${w.dtype}[${w.dims.join(',')}]`);
  // Bytes that arrived over IPC own their buffer: view them when aligned.
  if (typeof w.data !== 'string' && raw.byteOffset % ctor.BYTES_PER_ELEMENT === 0) return { dtype: w.dtype, dims: [...w.dims], data: new ctor(raw.buffer as ArrayBuffer, raw.byteOffset, n) };
  // Otherwise copy into a fresh, aligned buffer: Buffer.from(base64) may share an unaligned pool slab.
  const ab = new ArrayBuffer(raw.length);
  new Uint8Array(ab).set(raw);
  return { dtype: w.dtype, dims: [...w.dims], data: new ctor(ab, 0, n) };
}

/** Float32 view of a float32 wire tensor's data (the usual attribution payload). */
export function wireFloat32(w: WireTensor): Float32Array {
  const t = fromWire(w);
  if (!(t.data instanceof Float32Array)) throw new Error(`tensor: expected float32, got ${t.dtype}`);
  return t.data;
}
