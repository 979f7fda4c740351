#!/usr/bin/env node
// Captum's layer methods, LayerLens vs PyTorch: the `methods` section of `npm run bench`, also runnable alone
// (after `tsc -p .`):
//   node scripts/bench/methods.mjs [--methods gradcam,conductance] [--batches 1,8] [--reps N] [--slow-reps N]
//        [--slow-reps-big N] [--quick] [--torch-blas DIR] [--no-torch] [--jitter-batches 1 | --no-jitter]
//        [--ibs-batches 1 | --no-ibs] [--out FILE]
//
// ResNet-18-shaped model (bench/models/resnet18.onnx + resnet18.pt) → layer3, target class 3, 1 thread on both
// sides. For each method and batch: LayerLens (one long-lived ModelSession, one warm-up call, then the median of
// the whole attribute() call) and a PyTorch eager implementation of Captum's algorithm for that method
// (scripts/bench/torch_methods.py --serve, one warm-up), interleaved call by call in this one process so background
// load hits both alike; then the largest difference between the two results on the same input, relative to the
// largest |PyTorch value|. For the path methods (at the --jitter-batches, default batch 1) also PyTorch against itself
// with the input scaled by 1 + 2⁻²² and 1 + 2⁻²⁰: the float32 noise floor of the method at that input; and (at the
// --ibs-batches, default batch 1) a third timed side, PyTorch with Captum's internal_batch_size set to the rows
// LayerLens runs at once (13 at batch 1): Captum's default, one batch of n_steps·N rows, is much slower per row here.
//   lgxa, activation, gradcam: reps N (default 9; --quick 7)
//   internal-influence, conductance, integrated-gradients (n_steps 50, gausslegendre), feature-ablation (a [1,256,1,1]
//   channel mask: 256 groups, 16 per run on both sides): --slow-reps at batch 1 (default 5; --quick 3) and
//   --slow-reps-big at batch 8 (default 3; --quick 1).
// Captum itself cannot be installed here (no PyPI access): the PyTorch side is our implementation of Captum's
// algorithm (same batching: all n_steps·N points in one batch, as with internal_batch_size None).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MODELS_DIR, RESULTS_DIR, ROOT, TorchClient, benchInput, engine, fmt, gc, loadavg, maxRelDiff, mdTable, pythonHasTorch, round, summary, timeIt,
} from './lib.mjs';

export const LAYER = 'layer3';
export const TARGET = 3;
const N_STEPS = 50;
const PPE = 16;

/** The channel mask: [1, 256, 1, 1], ids 0..255 (one group per channel of layer3's output). */
function channelMask(channels = 256) {
  return { dtype: 'int64', dims: [1, channels, 1, 1], data: BigInt64Array.from({ length: channels }, (_, i) => BigInt(i)) };
}

/** Each method: what LayerLens gets (MethodSpec) and what torch_methods.py gets. */
export const METHOD_CASES = [
  { name: 'lgxa', label: 'Layer Gradient × Activation', slow: false, spec: { name: 'lgxa' }, torch: {} },
  { name: 'activation', label: 'LayerActivation', slow: false, spec: { name: 'activation' }, torch: {} },
  { name: 'gradcam', label: 'LayerGradCam', slow: false, spec: { name: 'gradcam' }, torch: {} },
  {
    name: 'internal-influence', label: `InternalInfluence (${N_STEPS} steps, gausslegendre)`, slow: true,
    path: true, spec: { name: 'internal-influence', nSteps: N_STEPS, integration: 'gausslegendre' }, torch: { n_steps: N_STEPS, integration: 'gausslegendre' },
  },
  {
    name: 'conductance', label: `LayerConductance (${N_STEPS} steps, ${N_STEPS + 1} points)`, slow: true,
    path: true, spec: { name: 'conductance', nSteps: N_STEPS, integration: 'gausslegendre' }, torch: { n_steps: N_STEPS, integration: 'gausslegendre' },
  },
  {
    name: 'integrated-gradients', label: `LayerIntegratedGradients (${N_STEPS} steps)`, slow: true,
    path: true, spec: { name: 'integrated-gradients', nSteps: N_STEPS, integration: 'gausslegendre' }, torch: { n_steps: N_STEPS, integration: 'gausslegendre' },
  },
  {
    name: 'feature-ablation', label: `LayerFeatureAblation (256 channel groups, ${PPE} per eval)`, slow: true,
    spec: { name: 'feature-ablation', layerMask: channelMask(), perturbationsPerEval: PPE }, torch: { layer_mask: 'channel', perturbations_per_eval: PPE },
  },
];
export const METHOD_NAMES = METHOD_CASES.map((m) => m.name);

