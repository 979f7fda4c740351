/**
 * The one message protocol between the extension host and the inspector webview.
 *
 * Three envelopes cross `postMessage`:
 *   webview → host  `{ kind: 'request', id, method, params }`
 *   host → webview  `{ kind: 'response', id, result }` or `{ kind: 'response', id, error }`
 *   host → webview  `{ kind: 'event', name, payload }`
 * Bulk data (images, attribution tensors, exported files) travels as typed arrays, never as number lists.
 *
 * The host must pass every incoming message through `validateWebviewMessage` before acting on it: a webview
 * is a web page, and its messages are untrusted input. This file is pure (no DOM, no Node, no `vscode`).
 */
import type { ChannelAblation, IntegrationRule, LayerEntry, MethodName as AttributionMethod, Prediction, PredictResult, Timings, ValueSummary } from '../engine/api';
import type { WireAttributeParams, WireAttributeResult, WireErrorData, WireInputPreview, WireMethodSpec, WireModelInfo, WireModelTreeResult, WirePredictParams } from './engineWire';
import type { OutputKind, OutputKindInfo } from './outputKind';
import type { ImagePreprocess } from './preprocess';
import type { ChannelSummary } from './displayTensor';
import type { OutputRoleInfo } from './outputRole';
import type { OutputView } from './outputView';
import type { BoxEntry, TargetSpec, TextTarget } from './targetSpec';

export type { AttributionMethod, BoxEntry, ChannelAblation, IntegrationRule, LayerEntry, OutputKind, OutputKindInfo, Prediction, PredictResult, TargetSpec, TextTarget, Timings, ValueSummary };

export const PROTOCOL_VERSION = 1;

// ---------------------------------------------------------------------------------------------------------
// Payload types

/**
 * A region target the field cannot write: s_i = Σ_j mask[i, j] · out[i, j], the mask broadcast to the output (one
 * example's shape, or one mask per example). 0/1 bytes ("class c where it wins") or float32 weights.
 */
export interface MaskPayload {
  dims: number[];
  data: Uint8Array | Float32Array;
}

/** What an attribution targets: the field's SPEC forms, or a mask. */
export type AttributeTarget = TextTarget | { kind: 'mask'; mask: MaskPayload };

/** One float32 tensor, row-major. `data.length` equals the product of `dims`. */
export interface TensorPayload {
  dims: number[];
  data: Float32Array;
}

/** The model as the inspector shows it: the engine's facts about it and its layer tree. */
export interface ModelInfo
  extends Pick<WireModelInfo, 'inputs' | 'outputs' | 'preprocess' | 'preprocessSource' | 'labels' | 'labelsSource'>,
    WireModelTreeResult {
  /** Stable key for per-model webview state (e.g. the model's URI). */
  modelKey: string;
  /** File name for display. */
  modelName: string;
  /** A layer to select on arrival (the one the user picked in the quick pick or the sidebar). */
  initialLayer?: string;
}

/** The image as the model sees it: after resize/crop, before value mapping, RGBA 8-bit, row-major. */
export interface InputImage extends Omit<WireInputPreview, 'rgba'> {
  rgba: Uint8Array | Uint8ClampedArray;
}

export interface InputInfo {
  /** File name for display. */
  name: string;
  kind: 'image' | 'npy';
  /** Shape and dtype of the model input tensor built from it. */
  tensorDims: number[];
  dtype: string;
  /** Present for images, and for `.npy` inputs that look like images; attributions are overlaid on it. */
  image?: InputImage;
  /** The preprocessing that produced the tensor (images only). */
  preprocess?: ImagePreprocess;
}

export interface ProgressInfo {
  /** The `attribute`/`predict` request this belongs to. */
  requestId: number;
  /** 'load' | 'compile' | 'run' or any short word the host chooses. */
  stage: string;
  /** 0..1 when known; omitted: indeterminate. */
  fraction?: number;
  message?: string;
}

/** A one-line, user-facing problem; `node`/`op` point at the ONNX node involved when there is one. */
export interface ErrorInfo extends Partial<WireErrorData> {
  message: string;
  /** Set when the error belongs to one request and arrives as an event rather than a response. */
  requestId?: number;
}

