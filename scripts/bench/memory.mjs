// Memory of one LayerLens attribution setup, in a fresh process (so earlier models and garbage don't count):
//   node scripts/bench/memory.mjs MODEL.onnx LAYER BATCH THREADS  → one JSON line on stdout.
// RSS after the engine loads, after ModelSession.open, peak (VmHWM) through the first attribute() (compile),
// steady RSS after three more attributions and a GC, and the process peak.
// --patch-constant: Emitter.constant builds its de-duplication key only for the small constants it caches
// (this process only), to measure what that engine change would save.
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { ROOT, benchInput, engine, gc, procStatus, rssMb } from './lib.mjs';

if (process.argv.includes('--patch-constant')) {
  const require = createRequire(import.meta.url);
  const { Emitter } = require(path.join(ROOT, 'out', 'src', 'engine', 'autodiff', 'emitter.js'));
  const { makeTensor } = require(path.join(ROOT, 'out', 'src', 'engine', 'onnx', 'tensorData.js'));
  const original = Emitter.prototype.constant;
  Emitter.prototype.constant = function (elemType, dims, values) {
    if (values.length <= 64) return original.call(this, elemType, dims, values);
    const name = this.fresh('const');
    this.initializers.push(makeTensor(name, elemType, dims, values));
    return name;
  };
}

const [file, layer, batchS, threadsS] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const batch = Number(batchS);
const threads = Number(threadsS);
const E = engine();
gc();
const base = rssMb();
const session = await E.ModelSession.open(file);
gc();
const opened = rssMb();
const req = (v) => ({ layers: [layer], inputs: [benchInput(batch, v)], target: { kind: 'index', index: 3 }, threads, provider: 'cpu' });
const t0 = performance.now();
await session.attribute(req(1));
const afterFirst = procStatus();
const firstMs = performance.now() - t0;
for (let v = 2; v <= 4; v++) await session.attribute(req(v));
gc();
await new Promise((r) => setTimeout(r, 50));
const steady = rssMb();
const end = procStatus();
console.log(JSON.stringify({ baseMb: base, openedMb: opened, peakFirstCallMb: afterFirst.VmHWM, steadyMb: steady, peakMb: end.VmHWM, firstCallMs: Math.round(firstMs) }));
await session.dispose();