export function parseMethodList(s) {
  const names = s.split(',').map((x) => x.trim()).filter(Boolean);
  for (const n of names) if (!METHOD_NAMES.includes(n)) throw new Error(`unknown method ${n} (${METHOD_NAMES.join(', ')})`);
  return names;
}

/** How many timed calls per side: fast methods `reps`, slow ones fewer (batch 8 path methods take many seconds). */
function repsFor(c, batch, o) {
  if (!c.slow) return o.reps ?? (o.quick ? 7 : 9);
  if (batch <= 1) return o.slowReps ?? (o.quick ? 3 : 5);
  return o.slowRepsBig ?? (o.quick ? 1 : 3);
}

/**
 * Runs the section. o: { methods, batches, reps, slowReps, slowRepsBig, quick, torch (bool), torchBlas, log }.
 * Returns { rows, torch, machine notes… } (JSON-able) — `methodsReport` turns it into markdown.
 */
export async function benchMethods(o = {}) {
  const log = o.log ?? ((s) => process.stderr.write(`${s}\n`));
  const names = o.methods ?? METHOD_NAMES;
  const batches = o.batches ?? [1, 8];
  const E = engine();
  const file = path.join(MODELS_DIR, 'resnet18.onnx');
  if (!fs.existsSync(file)) throw new Error(`${path.relative(ROOT, file)} is missing: run \`npm run bench\` once (or python3 scripts/bench/make_models.py)`);
  let torchInfo = o.torch === false ? { ok: false, why: '--no-torch' } : pythonHasTorch();
  if (torchInfo.ok && !fs.existsSync(path.join(MODELS_DIR, 'resnet18.pt'))) torchInfo = { ok: false, why: 'bench/models/resnet18.pt is missing (models from the JS fallback)' };
  if (!torchInfo.ok) log(`methods: PyTorch not available (${torchInfo.why}): LayerLens only`);
  const res = {
    date: new Date().toISOString(), model: 'resnet18', layer: LAYER, target: TARGET, threads: 1, torch: torchInfo,
    torchBlasDir: o.torchBlas, loadavgStart: loadavg(), procLoadavgStart: procLoadavg(), rows: [],
  };
  const t0 = performance.now();
  const torch = torchInfo.ok ? new TorchClient(o.torchBlas ? 'PyTorch+BLAS' : 'PyTorch', o.torchBlas, 'torch_methods.py') : undefined;
  const session = await E.ModelSession.open(file);
  try {
    for (const name of names) {
      const c = METHOD_CASES.find((m) => m.name === name);
      for (const batch of batches) {
        const extras = { jitter: (o.jitterBatches ?? [1]).includes(batch), ibs: (o.ibsBatches ?? [1]).includes(batch) };
        res.rows.push(await benchOne(E, session, torch, c, batch, repsFor(c, batch, o), extras, log));
      }
    }
  } finally {
    await session.dispose();
    if (torch) await torch.close();
  }
  res.loadavgEnd = loadavg();
  res.procLoadavgEnd = procLoadavg();
  res.seconds = round((performance.now() - t0) / 1000, 1);
  return res;
}

/**
 * The rows LayerLens puts in one run of a path method when neither the user nor the model fixes it: as many points
 * as fit in 2²¹ input elements (layerMethods.ts ROW_BUDGET), times the batch — 13 rows at batch 1, 8 at batch 8.
 */
export function layerlensRowsPerRun(batch, inputElementsPerRow = 3 * 224 * 224) {
  return Math.max(1, Math.floor(2 ** 21 / (batch * inputElementsPerRow))) * batch;
}