export interface ProviderInfo {
  requested: string;
  /** The execution provider that actually ran. */
  used: string;
  available: string[];
  /** Why other providers were not used. */
  notes: string[];
}

/**
 * Captum's layer method and its arguments, as the inspector asks for them (the engine's `MethodSpec` with the
 * tensors the webview cannot name replaced: `baseline` is one number for every input element, `layerMask` a float32
 * tensor of group ids). Absent fields take Captum's defaults; fields that do not apply to the method are refused.
 */
export interface AttributionMethodSpec
  extends Pick<WireMethodSpec, 'name' | 'nSteps' | 'integration' | 'convergenceDelta' | 'multiplyByInputs' | 'reluAttributions' | 'dimSum'> {
  /** Path methods: every element of every graph input's baseline (absent: zeros). */
  baseline?: number;
  /** Feature ablation: what an ablated group becomes (default 0). */
  layerBaseline?: number;
  /** Feature ablation: group ids broadcast to the layer's shape (absent: every element its own group). */
  layerMask?: TensorPayload;
}

/** Which arguments each method takes (as the CLI's flags do): anything else in a spec is refused. */
export const METHOD_ARGUMENTS: { readonly [M in AttributionMethod]: readonly Exclude<keyof AttributionMethodSpec, 'name'>[] } = {
  lgxa: [],
  activation: [],
  gradcam: ['reluAttributions', 'dimSum'],
  'internal-influence': ['nSteps', 'integration', 'baseline'],
  conductance: ['nSteps', 'integration', 'baseline', 'convergenceDelta'],
  'integrated-gradients': ['nSteps', 'integration', 'baseline', 'convergenceDelta', 'multiplyByInputs'],
  'feature-ablation': ['layerBaseline', 'layerMask'],
};

export const ATTRIBUTION_METHODS = Object.keys(METHOD_ARGUMENTS) as AttributionMethod[];

/** Labels of Captum's integration rules (`method=` of its path methods). */
export const INTEGRATION_LABELS: { readonly [R in IntegrationRule]: string } = {
  gausslegendre: 'Gauss-Legendre',
  riemann_left: 'Riemann left',
  riemann_right: 'Riemann right',
  riemann_middle: 'Riemann middle',
  riemann_trapezoid: 'Riemann trapezoid',
};

/** The engine's attribute request without the model and inputs (the host adds them), flags always given. */
export interface AttributeParams extends Pick<WireAttributeParams, 'layers' | 'output'>, Required<Pick<WireAttributeParams, 'layerInput' | 'gradientOnly'>> {
  target: AttributeTarget;
  /** Captum's layer method; omitted: Layer Gradient × Activation. */
  method?: AttributionMethodSpec;
  /** What the result is for: the figure (default) or the filmstrip; a newer request supersedes only one for the same purpose. */
  purpose?: 'figure' | 'filmstrip';
}

export interface LayerAttribution {
  layerId: string;
  /**
   * One tensor per activation of the layer (Captum returns a tuple when there are several). A large one comes in its
   * display form (src/shared/displayTensor.ts): `data` holds only the channels `reduced.channels`, as [N, K, positions].
   */
  tensors: (TensorPayload & { valueName: string; reduced?: ChannelSummary })[];
}

/** A tensor of an attribution the host still holds: the `attribute` request's id, the layer, the tensor. */
export interface ResultTensorRef {
  requestId: number;
  layer: number;
  tensor: number;
}

export interface AttributeResponse extends Pick<WireAttributeResult, 'provider' | 'providerNotes' | 'timings'> {
  /** One entry per requested layer, in request order. */
  layers: LayerAttribution[];
  output: { name: string; dims: number[] };
  /** Convergence delta per example, shape [N] (conductance and integrated gradients when asked for). */
  delta?: TensorPayload;
}

/** The engine's predict request without the model and inputs (the host adds them), `top` always given. */
export type PredictParams = Pick<WirePredictParams, 'output' | 'ablate'> & Required<Pick<WirePredictParams, 'top'>>;

