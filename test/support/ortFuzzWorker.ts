/**
 * Child process of the fuzz test: feeds mutated models that pass LayerLens's own checks to onnxruntime
 * (session creation, predict, attribute). A native crash kills only this process, and the test sees it.
 * Args: RUNS MODEL… ; prints one JSON summary line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { LayerLensError } from '../../src/engine/errors';
import { ModelSession } from '../../src/engine/modelSession';
import { decodeModel } from '../../src/engine/onnx/loadModel';
import { OnnxGraph } from '../../src/engine/onnx/graph';
import { applyMutation, mutation } from './mutations';
import { tempDir } from './tinyModels';

async function main(): Promise<void> {
  const [runsArg, ...models] = process.argv.slice(2);
  const runs = Number(runsArg);
  const sources = models.map((p) => new Uint8Array(fs.readFileSync(p)));
  const dir = tempDir('ll-ortfuzz-');
  const samples = fc.sample(fc.tuple(fc.integer({ min: 0, max: sources.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 2 })), { numRuns: runs * 20, seed: 7 });
  const summary = { tried: 0, sessions: 0, ran: 0, clean: 0, unexpected: 0, firstUnexpected: '' };
  for (const [which, ms] of samples) {
    if (summary.tried >= runs) break;
    let bytes = sources[which];
    for (const m of ms) if (bytes.length > 1) bytes = applyMutation(bytes, m);
    try {
      new OnnxGraph(decodeModel(bytes));
    } catch {
      continue; // rejected by our own checks: covered by the in-process fuzz test
    }
    summary.tried++;
    const file = path.join(dir, `m${summary.tried}.onnx`);
    fs.writeFileSync(file, bytes);
    let session: ModelSession | undefined;
    try {
      session = await ModelSession.open(file);
      const inputs = session.inputs.map((i) => {
        const dims = (i.shape ?? [1]).map((d) => (typeof d === 'number' && d > 0 ? Math.min(d, 64) : 1));
        const n = dims.reduce((a, b) => a * b, 1);
        return i.dtype === 'int64'
          ? { dtype: 'int64' as const, dims, data: new BigInt64Array(n) }
          : { dtype: 'float32' as const, dims, data: new Float32Array(n).fill(0.5) };
      });
      summary.sessions++;
      await session.predict(inputs, { top: 1, provider: 'cpu' });
      const layer = [...session.layers.entries.values()].find((e) => e.outputs.length)?.id;
      if (layer) await session.attribute({ layers: [layer], inputs, target: { kind: 'index', index: 0 }, provider: 'cpu' });
      summary.ran++;
    } catch (e) {
      if (e instanceof LayerLensError && !e.message.includes('\n')) summary.clean++;
      else {
        summary.unexpected++;
        summary.firstUnexpected ||= `${(e as Error).stack ?? e}`.slice(0, 500);
      }
    } finally {
      await session?.dispose().catch(() => undefined);
      fs.rmSync(file, { force: true });
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write(JSON.stringify(summary) + '\n');
}

main().catch((e) => {
  process.stderr.write(String((e as Error).stack ?? e));
  process.exit(3);
});
