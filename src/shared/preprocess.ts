/**
 * How an image becomes a model input: the one preprocessing type of the engine (src/engine/tensor/image.ts applies
 * it), the engine process's wire, the host (the sidecar file, the inspector's state), the webview's form and the
 * CLI's flags. Pure: no Node, no DOM.
 */

export interface ImagePreprocess {
  /** Output `[height, width]`; omitted: keep the image's own size. */
  size?: readonly [number, number];
  /** How `size` is reached: `stretch` (ignore aspect ratio, default) or `center-crop` (scale to cover, crop the centre). */
  resize?: 'stretch' | 'center-crop';
  /** 3 (colour, default) or 1 (grayscale). */
  channels?: 1 | 3;
  /** Channel order for 3-channel output (default `rgb`). */
  channelOrder?: 'rgb' | 'bgr';
  /** Pixel values 0..255 are mapped linearly onto `[lo, hi]` (default `[0, 1]`). */
  range?: readonly [number, number];
  /** Per-channel mean subtracted after range mapping (one value, or one per channel, in output channel order). */
  mean?: readonly number[];
  /** Per-channel std divided by after mean subtraction (one value, or one per channel). */
  std?: readonly number[];
  /** Output layout (default `nchw`). */
  layout?: 'nchw' | 'nhwc';
}

export type ImagePresetName = 'imagenet' | 'unit' | 'symmetric';

/** Value mappings by name (the CLI's `--preset`, the inspector's preset buttons). */
export const IMAGE_PRESETS: Readonly<Record<ImagePresetName, Readonly<ImagePreprocess>>> = Object.freeze({
  /** torchvision's ImageNet normalisation: RGB in [0,1], then mean/std. */
  imagenet: Object.freeze({
    range: Object.freeze([0, 1]) as readonly [number, number],
    mean: Object.freeze([0.485, 0.456, 0.406]),
    std: Object.freeze([0.229, 0.224, 0.225]),
  }),
  /** Plain [0,1]. */
  unit: Object.freeze({ range: Object.freeze([0, 1]) as readonly [number, number] }),
  /** [-1,1], as used by many GAN/TF-style models. */
  symmetric: Object.freeze({ range: Object.freeze([-1, 1]) as readonly [number, number] }),
});