/** A tensor of an output's view as the webview receives it (a class map, an image): element type, shape, typed array. */
export interface ViewTensor {
  dtype: string;
  dims: number[];
  data: Uint8Array | Int32Array | Float32Array;
}

/** The predictions, with what the output is for (read from the graph) and its view: detections, class map, image. */
export type PredictResponse = Omit<PredictResult, 'role' | 'view'> & { role?: OutputRoleInfo; view?: OutputView<ViewTensor> };

export interface ExportResult {
  /** False when the user dismissed the save dialog. */
  saved: boolean;
  path?: string;
}

// ---------------------------------------------------------------------------------------------------------
// The method and event maps

/** Requests the webview sends; the host answers each with one response. */
export interface WebviewMethods {
  /** The webview is up; the host answers, then sends `modelLoaded` (and `inputLoaded` when it has one). */
  ready: { params: { protocolVersion: number }; result: { protocolVersion: number } };
  /** The user selected a layer (the host may reveal it in its sidebar tree). */
  selectLayer: { params: { layerId: string }; result: null };
  /** Show a file picker for an image or `.npy`; the input itself arrives as an `inputLoaded` event. */
  pickInput: { params: { inputIndex: number }; result: { picked: boolean } };
  /** Apply (and, with `remember`, save next to the model) a preprocessing; `inputLoaded` follows. */
  setPreprocess: { params: { preprocess: ImagePreprocess; remember: boolean }; result: { preprocess: ImagePreprocess } };
  attribute: { params: AttributeParams; result: AttributeResponse };
  predict: { params: PredictParams; result: PredictResponse };
  /** Cancels the pending request with that id; the host answers it with an error of code 'cancelled'. */
  cancel: { params: { requestId: number }; result: null };
  /** PNG bytes or a `data:image/png;base64,` URL; the host shows a save dialog. */
  exportPng: { params: { suggestedName: string; png: Uint8Array | string }; result: ExportResult };
  /** A float32 tensor to write as `.npy`; the host shows a save dialog. */
  /** The tensor itself, or (for one sent in its display form) a reference to the whole one the host keeps. */
  exportNpy: { params: { suggestedName: string; tensor?: TensorPayload; ref?: ResultTensorRef }; result: ExportResult };
  /** One channel of one example at full size, of a tensor sent in its display form (its tiles are thumbnails). */
  channel: { params: { ref: ResultTensorRef; example: number; channel: number }; result: TensorPayload };
}

/** Events the host sends on its own. */
export interface HostEvents {
  modelLoaded: ModelInfo;
  inputLoaded: InputInfo;
  progress: ProgressInfo;
  error: ErrorInfo;
  providerInfo: ProviderInfo;
}

export type MethodName = keyof WebviewMethods;
export type EventName = keyof HostEvents;
export type ParamsOf<M extends MethodName> = WebviewMethods[M]['params'];
export type ResultOf<M extends MethodName> = WebviewMethods[M]['result'];

export type RequestMessage<M extends MethodName = MethodName> = {
  [K in M]: { kind: 'request'; id: number; method: K; params: ParamsOf<K> };
}[M];

export type ResponseMessage<R = unknown> =
  | { kind: 'response'; id: number; result: R; error?: undefined }
  | { kind: 'response'; id: number; error: ErrorInfo; result?: undefined };

export type EventMessage<E extends EventName = EventName> = {
  [K in E]: { kind: 'event'; name: K; payload: HostEvents[K] };
}[E];

export type WebviewToHostMessage = RequestMessage;
export type HostToWebviewMessage = ResponseMessage | EventMessage;

export const METHOD_NAMES: readonly MethodName[] = [
  'ready',
  'selectLayer',
  'pickInput',
  'setPreprocess',
  'attribute',
  'predict',
  'cancel',
  'exportPng',
  'exportNpy',
  'channel',
];
const EVENT_NAMES: readonly EventName[] = ['modelLoaded', 'inputLoaded', 'progress', 'error', 'providerInfo'];

