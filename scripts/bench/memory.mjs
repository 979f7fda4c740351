// Memory of one LayerLens attribution setup, in a fresh process (so earlier models and garbage don't count):
//   node scripts/bench/memory.mjs MODEL.onnx LAYER BATCH THREADS  → one JSON line on stdout.
// RSS after the engine loads, after ModelSession.open, peak (VmHWM) through the first attribute() (compile),
// steady RSS after three more attributions and a GC, and the process peak.
import { benchInput, engine, gc, procStatus, rssMb } from './lib.mjs';

const [file, layer, batchS, threadsS] = process.argv.slice(2);
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
