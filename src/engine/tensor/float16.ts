/** IEEE-754 binary16 ⇄ numbers: the one float16 codec (.npy files, ONNX tensors, float16 models). */

/** Converts one binary16 bit pattern to a number. */
export function float16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Converts float16 bit patterns (as stored in a float16 HostTensor) to float32 values. */
export function float16BitsToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = float16ToNumber(bits[i]);
  return out;
}

/** The binary16 bit pattern of a number, rounded to nearest (ties away from zero); overflow gives ±Infinity. */
export function numberToFloat16(v: number): number {
  const f32 = new Float32Array([v]);
  const u = new Uint32Array(f32.buffer)[0];
  const sign = (u >> 16) & 0x8000;
  const e = ((u >> 23) & 0xff) - 127 + 15;
  let m = u & 0x7fffff;
  if (((u >> 23) & 0xff) === 0xff) return sign | 0x7c00 | (m ? 0x200 : 0);
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    m = (m | 0x800000) >> (1 - e);
    return sign | ((m + 0x1000) >> 13);
  }
  return sign | (e << 10) | ((m + 0x1000) >> 13);
}