// ---------------------------------------------------------------------------------------------------------
// Constructors for the host side (typed, so a result cannot drift from the method map)

export function responseOf<M extends MethodName>(id: number, _method: M, result: ResultOf<M>): ResponseMessage<ResultOf<M>> {
  return { kind: 'response', id, result };
}

export function errorResponseOf(id: number, error: ErrorInfo): ResponseMessage<never> {
  return { kind: 'response', id, error: { ...error, message: oneLine(error.message) } };
}

export function eventOf<E extends EventName>(name: E, payload: HostEvents[E]): EventMessage<E> {
  return { kind: 'event', name, payload } as EventMessage<E>;
}

/** The ArrayBuffers inside a message, for `postMessage`'s transfer list (each buffer once). */
export function transferablesOf(value: unknown, out: ArrayBuffer[] = [], depth = 0): ArrayBuffer[] {
  if (depth > 8 || value === null || typeof value !== 'object') return out;
  if (ArrayBuffer.isView(value)) {
    const b = value.buffer;
    // Only whole, unshared buffers can move; a view into a larger buffer is copied instead.
    if (b instanceof ArrayBuffer && value.byteOffset === 0 && value.byteLength === b.byteLength && !out.includes(b)) out.push(b);
    return out;
  }
  if (Array.isArray(value)) {
    for (const v of value) transferablesOf(v, out, depth + 1);
    return out;
  }
  for (const v of Object.values(value)) transferablesOf(v, out, depth + 1);
  return out;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

// ---------------------------------------------------------------------------------------------------------
// Runtime validation of webview → host messages (plain checks: no eval, no Function, no schema compiler)

/** Limits on what the webview may send. */
export const LIMITS = Object.freeze({
  idMax: 2 ** 31 - 1,
  layerIdChars: 4096,
  layersMax: 64,
  outputNameChars: 4096,
  targetIndexAbs: 2 ** 31 - 1,
  targetTupleRank: 8,
  targetExamplesMax: 65536,
  topMax: 1000,
  sideMax: 16384,
  fileNameChars: 255,
  pngBytesMax: 256 * 1024 * 1024,
  npyElementsMax: 2 ** 28,
  tensorRankMax: 8,
  nStepsMax: 4096,
  layerMaskElementsMax: 2 ** 24,
  /** Channels one what-if ablation may switch off (and the largest channel index). */
  channelsMax: 2 ** 20,
});

/** Checks `v` at `path`; returns an error message or null. The phantom `T` ties a checker to its type. */
export interface Checker<T> {
  (v: unknown, path: string): string | null;
  readonly __type?: T;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (ArrayBuffer.isView(v)) return Object.prototype.toString.call(v).slice(8, -1);
  return typeof v === 'object' ? 'an object' : typeof v === 'string' ? 'a string' : String(typeof v);
}

const str = (maxChars: number, opts: { minChars?: number; pattern?: RegExp; what?: string } = {}): Checker<string> => (v, p) => {
  const min = opts.minChars ?? 1;
  if (typeof v !== 'string') return `${p}: expected a string, got ${describe(v)}`;
  if (v.length < min || v.length > maxChars) return `${p}: expected ${min}..${maxChars} characters, got ${v.length}`;
  if (opts.pattern && !opts.pattern.test(v)) return `${p}: ${opts.what ?? 'has a form that is not allowed'}`;
  return null;
};

const int = (min: number, max: number): Checker<number> => (v, p) =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? null : `${p}: expected an integer in ${min}..${max}, got ${typeof v === 'number' ? v : describe(v)}`;

const finite = (): Checker<number> => (v, p) =>
  typeof v === 'number' && Number.isFinite(v) ? null : `${p}: expected a finite number, got ${typeof v === 'number' ? v : describe(v)}`;

const bool = (): Checker<boolean> => (v, p) => (typeof v === 'boolean' ? null : `${p}: expected true or false, got ${describe(v)}`);

const literal = <L extends string | number | null>(...values: L[]): Checker<L> => (v, p) =>
  (values as unknown[]).includes(v) ? null : `${p}: expected one of ${values.map((x) => JSON.stringify(x)).join(', ')}`;

const arr = <T>(item: Checker<T>, minLen: number, maxLen: number): Checker<T[]> => (v, p) => {
  if (!Array.isArray(v)) return `${p}: expected an array, got ${describe(v)}`;
  if (v.length < minLen || v.length > maxLen) return `${p}: expected ${minLen}..${maxLen} items, got ${v.length}`;
  for (let i = 0; i < v.length; i++) {
    const e = item(v[i], `${p}[${i}]`);
    if (e) return e;
  }
  return null;
};

const tuple2 = <T>(item: Checker<T>): Checker<[T, T]> => arr(item, 2, 2) as Checker<[T, T]>;

const either = <A, B>(a: Checker<A>, b: Checker<B>, what: string): Checker<A | B> => (v, p) =>
  a(v, p) === null || b(v, p) === null ? null : `${p}: expected ${what}`;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

type Shape<T> = { [K in keyof T]-?: Checker<T[K]> };
type OptionalKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? K : never }[keyof T];

