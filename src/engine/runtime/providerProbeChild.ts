/**
 * The provider probe's child process (started by providerProbe.ts): starts one execution provider on a one-node
 * model, runs it once, and prints {"ok":true} or {"ok":false,"error":"…"} as its last line of stdout. Whatever
 * the drivers print goes to this process's stderr, which the parent captures instead of the user's terminal.
 *
 *   node providerProbeChild.js <onnxruntime-node folder> <provider>
 *
 * Kept free of other engine imports: it is bundled on its own (dist/providerProbeChild.js) and starts fast.
 */
import type * as Ort from 'onnxruntime-node';

function varint(n: number): number[] {
  const out: number[] = [];
  for (; n > 127; n = Math.floor(n / 128)) out.push((n % 128) | 128);
  out.push(n);
  return out;
}
const intField = (field: number, v: number) => [...varint(field * 8), ...varint(v)];
const bytesField = (field: number, b: number[]) => [...varint(field * 8 + 2), ...varint(b.length), ...b];
const stringField = (field: number, s: string) => bytesField(field, [...Buffer.from(s, 'utf8')]);

/** A float tensor value info (ValueInfoProto) of shape [1, 4]. */
function floatRow(name: string): number[] {
  const dim = bytesField(1, intField(1, 4)); // Dimension.dim_value
  const shape = [...bytesField(1, intField(1, 1)), ...dim]; // TensorShapeProto.dim × 2
  const tensorType = [...intField(1, 1), ...bytesField(2, shape)]; // elem_type FLOAT, shape
  return [...stringField(1, name), ...bytesField(2, bytesField(1, tensorType))];
}

/**
 * y = x · x on float[1, 4] (ONNX IR 8, opset 18), written by hand so the probe needs no protobuf library. A Mul
 * rather than an Identity, so the provider really gets a kernel to run.
 */
export function squareModel(): Uint8Array {
  const node = [...stringField(1, 'x'), ...stringField(1, 'x'), ...stringField(2, 'y'), ...stringField(4, 'Mul')];
  const graph = [...bytesField(1, node), ...stringField(2, 'probe'), ...bytesField(11, floatRow('x')), ...bytesField(12, floatRow('y'))];
  const opset = [...stringField(1, ''), ...intField(2, 18)];
  return Uint8Array.from([...intField(1, 8), ...stringField(2, 'layerlens-probe'), ...bytesField(7, graph), ...bytesField(8, opset)]);
}

async function main(): Promise<void> {
  const [ortDir, provider] = process.argv.slice(2);
  let answer: { ok: boolean; error?: string };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ort: typeof Ort = require(ortDir);
    const session = await ort.InferenceSession.create(squareModel(), { executionProviders: [provider], logSeverityLevel: 3 });
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3, -4]), [1, 4]) });
    const y = Array.from(out.y.data as Float32Array);
    await session.release();
    answer = y.join() === '1,4,9,16' ? { ok: true } : { ok: false, error: `wrong result [${y.join(', ')}]` };
  } catch (e) {
    answer = { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  // Exit explicitly: a driver's worker threads may otherwise keep the process alive until the parent's timeout.
  process.stdout.write(`\n${JSON.stringify(answer)}\n`, () => process.exit(0));
}

if (require.main === module) void main();
