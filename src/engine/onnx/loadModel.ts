/** Reading an .onnx file into an OnnxGraph, with every way a file can be wrong turned into a one-line error. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LayerLensError } from '../errors';
import { OnnxGraph } from './graph';
import { ElemType, ModelProto, TensorProto, onnx, toNum } from './proto';
import { elemByteSize } from './tensorData';
import { alignWeightsInPlace } from './ownTensors';
import { promoteFloat16 } from './promoteHalf';

/** Above this many elements one tensor is refused (4 GiB of float32). */
const MAX_TENSOR_ELEMENTS = 2 ** 30;

export interface LoadedModel {
  path: string;
  dir: string;
  bytes: number;
  mtimeMs: number;
  proto: ModelProto;
  graph: OnnxGraph;
  /** The file is float16: it was loaded as float32 (see promoteHalf.ts). */
  promotedFromFloat16?: boolean;
}

export async function loadModel(file: string): Promise<LoadedModel> {
  const abs = path.resolve(file);
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(abs);
  } catch (e) {
    throw new LayerLensError(`cannot read model '${file}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, 'model-unreadable');
  }
  if (st.isDirectory()) throw new LayerLensError(`cannot read model '${file}': it is a directory`, 'model-unreadable');
  if (st.size === 0) throw new LayerLensError(`'${file}' is empty, not an ONNX model`, 'model-invalid');
  if (st.size >= 2 ** 31 - 1)
    throw new LayerLensError(`'${file}' is ${(st.size / 2 ** 30).toFixed(1)} GiB; models over 2 GiB must keep their weights in external data files`, 'model-invalid');
  let buf: Buffer;
  try {
    buf = await fs.promises.readFile(abs);
  } catch (e) {
    throw new LayerLensError(`cannot read model '${file}': ${(e as Error).message}`, 'model-unreadable');
  }
  const proto = decodeModel(buf, file);
  resolveExternalData(proto, path.dirname(abs), file);
  const promoted = promoteFloat16(proto, file) > 0;
  // Float weights aligned where they are, so onnxruntime reads them in place (ownTensors.ts).
  alignWeightsInPlace(proto, buf);
  const graph = new OnnxGraph(proto);
  return { path: abs, dir: path.dirname(abs), bytes: st.size, mtimeMs: st.mtimeMs, proto, graph, ...(promoted ? { promotedFromFloat16: true } : {}) };
}

export function decodeModel(buf: Uint8Array, file = 'model'): ModelProto {
  let proto: onnx.ModelProto;
  try {
    proto = onnx.ModelProto.decode(buf);
  } catch (e) {
    throw new LayerLensError(`'${file}' is not a valid ONNX model (${shortProtobufError(e)})`, 'model-invalid');
  }
  if (!proto.graph || (!proto.graph.node?.length && !proto.graph.output?.length))
    throw new LayerLensError(`'${file}' is not an ONNX model (no graph found)`, 'model-invalid');
  if (!proto.graph.node?.length) throw new LayerLensError(`'${file}' has a graph with no nodes`, 'model-invalid');
  if (!proto.graph.output?.length) throw new LayerLensError(`'${file}' has a graph with no outputs`, 'model-invalid');
  const ir = toNum(proto.irVersion);
  if (ir < 1 || ir > 20) throw new LayerLensError(`'${file}' declares IR version ${ir}, which is not an ONNX model version`, 'model-invalid');
  for (const o of proto.opsetImport ?? []) {
    const v = toNum(o.version);
    if ((o.domain === '' || o.domain === 'ai.onnx') && (v < 1 || v > 30))
      throw new LayerLensError(`'${file}' imports unknown ONNX opset ${v}`, 'model-invalid');
  }
  for (const t of proto.graph.initializer ?? []) checkTensorSize(t, file);
  return proto;
}

function shortProtobufError(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split('\n')[0].slice(0, 120);
}

function checkTensorSize(t: TensorProto, file: string): void {
  const dims = (t.dims ?? []).map(toNum);
  let n = 1;
  for (const d of dims) {
    if (!Number.isFinite(d) || d < 0 || !Number.isInteger(d))
      throw new LayerLensError(`tensor '${t.name}' in '${file}' has an invalid dimension ${d}`, 'model-invalid');
    n *= d;
  }
  if (n > MAX_TENSOR_ELEMENTS)
    throw new LayerLensError(`tensor '${t.name}' in '${file}' declares ${n.toExponential(2)} elements, more than this tool accepts`, 'model-invalid');
  const size = elemByteSize(t.dataType ?? 0);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) return;
  if (t.rawData && t.rawData.length && size !== undefined && t.rawData.length !== n * size)
    throw new LayerLensError(`tensor '${t.name}' in '${file}' has ${t.rawData.length} bytes of data, ${n * size} declared`, 'model-invalid');
  if (!t.rawData?.length && n > 0 && t.dataType !== ElemType.STRING) {
    const held =
      (t.floatData?.length ?? 0) + (t.int32Data?.length ?? 0) + (t.int64Data?.length ?? 0) + (t.doubleData?.length ?? 0) + (t.uint64Data?.length ?? 0);
    if (held !== 0 && held < n)
      throw new LayerLensError(`tensor '${t.name}' in '${file}' holds ${held} values, ${n} declared`, 'model-invalid');
    if (held === 0)
      throw new LayerLensError(`tensor '${t.name}' in '${file}' declares ${n} values but holds no data`, 'model-invalid');
  }
}

/** External tensors up to this size are brought into the model (constants the engine reads, such as shapes). */
const INLINE_EXTERNAL_BYTES = 64 * 1024;

/**
 * External data is accepted only from files inside the model's folder (no absolute paths, no `..`, no symlinks
 * leading out) and long enough for what it declares. Large tensors stay external: onnxruntime reads them from
 * the folder itself, so a model over 2 GB never passes its weights through JS memory.
 */
function resolveExternalData(proto: ModelProto, dir: string, file: string): void {
  const realDir = fs.realpathSync(dir);
  for (const t of proto.graph?.initializer ?? []) {
    if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
    const kv = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    const loc = kv.get('location');
    if (!loc) throw new LayerLensError(`tensor '${t.name}' in '${file}' is external but names no location`, 'model-invalid');
    const target = safeExternalPath(realDir, loc, t.name ?? '', file);
    const offset = Number(kv.get('offset') ?? 0);
    const dims = (t.dims ?? []).map(toNum);
    const n = dims.reduce((a, b) => a * b, 1);
    const size = elemByteSize(t.dataType ?? 0) ?? 0;
    const length = kv.has('length') ? Number(kv.get('length')) : n * size;
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0)
      throw new LayerLensError(`tensor '${t.name}' in '${file}' has an invalid external offset/length`, 'model-invalid');
    if (length !== n * size)
      throw new LayerLensError(`tensor '${t.name}' in '${file}' declares ${length} external bytes, its shape needs ${n * size}`, 'model-invalid');
    let fd: number | undefined;
    try {
      fd = fs.openSync(target, 'r');
      const st = fs.fstatSync(fd);
      if (offset + length > st.size)
        throw new LayerLensError(`external data '${loc}' for tensor '${t.name}' is shorter than declared (${st.size} bytes, needs ${offset + length})`, 'model-invalid');
      if (length > INLINE_EXTERNAL_BYTES) {
        // Normalise the location to the checked relative path; onnxruntime resolves it against the model folder.
        t.externalData = (t.externalData ?? []).map((e) => (e.key === 'location' ? { key: 'location', value: path.relative(realDir, target) } : e));
        continue;
      }
      const data = Buffer.alloc(length);
      fs.readSync(fd, data, 0, length, offset);
      t.rawData = data;
      t.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
      t.externalData = [];
    } catch (e) {
      if (e instanceof LayerLensError) throw e;
      throw new LayerLensError(`cannot read external data '${loc}' for tensor '${t.name}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'model-unreadable');
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }
}

function safeExternalPath(realDir: string, loc: string, tensor: string, file: string): string {
  const bad = () =>
    new LayerLensError(`tensor '${tensor}' in '${file}' points outside the model's folder ('${loc}'); refused`, 'model-invalid');
  if (path.isAbsolute(loc) || /^[a-zA-Z]:/.test(loc) || loc.split(/[\\/]/).includes('..')) throw bad();
  const joined = path.join(realDir, loc);
  let real: string;
  try {
    real = fs.realpathSync(joined);
  } catch {
    throw new LayerLensError(`external data file '${loc}' for tensor '${tensor}' is missing`, 'model-unreadable');
  }
  if (real !== realDir && !real.startsWith(realDir + path.sep)) throw bad();
  return real;
}