/** An object with exactly these keys (optional ones may be absent or undefined); unknown keys are refused. */
function obj<T>(shape: Shape<T>, optional: readonly OptionalKeys<T>[] = []): Checker<T> {
  const keys = Object.keys(shape) as (keyof T & string)[];
  return (v, p) => {
    if (!isPlainObject(v)) return `${p}: expected an object, got ${describe(v)}`;
    for (const k of Object.keys(v)) if (!keys.includes(k as keyof T & string)) return `${p}: unexpected field '${k.slice(0, 64)}'`;
    for (const k of keys) {
      const val = v[k];
      if (val === undefined) {
        if ((optional as readonly string[]).includes(k)) continue;
        return `${p}.${k}: missing`;
      }
      const e = shape[k](val, `${p}.${k}`);
      if (e) return e;
    }
    return null;
  };
}

const typedArray = <T extends ArrayBufferView>(tag: string, maxLen: number): Checker<T> => (v, p) => {
  if (!ArrayBuffer.isView(v) || Object.prototype.toString.call(v) !== `[object ${tag}]`) return `${p}: expected a ${tag}, got ${describe(v)}`;
  const len = (v as unknown as { length: number }).length;
  return len <= maxLen ? null : `${p}: ${len} elements is more than the ${maxLen} allowed`;
};

/** Names for save dialogs: no folders, no control characters. */
const fileName = str(LIMITS.fileNameChars, {
  // eslint-disable-next-line no-control-regex
  pattern: /^[^/\\\u0000-\u001f\u007f]+$/,
  what: 'must be a plain file name (no folders or control characters)',
});

const layerId = str(LIMITS.layerIdChars);
const outputRef: Checker<string | number> = either(str(LIMITS.outputNameChars), int(0, 4096), 'an output name or index');
const targetInt = int(-LIMITS.targetIndexAbs, LIMITS.targetIndexAbs);
const targetTuple = arr(targetInt, 1, LIMITS.targetTupleRank);

/** A box entry: an index, or a slice {start?, stop?} of integers. */
const boxEntry: Checker<BoxEntry> = (v, p) => {
  if (typeof v === 'number') return targetInt(v, p);
  return obj<{ start?: number; stop?: number }>({ start: targetInt, stop: targetInt }, ['start', 'stop'])(v, p);
};
const targetBox = arr(boxEntry, 1, LIMITS.targetTupleRank);

