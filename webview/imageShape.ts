/** Image facts read from a tensor's shape (pure: unit-tested without a DOM). */

/** [height, width] of an image tensor [N, C, H, W] or [N, H, W, C]; undefined for other shapes. */
export function modelPixels(dims: readonly number[], layout: 'nchw' | 'nhwc'): [number, number] | undefined {
  if (dims.length !== 4) return undefined;
  return layout === 'nhwc' ? [dims[1], dims[2]] : [dims[2], dims[3]];
}
