/**
 * The host's thin layer over src/shared/protocol.ts: checking what the webview sends, and turning engine
 * answers (wire tensors, engine errors) into protocol payloads. Pure (no `vscode`), unit-tested.
 */
import { LayerLensError } from '../engine/errors';
import { fromWire, toWire } from '../engineProcess/wire';
import type { WireAttributeResult, WireInputRef, WireLoadInputResult, WireMethodSpec } from '../shared/engineWire';
import type { HostTensor } from '../engine/tensor/hostTensor';
import {
  AttributeResponse,
  AttributionMethodSpec,
  ErrorInfo,
  InputInfo,
  TensorPayload,
  WebviewToHostMessage,
  errorResponseOf,
  requestIdOf,
  validateWebviewMessage,
  type ResponseMessage,
} from '../shared/protocol';
import type { PredictResult } from '../engine/api';
import { mapViewTensors } from '../shared/outputView';
import type { AttributeTarget, PredictResponse, ViewTensor } from '../shared/protocol';
import { EngineError } from './engineClient';
import { S } from './strings';

export type Checked = { ok: true; message: WebviewToHostMessage } | { ok: false; reason: string; reply?: ResponseMessage<never> };

/** Every message from the webview goes through here first; a refused request with an id gets an error reply. */
export function checkWebviewMessage(raw: unknown): Checked {
  const res = validateWebviewMessage(raw);
  if (typeof res !== 'string') return { ok: true, message: res };
  const id = requestIdOf(raw);
  return { ok: false, reason: res, reply: id !== undefined ? errorResponseOf(id, { message: S.invalidMessage(res), code: 'invalid-message' }) : undefined };
}

/**
 * The engine's result as the webview gets it. A result asked for with `display` (WireAttributeParams) arrives as
 * `shown` — large rank-4 tensors in their display form (the sum over channels, the channel totals and the top
 * channels as thumbnails: src/shared/displayTensor.ts), the engine keeping the whole; otherwise the tensors are whole.
 */
export function attributeResponse(layerIds: string[], res: WireAttributeResult): AttributeResponse {
  return {
    layers: layerIds.map((layerId, L) => ({
      layerId,
      tensors: res.shown
        ? res.shown[L].map((t, K) => ({ dims: t.dims, data: t.data, ...(t.reduced ? { reduced: t.reduced } : {}), valueName: res.valueNames[L][K] }))
        : res.attributions[L].map((w, K) => {
            const t = fromWire(w);
            if (!(t.data instanceof Float32Array)) throw new Error(`attribution ${L}/${K} is ${t.dtype}, not float32`);
            return { dims: t.dims, data: t.data, valueName: res.valueNames[L][K] };
          }),
    })),
    output: { name: res.outputName, dims: res.output.dims },
    provider: res.provider,
    providerNotes: res.providerNotes,
    timings: res.timings,
    ...(res.delta ? { delta: float32Payload(res.delta) } : {}),
  };
}

function float32Payload(w: WireAttributeResult['output']): TensorPayload {
  const t = fromWire(w);
  return { dims: t.dims, data: t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>, Number) };
}

/**
 * The webview's method spec as the engine's wire spec: the same fields, with the constant baseline as one tensor
 * per graph input (of that input's shape and type; zeros are the engine's default and are not sent) and the layer
 * mask as a wire tensor.
 */
export function wireMethod(m: AttributionMethodSpec, inputs: { dims: number[]; dtype: string }[]): WireMethodSpec {
  const { baseline, layerMask, ...plain } = m;
  const spec: WireMethodSpec = { ...plain };
  if (baseline !== undefined && baseline !== 0) spec.baselines = inputs.map((x, i) => constantInput(baseline, x, i));
  if (layerMask) spec.layerMask = toWire({ dtype: 'float32', dims: [...layerMask.dims], data: layerMask.data });
  return spec;
}

function constantInput(value: number, x: { dims: number[]; dtype: string }, i: number): WireInputRef {
  const n = x.dims.reduce((a, b) => a * b, 1);
  let t: HostTensor;
  if (x.dtype === 'float32') t = { dtype: 'float32', dims: [...x.dims], data: new Float32Array(n).fill(value) };
  else if (x.dtype === 'int64' && Number.isInteger(value)) t = { dtype: 'int64', dims: [...x.dims], data: new BigInt64Array(n).fill(BigInt(value)) };
  else throw Object.assign(new Error(S.baselineDtype(i, x.dtype, value)), { code: 'invalid-argument' });
  return { tensor: toWire(t) };
}

export function inputInfo(name: string, kind: 'image' | 'npy', res: WireLoadInputResult): InputInfo {
  const info: InputInfo = { name, kind, tensorDims: res.tensor.dims, dtype: res.tensor.dtype };
  if (res.preview) {
    const bytes = Buffer.from(res.preview.rgba, 'base64');
    // A fresh, whole buffer so postMessage can move it.
    const rgba = new Uint8Array(bytes.length);
    rgba.set(bytes);
    info.image = { width: res.preview.width, height: res.preview.height, rgba };
  }
  if (res.preprocess) info.preprocess = res.preprocess;
  return info;
}

/** A float32 payload from the webview as the engine's tensor type (for `.npy` export). */
export function payloadTensor(t: TensorPayload): { dtype: 'float32'; dims: number[]; data: Float32Array } {
  return { dtype: 'float32', dims: [...t.dims], data: t.data };
}

/** One-line error info for the webview; node and op come from the engine's error fields. */
export function errorInfo(e: unknown): ErrorInfo {
  const message = e instanceof Error ? e.message : String(e);
  const info: ErrorInfo = { message: message.replace(/\s*\n\s*/g, ' ').trim() };
  const code = (e as { code?: unknown } | null)?.code;
  if (e instanceof EngineError || (e instanceof Error && typeof code === 'string')) info.code = code as string;
  const where: { node?: string; op?: string } = e instanceof EngineError ? e.where : e instanceof LayerLensError ? e : {};
  if (where.node !== undefined) info.node = where.node;
  if (where.op !== undefined) info.op = where.op;
  return info;
}

/** `data:image/png;base64,…` or PNG bytes → bytes. (The protocol validator has checked the form.) */
export function pngBytes(png: Uint8Array | string): Uint8Array {
  if (typeof png !== 'string') return png;
  return new Uint8Array(Buffer.from(png.slice(png.indexOf(',') + 1), 'base64'));
}

/** The webview's target as the engine's: a mask travels as its bytes (uint8 0/1, or float32 weights). */
export function wireTarget(t: AttributeTarget) {
  if (t.kind !== 'mask') return t;
  const { dims, data } = t.mask;
  return { kind: 'mask' as const, mask: toWire(data instanceof Uint8Array ? { dtype: 'uint8', dims: [...dims], data } : { dtype: 'float32', dims: [...dims], data }) };
}

/** Predictions as the webview takes them: the view's tensors (a class map, an image) as plain typed arrays. */
export function predictResponse(res: PredictResult): PredictResponse {
  const { view, ...rest } = res;
  return { ...rest, ...(view ? { view: mapViewTensors(view, viewTensor) } : {}) };
}

function viewTensor(t: HostTensor): ViewTensor {
  if (!(t.data instanceof Uint8Array || t.data instanceof Int32Array || t.data instanceof Float32Array)) throw new Error(`an output view's tensor is ${t.dtype}, not uint8, int32 or float32`);
  return { dtype: t.dtype, dims: [...t.dims], data: t.data };
}