const targetSpec: Checker<TextTarget> = (v, p) => {
  if (!isPlainObject(v)) return `${p}: expected an object, got ${describe(v)}`;
  switch (v.kind) {
    case 'none':
      return obj<{ kind: 'none' }>({ kind: literal('none') })(v, p);
    case 'index':
      return obj<{ kind: 'index'; index: number }>({ kind: literal('index'), index: targetInt })(v, p);
    case 'perExample':
      return obj<{ kind: 'perExample'; indices: number[] }>({
        kind: literal('perExample'),
        indices: arr(targetInt, 1, LIMITS.targetExamplesMax),
      })(v, p);
    case 'tuple':
      return obj<{ kind: 'tuple'; tuple: number[] }>({ kind: literal('tuple'), tuple: targetTuple })(v, p);
    case 'tuples':
      return obj<{ kind: 'tuples'; tuples: number[][] }>({
        kind: literal('tuples'),
        tuples: arr(targetTuple, 1, LIMITS.targetExamplesMax),
      })(v, p);
    case 'box':
      return obj<{ kind: 'box'; box: BoxEntry[] }>({ kind: literal('box'), box: targetBox })(v, p);
    case 'boxes':
      return obj<{ kind: 'boxes'; boxes: BoxEntry[][] }>({ kind: literal('boxes'), boxes: arr(targetBox, 1, LIMITS.targetExamplesMax) })(v, p);
    default:
      return `${p}.kind: expected one of "none", "index", "perExample", "tuple", "tuples", "box", "boxes"`;
  }
};

const maskPayload: Checker<MaskPayload> = (v, p) => {
  if (!isPlainObject(v)) return `${p}: expected an object, got ${describe(v)}`;
  const data = v.data;
  const tag = ArrayBuffer.isView(data) ? Object.prototype.toString.call(data) : '';
  const e = obj<MaskPayload>({
    dims: arr(int(0, LIMITS.npyElementsMax), 1, LIMITS.tensorRankMax),
    data: tag === '[object Uint8Array]' ? typedArray<Uint8Array>('Uint8Array', LIMITS.npyElementsMax) : typedArray<Float32Array>('Float32Array', LIMITS.npyElementsMax),
  })(v, p);
  if (e) return e;
  const m = v as unknown as MaskPayload;
  const n = m.dims.reduce((a, b) => a * b, 1);
  if (n !== m.data.length) return `${p}: dims [${m.dims.join(', ')}] hold ${n} elements but data has ${m.data.length}`;
  return m.data instanceof Float32Array && !m.data.every(Number.isFinite) ? `${p}.data: mask weights must be finite` : null;
};

const attributeTarget: Checker<AttributeTarget> = (v, p) =>
  isPlainObject(v) && v.kind === 'mask' ? obj<{ kind: 'mask'; mask: MaskPayload }>({ kind: literal('mask'), mask: maskPayload })(v, p) : targetSpec(v, p);

const positive: Checker<number> = (v, p) => finite()(v, p) ?? ((v as number) > 0 ? null : `${p}: must be greater than 0`);

const preprocessSpec: Checker<ImagePreprocess> = (v, p) => {
  const e = obj<ImagePreprocess>(
    {
      size: tuple2(int(1, LIMITS.sideMax)),
      resize: literal('stretch', 'center-crop'),
      channels: literal(1, 3),
      channelOrder: literal('rgb', 'bgr'),
      range: tuple2(finite()),
      mean: arr(finite(), 1, 3),
      std: arr(positive, 1, 3),
      layout: literal('nchw', 'nhwc'),
    },
    ['size', 'resize', 'channels', 'channelOrder', 'range', 'mean', 'std', 'layout'],
  )(v, p);
  if (e) return e;
  const s = v as ImagePreprocess;
  if (s.range && !(s.range[0] < s.range[1])) return `${p}.range: the low end must be below the high end`;
  for (const k of ['mean', 'std'] as const) {
    const n = s[k]?.length;
    if (n === 2) return `${p}.${k}: expected one value or one per channel`;
    if (n === 3 && s.channels === 1) return `${p}.${k}: 3 values given for a 1-channel input`;
  }
  return null;
};

const tensorPayload: Checker<TensorPayload> = (v, p) => {
  const e = obj<TensorPayload>({
    dims: arr(int(0, LIMITS.npyElementsMax), 0, LIMITS.tensorRankMax),
    data: typedArray<Float32Array>('Float32Array', LIMITS.npyElementsMax),
  })(v, p);
  if (e) return e;
  const t = v as TensorPayload;
  const n = t.dims.reduce((a, b) => a * b, 1);
  return n === t.data.length ? null : `${p}: dims [${t.dims.join(', ')}] hold ${n} elements but data has ${t.data.length}`;
};