async function benchOne(E, session, torch, c, batch, reps, extras, log) {
  const x = benchInput(batch, 1);
  const req = { layers: [LAYER], inputs: [x], target: { kind: 'index', index: TARGET }, threads: 1, provider: 'cpu', method: c.spec, fresh: true };
  const row = { method: c.name, label: c.label, batch, reps, loadavgStart: loadavg() };
  log(`\nmethods: ${c.name}, batch ${batch}, ${reps} timed call(s) per side  [load ${row.loadavgStart.join(' ')}]`);
  gc();
  // Warm-up: LayerLens compiles and opens its sessions on the first call of a method/shape; PyTorch allocates.
  const first = await timeIt(() => session.attribute(req));
  row.layerlensFirstCallMs = round(first.ms);
  row.layerlensCompileMs = round(first.r.timings.compile);
  if (torch) {
    const s = await torch.request({ cmd: 'setup', model: 'resnet18', layer: LAYER, batch, threads: 1, target: TARGET, variant: 1, method: c.name, warmup: 1, ...c.torch });
    row.torchWarmupMs = round(s.warmup_ms[0]);
    row.torchThreads = s.threads;
    row.torchBlas = s.blas;
  }
  log(`  warm-up: LayerLens ${fmt(row.layerlensFirstCallMs, 0)} ms (compile ${fmt(row.layerlensCompileMs, 0)}), PyTorch ${fmt(row.torchWarmupMs, 0)} ms`);
  const wall = [];
  const run = [];
  const pt = [];
  // Path methods: also PyTorch with Captum's internal_batch_size = the rows LayerLens runs at once (a second column).
  const ibs = torch && c.path && extras.ibs ? layerlensRowsPerRun(batch) : undefined;
  const ptIbs = [];
  let ibsRel;
  let last = first.r;
  for (let i = 0; i < reps; i++) {
    // Alternate which side goes first, so neither always follows the other's allocations.
    const ll = async () => {
      const r = await timeIt(() => session.attribute(req));
      wall.push(r.ms);
      run.push(r.r.timings.run);
      last = r.r;
    };
    const py = async () => {
      if (torch) pt.push(...(await torch.request({ cmd: 'run', repeats: 1 })).times_ms);
    };
    const pyIbs = async () => {
      const r = await torch.request({ cmd: 'run_with', repeats: 1, spec: { internal_batch_size: ibs } });
      ptIbs.push(...r.times_ms);
      ibsRel = r.max_rel_vs_last;
    };
    const sides = ibs ? [ll, py, pyIbs] : [ll, py];
    for (let k = 0; k < sides.length; k++) await sides[(i + k) % sides.length]();
  }
  row.layerlens = summary(wall);
  row.layerlensRun = summary(run);
  if (torch) {
    row.torch = summary(pt);
    row.ratio = round(row.layerlens.median / row.torch.median, 3);
    if (ibs) {
      row.torchIbs = { internalBatchSize: ibs, ...summary(ptIbs), maxRelVsDefault: ibsRel };
      row.ratioIbs = round(row.layerlens.median / row.torchIbs.median, 3);
    }
    // Same input (variant 1) on both sides: PyTorch's last timed result vs LayerLens' last one.
    const f = path.join(os.tmpdir(), `llbench-methods-${process.pid}.f32`);
    const d = await torch.request({ cmd: 'dump', path: f });
    const buf = fs.readFileSync(f); // small files come in Node's shared pool: copy out exactly this file's bytes
    const want = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    fs.rmSync(f, { force: true });
    const got = last.attributions[0][0];
    if (got.dims.join(',') !== d.dims.join(',')) throw new Error(`${c.name}: LayerLens shape [${got.dims}] vs PyTorch [${d.dims}]`);
    row.dims = got.dims;
    row.maxRelDiff = maxRelDiff(got.data, want);
    row.maxAbsTorch = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    // Path methods: PyTorch's own change when the input moves by an ulp or so (scaled by 1 + 2⁻²², 1 + 2⁻²⁰) — the
    // float32 noise floor any implementation has at this input (a ReLU near its kink at one of the points).
    if (extras.jitter && c.path) {
      const j = await torch.request({ cmd: 'jitter', eps: [2 ** -22, 2 ** -20] });
      row.torchJitter = Math.max(...Object.values(j.max_rel_change));
    }
  } else row.dims = last.attributions[0][0].dims;
  row.loadavgEnd = loadavg();
  const ibsNote = row.torchIbs ? `; PyTorch internal_batch_size ${ibs}: ${fmt(row.torchIbs.median)} ms → ratio ${fmt(row.ratioIbs, 2)}` : '';
  log(`  LayerLens ${fmt(row.layerlens.median)} ms (run ${fmt(row.layerlensRun.median)}), PyTorch ${fmt(row.torch?.median)} ms → ratio ${fmt(row.ratio, 2)}${ibsNote}; max rel diff ${exp(row.maxRelDiff)}${row.torchJitter !== undefined ? ` (PyTorch vs itself, input × (1 + 2⁻²²|2⁻²⁰): ${exp(row.torchJitter)})` : ''}  [load ${row.loadavgEnd.join(' ')}]`);
  return row;
}

