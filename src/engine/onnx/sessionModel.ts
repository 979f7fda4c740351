/**
 * A model encoded for an onnxruntime session without copying its weights into the protobuf. Every generated model —
 * probes, forward pieces, backward graphs — is mostly the file's weights (and, for backward graphs, flipped copies),
 * and onnxruntime gives each session its own copy of what it is handed: a split ViT-B/16 held the prediction
 * session's, the chain's forward and backward pieces' and the shape probe's copies at once (10× its weights).
 *
 * On the CPU, float weights become session inputs fed on every run from the model's own bytes (ownTensors.ts keeps
 * them aligned), which onnxruntime reads in place: no session holds a weight. Elsewhere (GPU providers, where an input
 * would cross to the device on every run), and for other large tensors, they go as in-memory external data, which
 * onnxruntime copies once per session. Either way the protobuf is a few hundred kilobytes (ResNet-50's encode: 6 ms
 * instead of 68 ms).
 */
import * as ort from 'onnxruntime-node';
import { ElemType, ModelProto, TensorProto, ValueInfoProto, encodeModel, onnx, toNum } from './proto';

/** Tensors smaller than this stay inline (shapes, scalars, biases: an entry each would cost more than it saves). */
const MIN_REFERENCED_BYTES = 4096;

export interface ExternalDatum {
  path: string;
  data: Uint8Array;
}

export interface EncodedModel {
  bytes: Uint8Array;
  /** Large tensors' bytes, each under the name its initializer's external-data location gives. */
  externalData: ExternalDatum[];
  /** Weights the model takes as inputs, to be fed on every run (their names are graph inputs). */
  weightFeeds: Record<string, ort.Tensor>;
}

/** A model for a session, encoded for the provider that opens it (see the module comment). */
export class SessionModel {
  private readonly encoded = new Map<boolean, EncodedModel>();
  constructor(readonly proto: ModelProto) {}

  encode(provider: string): EncodedModel {
    const weightsAsInputs = provider === 'cpu';
    let e = this.encoded.get(weightsAsInputs);
    if (!e) this.encoded.set(weightsAsInputs, (e = encode(this.proto, weightsAsInputs)));
    return e;
  }
}

export function encodeForSession(proto: ModelProto): SessionModel {
  return new SessionModel(proto);
}

/** One ort.Tensor per weight's bytes, shared by every session that takes it as an input. */
const WEIGHT_TENSORS = new WeakMap<Uint8Array, ort.Tensor>();

function weightTensor(t: TensorProto, r: Uint8Array): ort.Tensor {
  let w = WEIGHT_TENSORS.get(r);
  if (!w) WEIGHT_TENSORS.set(r, (w = new ort.Tensor('float32', new Float32Array(r.buffer, r.byteOffset, r.length / 4), (t.dims ?? []).map(toNum))));
  return w;
}

function encode(proto: ModelProto, weightsAsInputs: boolean): EncodedModel {
  const graph = proto.graph;
  const externalData: ExternalDatum[] = [];
  const weightFeeds: Record<string, ort.Tensor> = {};
  const inputs: ValueInfoProto[] = [];
  const declared = new Set((graph?.input ?? []).map((v) => v.name));
  const initializer: TensorProto[] = [];
  for (const t of graph?.initializer ?? []) {
    const r = t.rawData;
    const name = t.name ?? '';
    if (!r || r.length < MIN_REFERENCED_BYTES || t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
      initializer.push(t);
      continue;
    }
    if (weightsAsInputs && t.dataType === ElemType.FLOAT && r.byteOffset % 4 === 0 && !declared.has(name)) {
      weightFeeds[name] = weightTensor(t, r);
      inputs.push({ name, type: { tensorType: { elemType: ElemType.FLOAT, shape: { dim: (t.dims ?? []).map((d) => ({ dimValue: d })) } } } });
      continue;
    }
    // Names only onnxruntime sees; one per tensor, so each entry is the tensor's own bytes.
    const path = `layerlens-tensor-${externalData.length}.bin`;
    externalData.push({ path, data: r });
    initializer.push({
      ...t,
      rawData: undefined,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: path },
        { key: 'offset', value: '0' },
        { key: 'length', value: String(r.length) },
      ],
    });
  }
  if (!externalData.length && !inputs.length) return { bytes: encodeModel(proto), externalData, weightFeeds };
  return { bytes: encodeModel({ ...proto, graph: { ...graph, initializer, input: [...(graph?.input ?? []), ...inputs] } }), externalData, weightFeeds };
}