const resultTensorRef = obj<ResultTensorRef>({ requestId: int(1, LIMITS.idMax), layer: int(0, LIMITS.layersMax), tensor: int(0, 64) });

const pngPayload: Checker<Uint8Array | string> = (v, p) => {
  if (typeof v === 'string') {
    const prefix = 'data:image/png;base64,';
    if (!v.startsWith(prefix)) return `${p}: a string must be a data:image/png;base64, URL`;
    if (v.length > Math.ceil((LIMITS.pngBytesMax * 4) / 3) + prefix.length) return `${p}: the image is too large`;
    return /^[A-Za-z0-9+/]*={0,2}$/.test(v.slice(prefix.length)) ? null : `${p}: the data URL is not valid base64`;
  }
  const e = typedArray<Uint8Array>('Uint8Array', LIMITS.pngBytesMax)(v, p);
  if (e) return `${p}: expected PNG bytes (Uint8Array) or a data URL, got ${describe(v)}`;
  const b = v as Uint8Array;
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  return b.length >= 8 && sig.every((x, i) => b[i] === x) ? null : `${p}: the bytes are not a PNG file`;
};

const integrationRule = literal(...(Object.keys(INTEGRATION_LABELS) as IntegrationRule[]));

const layerMask: Checker<TensorPayload> = (v, p) => {
  const e = tensorPayload(v, p);
  if (e) return e;
  const t = v as TensorPayload;
  if (t.data.length > LIMITS.layerMaskElementsMax) return `${p}: ${t.data.length} elements is more than the ${LIMITS.layerMaskElementsMax} allowed`;
  // Group ids are exact integers in float32 up to 2^24.
  return t.data.every((x) => Number.isInteger(x) && Math.abs(x) <= 2 ** 24) ? null : `${p}: group ids must be integers`;
};

const methodSpec: Checker<AttributionMethodSpec> = (v, p) => {
  const e = obj<AttributionMethodSpec>(
    {
      name: literal(...ATTRIBUTION_METHODS),
      nSteps: int(1, LIMITS.nStepsMax),
      integration: integrationRule,
      baseline: finite(),
      convergenceDelta: bool(),
      multiplyByInputs: bool(),
      reluAttributions: bool(),
      dimSum: bool(),
      layerBaseline: finite(),
      layerMask,
    },
    ['nSteps', 'integration', 'baseline', 'convergenceDelta', 'multiplyByInputs', 'reluAttributions', 'dimSum', 'layerBaseline', 'layerMask'],
  )(v, p);
  if (e) return e;
  const m = v as AttributionMethodSpec;
  const allowed: readonly string[] = METHOD_ARGUMENTS[m.name];
  for (const k of Object.keys(m)) if (k !== 'name' && m[k as keyof AttributionMethodSpec] !== undefined && !allowed.includes(k)) return `${p}.${k}: does not apply to ${m.name}`;
  if (m.integration?.startsWith('riemann') && m.nSteps === 1) return `${p}.nSteps: the Riemann rules need at least 2 steps`;
  return null;
};

