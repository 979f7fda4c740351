/**
 * How an image becomes a model input for a given model: the model's own metadata (`layerlens.preprocess`),
 * the per-model sidecar the extension writes (`<model>.layerlens.json`), or what the input shape implies.
 */
import * as fs from 'node:fs';
import type { ModelSession } from './modelSession';
import { IMAGE_PRESETS, type ImagePreprocess } from '../shared/preprocess';

export function sidecarPath(modelPath: string): string {
  return `${modelPath}.layerlens.json`;
}

export function parsePreprocess(text: string): ImagePreprocess | undefined {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    if (!v || typeof v !== 'object') return undefined;
    const p = (v.preprocess && typeof v.preprocess === 'object' ? v.preprocess : v) as Record<string, unknown>;
    const out: ImagePreprocess = {};
    const nums = (x: unknown) => (Array.isArray(x) && x.every((n) => typeof n === 'number') ? (x as number[]) : undefined);
    const size = nums(p.size);
    if (size && size.length === 2) out.size = [size[0], size[1]];
    if (p.channels === 1 || p.channels === 3) out.channels = p.channels;
    const range = nums(p.range);
    if (range && range.length === 2) out.range = [range[0], range[1]];
    if (nums(p.mean)) out.mean = nums(p.mean);
    if (nums(p.std)) out.std = nums(p.std);
    if (p.layout === 'nchw' || p.layout === 'nhwc') out.layout = p.layout;
    if (p.channelOrder === 'rgb' || p.channelOrder === 'bgr') out.channelOrder = p.channelOrder;
    if (p.resize === 'stretch' || p.resize === 'center-crop') out.resize = p.resize;
    return out;
  } catch {
    return undefined;
  }
}

/** What the input's declared shape implies: layout, channels and size when they are static. */
function preprocessFromShape(dims: (number | string | null)[] | undefined): ImagePreprocess {
  if (!dims || dims.length !== 4) return {};
  const [, a, b, c] = dims;
  if (a === 1 || a === 3) {
    return { layout: 'nchw', channels: a, ...(typeof b === 'number' && typeof c === 'number' ? { size: [b, c] as const } : {}) };
  }
  if (c === 1 || c === 3) {
    return { layout: 'nhwc', channels: c, ...(typeof a === 'number' && typeof b === 'number' ? { size: [a, b] as const } : {}) };
  }
  return {};
}

/**
 * A model with one 3×224×224 image input and 1000 (or 1001) classes was almost surely trained as torchvision's
 * ImageNet models are: aspect kept (centre crop), [0,1] then ImageNet's mean and std. Stretching a photo and
 * leaving it unnormalised gives such a model inputs it never saw.
 */
export function looksImageNetShaped(inputDims: (number | string | null)[] | undefined, outputDims: (number | string | null)[] | undefined, inputCount: number): boolean {
  const shape = preprocessFromShape(inputDims);
  const classes = outputDims?.length === 2 ? outputDims[1] : undefined;
  return inputCount === 1 && shape.channels === 3 && shape.size?.[0] === 224 && shape.size?.[1] === 224 && (classes === 1000 || classes === 1001);
}

export function modelPreprocess(session: ModelSession, inputIndex = 0): { preprocess: ImagePreprocess; source: string } {
  const fromShape = preprocessFromShape(session.inputs[inputIndex]?.shape);
  try {
    const side = parsePreprocess(fs.readFileSync(sidecarPath(session.model.path), 'utf8'));
    if (side) return { preprocess: { ...fromShape, ...side }, source: 'sidecar' };
  } catch {
    // no sidecar
  }
  const meta = (session.model.proto.metadataProps ?? []).find((p) => p.key === 'layerlens.preprocess');
  const fromMeta = meta?.value ? parsePreprocess(meta.value) : undefined;
  if (fromMeta) return { preprocess: { ...fromShape, ...fromMeta }, source: 'model metadata' };
  if (looksImageNetShaped(session.inputs[inputIndex]?.shape, session.outputs[0]?.shape, session.inputs.length)) {
    const { range, mean, std } = IMAGE_PRESETS.imagenet;
    return {
      preprocess: { ...fromShape, resize: 'center-crop', range: [range![0], range![1]], mean: [...mean!], std: [...std!] },
      source: 'input shape (ImageNet-shaped: 3×224×224 in, 1000 classes out → ImageNet mean/std, centre crop)',
    };
  }
  return { preprocess: fromShape, source: 'input shape' };
}