const exp = (v) => (typeof v === 'number' && Number.isFinite(v) ? v.toExponential(1) : '—');

function procLoadavg() {
  try {
    return fs.readFileSync('/proc/loadavg', 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function methodsReport(r) {
  const out = [];
  out.push(`### Captum's layer methods: ResNet-18 → ${r.layer}, target ${r.target}, 1 thread — ${r.date}`);
  out.push('');
  out.push(`PyTorch side: our eager implementation of Captum's algorithm for each method (scripts/bench/torch_methods.py; Captum cannot be installed offline here), same weights, all integration points in one batch (internal_batch_size None). ` +
    (r.torch.ok ? `PyTorch ${r.torch.version}, BLAS ${[...new Set(r.rows.flatMap((x) => x.torchBlas ?? []))].join(', ') || '?'}${r.torchBlasDir ? ` (LD_LIBRARY_PATH=${r.torchBlasDir})` : ''}.` : `PyTorch not available (${r.torch.why}).`));
  out.push(`/proc/loadavg before: ${r.procLoadavgStart}; after: ${r.procLoadavgEnd} (${r.seconds} s). Medians of the whole call after one warm-up per side, calls interleaved; max rel diff = max |LayerLens − PyTorch| / max |PyTorch| on the same input.`);
  out.push('');
  out.push(mdTable(['method', 'batch', 'LayerLens ms', "PyTorch (Captum's algorithm) ms", 'ratio', 'max rel diff', 'PyTorch vs itself, input × (1+2⁻²²/2⁻²⁰)', 'PyTorch, internal_batch_size = LayerLens rows per run: ms (ratio)', 'n', 'load 1m'],
    r.rows.map((x) => [x.label, x.batch, fmt(x.layerlens.median), fmt(x.torch?.median), x.ratio !== undefined ? `**${fmt(x.ratio, 2)}**` : '—', exp(x.maxRelDiff), exp(x.torchJitter),
      x.torchIbs ? `${fmt(x.torchIbs.median)} (${fmt(x.ratioIbs, 2)}; ibs ${x.torchIbs.internalBatchSize})` : '—', x.reps, `${x.loadavgStart[0].toFixed(1)}→${x.loadavgEnd[0].toFixed(1)}`])));
  return out.join('\n');
}

function parseArgs(argv) {
  const o = { methods: undefined, batches: [1, 8], reps: undefined, slowReps: undefined, slowRepsBig: undefined, quick: false, torch: true, torchBlas: process.env.BENCH_TORCH_BLAS_DIR || undefined, out: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--methods') o.methods = parseMethodList(next());
    else if (a === '--batches') o.batches = next().split(',').map(Number);
    else if (a === '--reps') o.reps = Math.max(1, Number(next()));
    else if (a === '--slow-reps') o.slowReps = Math.max(1, Number(next()));
    else if (a === '--slow-reps-big') o.slowRepsBig = Math.max(1, Number(next()));
    else if (a === '--quick') o.quick = true;
    else if (a === '--no-torch') o.torch = false;
    else if (a === '--jitter-batches') o.jitterBatches = next().split(',').filter(Boolean).map(Number);
    else if (a === '--no-jitter') o.jitterBatches = [];
    else if (a === '--ibs-batches') o.ibsBatches = next().split(',').filter(Boolean).map(Number);
    else if (a === '--no-ibs') o.ibsBatches = [];
    else if (a === '--torch-blas') o.torchBlas = next();
    else if (a === '--out') o.out = next();
    else if (a === '--help' || a === '-h') {
      console.log(fs.readFileSync(new URL(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const o = parseArgs(process.argv.slice(2));
  benchMethods(o)
    .then((r) => {
      r.markdown = methodsReport(r);
      fs.mkdirSync(RESULTS_DIR, { recursive: true });
      const outFile = o.out ?? path.join(RESULTS_DIR, 'methods-latest.json');
      const json = JSON.stringify({ options: { ...o, methods: o.methods ?? METHOD_NAMES }, ...r }, null, 1);
      fs.writeFileSync(outFile, json);
      if (!o.out) fs.writeFileSync(path.join(RESULTS_DIR, `methods-${r.date.replace(/[:.]/g, '-')}.json`), json);
      console.log(`\n${r.markdown}\n`);
      process.stderr.write(`wrote ${path.relative(ROOT, outFile)}\n`);
    })
    .catch((e) => {
      console.error(e?.stack ?? e);
      process.exit(1);
    });
}