/** One params checker per method; the mapped type makes the compiler hold each to its method's params. */
export const PARAM_CHECKERS: { [M in MethodName]: Checker<ParamsOf<M>> } = {
  ready: obj<ParamsOf<'ready'>>({ protocolVersion: int(1, 1000) }),
  selectLayer: obj<ParamsOf<'selectLayer'>>({ layerId }),
  pickInput: obj<ParamsOf<'pickInput'>>({ inputIndex: int(0, 1024) }),
  setPreprocess: obj<ParamsOf<'setPreprocess'>>({ preprocess: preprocessSpec, remember: bool() }),
  attribute: (v, p) => {
    const e = obj<AttributeParams>(
      {
        layers: arr(layerId, 1, LIMITS.layersMax),
        target: attributeTarget,
        layerInput: bool(),
        gradientOnly: bool(),
        output: outputRef,
        method: methodSpec,
        purpose: literal('figure', 'filmstrip'),
      },
      ['output', 'method', 'purpose'],
    )(v, p);
    if (e) return e;
    const a = v as AttributeParams;
    const name = a.method?.name ?? 'lgxa';
    if (a.gradientOnly && name !== 'lgxa') return `${p}.gradientOnly: applies to lgxa only${name === 'integrated-gradients' ? ' (integrated gradients: method.multiplyByInputs = false)' : ''}`;
    if (name === 'activation' && a.target.kind !== 'none') return `${p}.target: activation has no target (send { kind: 'none' })`;
    return null;
  },
  predict: obj<PredictParams>(
    {
      output: outputRef,
      top: int(1, LIMITS.topMax),
      ablate: obj<ChannelAblation>(
        {
          layer: layerId,
          layerInput: bool(),
          value: int(0, LIMITS.layersMax),
          channelAxis: int(-8, 8),
          channels: arr(int(0, LIMITS.channelsMax), 0, LIMITS.channelsMax),
          baseline: finite(),
        },
        ['layerInput', 'value', 'baseline'],
      ),
    },
    ['output', 'ablate'],
  ),
  cancel: obj<ParamsOf<'cancel'>>({ requestId: int(1, LIMITS.idMax) }),
  exportPng: obj<ParamsOf<'exportPng'>>({ suggestedName: fileName, png: pngPayload }),
  channel: obj<ParamsOf<'channel'>>({ ref: resultTensorRef, example: int(0, LIMITS.targetExamplesMax), channel: int(0, LIMITS.channelsMax) }),
  exportNpy: (v, p) => {
    const e = obj<ParamsOf<'exportNpy'>>({ suggestedName: fileName, tensor: tensorPayload, ref: resultTensorRef }, ['tensor', 'ref'])(v, p);
    if (e) return e;
    const x = v as ParamsOf<'exportNpy'>;
    return (x.tensor === undefined) === (x.ref === undefined) ? `${p}: give the tensor or a reference to it (ref), one of the two` : null;
  },
};

/**
 * Checks a message from the webview. Returns the message, typed, or a one-line reason it was refused.
 * The host answers a refused request that carried a usable id with `errorResponseOf(id, …)`.
 */
export function validateWebviewMessage(msg: unknown): WebviewToHostMessage | string {
  if (!isPlainObject(msg)) return `message: expected an object, got ${describe(msg)}`;
  if (msg.kind !== 'request') return `message.kind: expected "request"`;
  const idErr = int(1, LIMITS.idMax)(msg.id, 'message.id');
  if (idErr) return idErr;
  for (const k of Object.keys(msg)) if (!['kind', 'id', 'method', 'params'].includes(k)) return `message: unexpected field '${k.slice(0, 64)}'`;
  const method = msg.method;
  if (typeof method !== 'string' || !(METHOD_NAMES as readonly string[]).includes(method))
    return `message.method: unknown method ${typeof method === 'string' ? JSON.stringify(method.slice(0, 64)) : describe(method)}`;
  const checker = PARAM_CHECKERS[method as MethodName] as Checker<unknown>;
  const err = checker(msg.params, `${method}.params`);
  return err ?? (msg as unknown as WebviewToHostMessage);
}

/** The id of a message, when it has a usable one (to answer a refused request). */
export function requestIdOf(msg: unknown): number | undefined {
  return isPlainObject(msg) && int(1, LIMITS.idMax)(msg.id, '') === null ? (msg.id as number) : undefined;
}

/** A shallow check of what the host sends, for the webview (the host is trusted; this catches stray messages). */
export function isHostToWebviewMessage(msg: unknown): msg is HostToWebviewMessage {
  if (!isPlainObject(msg)) return false;
  if (msg.kind === 'response') return typeof msg.id === 'number' && ('result' in msg || isPlainObject(msg.error));
  if (msg.kind === 'event') return typeof msg.name === 'string' && (EVENT_NAMES as readonly string[]).includes(msg.name) && 'payload' in msg;
  return false;
}
