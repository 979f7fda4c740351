/** HostTensor ⇄ WireTensor (the element bytes, binary). Pure Node; shared by the engine process and the host. */
import * as os from 'node:os';
import type { HostTensor } from '../engine/tensor/hostTensor';
import { DTYPES, elementCount, isDType } from '../engine/tensor/hostTensor';
import type { WireTensor } from '../shared/engineWire';

const LITTLE_ENDIAN = os.endianness() === 'LE';

export { isDType };

export function toWire(t: HostTensor): WireTensor {
  if (!LITTLE_ENDIAN) throw new Error('big-endian hosts are not supported');
  const whole = t.data.byteOffset === 0 && t.data.byteLength === t.data.buffer.byteLength;
  // Structured clone sends a view's whole buffer: a view into a larger one is copied to exactly its bytes first.
  const data = whole ? new Uint8Array(t.data.buffer) : new Uint8Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength));
  return { dtype: t.dtype, dims: [...t.dims], data };
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
