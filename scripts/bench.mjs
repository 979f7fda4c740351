#!/usr/bin/env node
// `npm run bench` (= tsc -p . && node scripts/bench.mjs [options]): LayerLens vs PyTorch eager autograd.
//
// For each model (ResNet-18 → layer3, ViT-style encoder → blocks.3), threads 1 and 2, batch 1 and 8:
//   LayerLens (the engine in-process: compile, then `attribute()` medians — the engine's `run` timing and the
//   wall-clock of the whole call), a plain onnxruntime forward of the same model, and PyTorch eager autograd
//   (scripts/bench/torch_bench.py, one persistent process), measured round-robin in this one invocation so
//   background load hits all of them alike; ratios, compile time, peak memory, target switch and top-5 cost.
// Then: Captum's layer methods on ResNet-18 → layer3, LayerLens vs PyTorch running Captum's algorithm
// (scripts/bench/methods.mjs: time ratio and agreement per method and batch), memory per model and batch, and
// layer-tree time for a 20,000-node model.
// Prints markdown tables and writes bench/results/latest.json (and a timestamped copy).
//
// Options: --quick (1 thread only, 7 runs) · --models resnet18,vit · --threads 1,2 · --batches 1,8
//          --reps N (runs per config, ≥ 7) · --no-torch · --out FILE
//          --profile (also: where LayerLens' time goes — the engine's steps one by one and onnxruntime's per-op
//            profile, scripts/bench/profile.mjs; ResNet-18 → layer3 at batch 8, the ViT at batch 1)
//          --methods [LIST] (the layer-methods section, on by default; LIST e.g. gradcam,conductance limits it to
//            those methods) · --no-methods (skip it; `node scripts/bench/methods.mjs` runs it alone)
//          --torch-blas DIR (or BENCH_TORCH_BLAS_DIR): also time a second PyTorch process with DIR first on
//            LD_LIBRARY_PATH — e.g. an OpenBLAS libblas.so.3 — since Debian's default reference BLAS makes
//            PyTorch's Linear/MatMul (the ViT) many times slower than a real BLAS would.
//          --no-walk (skip the layer walk, scripts/bench/walk.mjs: ResNet-18, ResNet-50 and ViT-B/16 clicked layer by
//            layer in one session each, cold and warm, against PyTorch; peak RSS; the filmstrip — about 6 minutes;
//            ResNet-18 only with --quick)
//          --only walk [walk options] (the walk alone: --models resnet18,resnet50,vit_b16 · --threads N · --reps N ·
//            --no-check · --no-filmstrip · --no-torch · --torch-blas DIR · --out FILE; see scripts/bench/walk.mjs)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  MODELS_DIR, PYTHON, RESULTS_DIR, ROOT, TorchClient, benchInput, engine, fmt, gc, loadavg, mdTable, median, ort,
  procStatus, pythonHasTorch, resetPeak, round, rssMb, summary, timeIt, maxRelDiff } from './bench/lib.mjs';
import { benchLayerTree } from './bench/synthetic.mjs';
import { profileEngine } from './bench/profile.mjs';
import { writeFallbackModels } from './bench/jsModels.mjs';
import { benchWalk, runWalkCli, walkReport } from './bench/walk.mjs';
import { benchMethods, methodsReport, parseMethodList } from './bench/methods.mjs';

const LAYERS = { resnet18: 'layer3', vit: 'blocks.3' };
const TARGET = 3;
const SWITCH_TARGET = 7;

function parseArgs(argv) {
  const o = { quick: false, models: ['resnet18', 'vit'], threads: [1, 2], batches: [1, 8], reps: undefined, torch: true, profile: false, out: undefined, torchBlas: process.env.BENCH_TORCH_BLAS_DIR || undefined, methods: true, methodList: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--quick') o.quick = true;
    else if (a === '--models') o.models = next().split(',');
    else if (a === '--threads') o.threads = next().split(',').map(Number);
    else if (a === '--batches') o.batches = next().split(',').map(Number);
    else if (a === '--reps') o.reps = Math.max(7, Number(next()));
    else if (a === '--no-torch') o.torch = false;
    else if (a === '--no-walk') o.walk = false;
    else if (a === '--profile') o.profile = true;
    else if (a === '--out') o.out = next();
    else if (a === '--torch-blas') o.torchBlas = next();
    else if (a === '--methods') {
      o.methods = true;
      if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) o.methodList = parseMethodList(next());
    } else if (a === '--no-methods') o.methods = false;
    else if (a === '--help' || a === '-h') {
      console.log(fs.readFileSync(new URL(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  for (const m of o.models) if (!LAYERS[m]) throw new Error(`unknown model ${m} (resnet18, vit)`);
  if (o.quick && !argv.includes('--threads')) o.threads = [1];
  return o;
}

const log = (s) => process.stderr.write(`${s}\n`);

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model,
    cores: cpus.length,
    memGb: round(os.totalmem() / 2 ** 30, 1),
    platform: `${process.platform} ${os.release()}`,
    node: process.version,
    onnxruntimeNode: JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'onnxruntime-node', 'package.json'), 'utf8')).version,
  };
}

/** Builds (or reuses) bench/models: torch export when PyTorch is here, else the JS fallback (same architectures, other weights). */
function ensureModels(torchInfo) {
  if (torchInfo.ok) {
    const r = spawnSync(PYTHON, [path.join(ROOT, 'scripts', 'bench', 'make_models.py'), '--out', MODELS_DIR], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`make_models.py failed:\n${r.stderr}`);
    const m = JSON.parse(r.stdout.trim().split('\n').pop());
    log(m.cached ? `models: cached in ${path.relative(ROOT, MODELS_DIR)} (hash ${m.hash})` : `models: exported to ${path.relative(ROOT, MODELS_DIR)} (hash ${m.hash})`);
    return { source: 'torch', ...m };
  }
  const manifest = path.join(MODELS_DIR, 'manifest.json');
  if (fs.existsSync(manifest)) {
    const m = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    if (Object.values(m.models).every((x) => fs.existsSync(path.join(MODELS_DIR, x.onnx)))) {
      log('models: PyTorch unavailable; using the models exported earlier');
      return { source: m.source ?? 'torch (cached)', ...m };
    }
  }
  log('models: PyTorch unavailable; building the JS fallback models (same architectures, different random weights)');
  return writeFallbackModels(MODELS_DIR);
}

/** onnxruntime on the exported model vs the logits PyTorch computed at export time (same weights, same inputs?). */
async function checkExport(E, kind, manifestEntry) {
  if (!manifestEntry?.ref_logits_head) return undefined;
  const s = await E.createOrtSession(fs.readFileSync(path.join(MODELS_DIR, manifestEntry.onnx)), 'cpu', 1);
  const x = benchInput(2, 1);
  const r = await s.run({ input: new ort.Tensor('float32', x.data, x.dims) });
  const out = Object.values(r)[0];
  const n = out.dims[1];
  const got = [0, 1].flatMap((b) => Array.from(out.data.subarray(b * n, b * n + 5)));
  await s.release();
  const diff = Math.max(...got.map((v, i) => Math.abs(v - manifestEntry.ref_logits_head[i])));
  return round(diff / manifestEntry.ref_logits_absmean, 7);
}

async function runConfig(ctx, kind, batch, threads) {
  const { E, torches, opts, inputs } = ctx;
  const torch = torches[0];
  const layer = LAYERS[kind];
  const file = path.join(MODELS_DIR, `${kind}.onnx`);
  const reps = opts.reps ?? (opts.quick ? 7 : 9);
  const rounds = 3;
  const perRound = Math.ceil(reps / rounds);
  const X = inputs(batch);
  const tStart = performance.now();
  const res = { model: kind, layer, batch, threads, reps: rounds * perRound, loadavgStart: loadavg() };
  log(`\n${kind} → ${layer}, batch ${batch}, ${threads} thread(s)  [load ${res.loadavgStart.join(' ')}]`);

  // ---- PyTorch (each process): load (once per model) + 2 warm-ups
  const tt = Object.fromEntries(torches.map((p) => [p.label, { attribution: [], forward: [] }]));
  res.torch = {};
  for (const p of torches) {
    await p.request({ cmd: 'mem', reset: true });
    const t0 = performance.now();
    const s = await p.request({ cmd: 'setup', model: kind, batch, threads, layer, target: TARGET, warmup: 2 });
    const m = await p.request({ cmd: 'mem' });
    const warmupMs = (performance.now() - t0) / s.warmups;
    // A PyTorch that takes > 1 s per run (reference BLAS on the ViT) gets exactly 7 runs (spread over the rounds)
    // and no forward-only context runs, to keep the whole benchmark near 5 minutes.
    const slow = warmupMs > 1000;
    p.perRound = (r) => (slow ? [3, 2, 2][r] ?? 0 : perRound);
    p.forwardRuns = slow ? 0 : 1;
    res.torch[p.label] = { loadMs: round(s.load_ms), threads: s.threads, blas: s.blas, warmups: s.warmups, peakRssMb: round(m.VmHWM ?? m.ru_maxrss_mb, 1), slow };
  }

  // ---- LayerLens: open, compile (first call), one more warm-up; memory around it
  gc();
  const peakReset = resetPeak();
  const rssBefore = rssMb();
  const { ms: openMs, r: session } = await timeIt(() => E.ModelSession.open(file));
  const req = (x, target) => ({ layers: [layer], inputs: [x], target: { kind: 'index', index: target }, threads, provider: 'cpu' });
  const first = await timeIt(() => session.attribute(req(X[0], TARGET)));
  await session.attribute(req(X[1], TARGET));
  const st = procStatus();
  res.layerlens = {
    openMs: round(openMs),
    compileMs: round(first.r.timings.compile),
    firstCallMs: round(first.ms),
    rssBeforeMb: rssBefore,
    rssSteadyMb: rssMb(),
    peakRssMb: peakReset ? st.VmHWM : undefined,
  };
  const logits = first.r.output.data.subarray(0, first.r.output.dims[1]);
  const top5 = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a]).slice(0, 5);

  // ---- plain onnxruntime forward of the original model (the engine's session options, same threads)
  const plainCreate = await timeIt(() => E.createOrtSession(fs.readFileSync(file), 'cpu', threads));
  const plain = plainCreate.r;
  const plainRun = (x) => timeIt(() => plain.run({ input: new ort.Tensor('float32', x.data, x.dims) }));
  await plainRun(X[0]);
  await plainRun(X[1]);
  res.ortForward = { sessionMs: round(plainCreate.ms) };

  // ---- measured rounds: PyTorch, LayerLens (full + target switch), top-5, ORT forward, PyTorch forward
  const t = { llRun: [], llWall: [], switchWall: [], switchRun: [], switchRel: [], top5Wall: [], ortFwd: [] };
  let n = 0;
  for (let r = 0; r < rounds; r++) {
    for (const p of torches) tt[p.label].attribution.push(...(await p.request({ cmd: 'run', repeats: p.perRound(r) })).times_ms);
    for (let i = 0; i < perRound; i++) {
      const x = X[n++ % 2]; // alternate inputs: the engine keeps the last forward pass, a repeat would skip it
      const full = await timeIt(() => session.attribute(req(x, TARGET)));
      const sw = await timeIt(() => session.attribute(req(x, SWITCH_TARGET)));
      t.llWall.push(full.ms);
      t.llRun.push(full.r.timings.run);
      t.switchWall.push(sw.ms);
      t.switchRun.push(sw.r.timings.run);
      t.switchRel.push(sw.ms / full.ms);
    }
    for (let i = 0; i < 2; i++) {
      const top = await timeIt(() => session.attributeTargets(req(X[n++ % 2], top5[0]), top5.map((k) => ({ kind: 'index', index: k }))));
      t.top5Wall.push(top.ms);
    }
    for (let i = 0; i < perRound; i++) t.ortFwd.push((await plainRun(X[n++ % 2])).ms);
    for (const p of torches) if (p.forwardRuns) tt[p.label].forward.push(...(await p.request({ cmd: 'forward', repeats: p.forwardRuns })).times_ms);
  }
  const S = Object.fromEntries(Object.entries(t).filter(([, v]) => v.length).map(([k, v]) => [k, summary(v)]));
  Object.assign(res.layerlens, { run: S.llRun, wall: S.llWall, switchWall: S.switchWall, switchRun: S.switchRun, top5Wall: S.top5Wall });
  res.layerlens.switchRatio = round(median(t.switchRel), 3);
  res.layerlens.top5Ratio = round(S.top5Wall.median / S.llWall.median, 3);
  res.ortForward.run = S.ortFwd;
  for (const p of torches) {
    const r = res.torch[p.label];
    r.attribution = summary(tt[p.label].attribution);
    r.forward = tt[p.label].forward.length ? summary(tt[p.label].forward) : undefined;
    r.ratio = round(S.llRun.median / r.attribution.median, 3);
    r.ratioWall = round(S.llWall.median / r.attribution.median, 3);
  }
  if (torch) res.ratio = res.torch[torch.label].ratio;
  res.llOverOrtForward = round(S.llRun.median / S.ortFwd.median, 3);

  // ---- same numbers as PyTorch? (threads 1 only: one check per model and batch)
  if (torch && threads === ctx.opts.threads[0]) {
    const f = path.join(os.tmpdir(), `llbench-${process.pid}-${kind}-${batch}.f32`);
    await torch.request({ cmd: 'dump', variant: 0, path: f });
    const want = new Float32Array(fs.readFileSync(f).buffer.slice(0));
    fs.rmSync(f, { force: true });
    const got = await session.attribute(req(benchInput(batch, 0), TARGET));
    res.maxRelDiffVsTorch = Number(maxRelDiff(got.attributions[0][0].data, want).toExponential(2));
  }

  await plain.release();
  await session.dispose();
  res.loadavgEnd = loadavg();
  res.seconds = round((performance.now() - tStart) / 1000, 1);
  const p = torches.length ? torches.map((q) => `${q.label} ${fmt(res.torch[q.label].attribution.median)} ms → ratio ${fmt(res.torch[q.label].ratio, 2)}`).join(', ') : 'PyTorch skipped';
  log(`  LayerLens run ${fmt(S.llRun.median)} ms (wall ${fmt(S.llWall.median)}), ORT forward ${fmt(S.ortFwd.median)} ms, ${p}; switch ×${fmt(res.layerlens.switchRatio, 2)}, top-5 ×${fmt(res.layerlens.top5Ratio, 2)}, compile ${fmt(res.layerlens.compileMs, 0)} ms  (${res.seconds} s)`);
  return res;
}

function report(results) {
  const out = [];
  const m = results.machine;
  out.push(`## LayerLens benchmark — ${results.date}`);
  out.push('');
  out.push(`Machine: ${m.cpu}, ${m.cores} cores, ${m.memGb} GiB; ${m.platform}; Node ${m.node}; onnxruntime-node ${m.onnxruntimeNode}; ` +
    (results.torch.ok ? `PyTorch ${results.torch.version} (BLAS_INFO=${results.torch.blasInfo}, libblas → ${results.torch.blasLib ?? '?'})` : `PyTorch: not available (${results.torch.why}) — PyTorch columns skipped`));
  out.push(`Load average (1/5/15 min): start ${results.loadavgStart.join(' / ')}, end ${results.loadavgEnd.join(' / ')}. Medians; LayerLens "run" = the engine's timings.run, "wall" = the whole attribute() call; LL / PyTorch = LayerLens run ÷ PyTorch (forward + autograd.grad to the layer output + multiply), measured round-robin in this run.`);
  if (results.torchProcesses?.length) out.push(`PyTorch processes run with OMP_WAIT_POLICY=${process.env.OMP_WAIT_POLICY || 'PASSIVE'} (no spinning, like the engine's allow_spinning=0; libgomp's default spinning made 2-thread PyTorch ~10× slower on this loaded 2-core machine).`);
  for (const p of results.torchProcesses ?? []) {
    const blas = results.configs.find((c) => c.torch?.[p.label])?.torch[p.label].blas ?? [];
    const reference = blas.some((b) => /\/blas\/libblas\.so/.test(b));
    out.push(`${p.label}: BLAS ${blas.join(', ') || '?'}${p.libDir ? ` (LD_LIBRARY_PATH=${p.libDir})` : ''}${reference ? ' — **reference (netlib) BLAS: its Linear/MatMul are far slower than with OpenBLAS/MKL, so ratios for MatMul-heavy models (the ViT) flatter LayerLens; rerun with --torch-blas DIR for a fair baseline**' : ''}`);
  }
  out.push('');
  const labels = (results.torchProcesses ?? []).map((p) => p.label);
  const rows = results.configs.map((c) => [
    `${c.model} → ${c.layer}`, c.batch, c.threads,
    fmt(c.layerlens.run.median), fmt(c.layerlens.wall.median),
    ...labels.flatMap((l) => [fmt(c.torch?.[l]?.attribution.median), c.torch?.[l] ? `**${fmt(c.torch[l].ratio, 2)}**` : '—']),
    fmt(c.ortForward.run.median), ...labels.slice(0, 1).map((l) => fmt(c.torch?.[l]?.forward?.median)), fmt(c.llOverOrtForward, 2),
    `${c.loadavgStart[0].toFixed(1)}→${c.loadavgEnd[0].toFixed(1)}`, c.reps,
  ]);
  out.push(mdTable([
    'model → layer', 'batch', 'thr', 'LayerLens run ms', 'LL wall ms',
    ...labels.flatMap((l) => [`${l} ms`, `LL / ${l}`]),
    'ORT fwd ms', ...labels.slice(0, 1).map((l) => `${l} fwd ms`), 'LL / ORT fwd', 'load 1m', 'n',
  ], rows));
  out.push('');
  for (const c of results.configs) {
    const pt = c.torch?.[labels[labels.length - 1]]?.attribution.median;
    if (c.model === 'resnet18' && c.threads === 1 && pt)
      out.push(`Floor check, ${c.model} batch ${c.batch}: the plain onnxruntime forward alone is ${fmt(c.ortForward.run.median / pt, 2)}× ${labels[labels.length - 1]}'s whole attribution (LayerLens ${fmt(c.layerlens.run.median / pt, 2)}×).`);
  }
  out.push('');
  const rows2 = results.configs.map((c) => [
    `${c.model}`, c.batch, c.threads, fmt(c.layerlens.openMs, 0), fmt(c.layerlens.compileMs, 0), fmt(c.layerlens.firstCallMs, 0), fmt(c.ortForward.sessionMs, 0),
    `${fmt(c.layerlens.switchWall.median)} (×${fmt(c.layerlens.switchRatio, 2)})`, `${fmt(c.layerlens.top5Wall.median)} (×${fmt(c.layerlens.top5Ratio, 2)})`,
    c.maxRelDiffVsTorch ?? '—',
  ]);
  out.push(mdTable(['model', 'batch', 'thr', 'open ms', 'compile ms', '1st call ms', 'ORT session ms', 'target switch ms (× full)', 'top-5 ms (× full)', 'max rel diff vs PyTorch (attribution, batch input 0)'], rows2));
  out.push('');
  if (results.memory?.length) {
    const torchPeak = (kind, batch) => {
      const c = results.configs.find((x) => x.model === kind && x.batch === batch && x.threads === results.options.threads[0]);
      return c?.torch?.[labels[0]]?.peakRssMb;
    };
    out.push(mdTable(['memory (fresh process, 1 thread)', 'batch', 'node base MB', 'after open', 'peak through 1st call', '1st call ms', 'steady after 4 calls', 'PyTorch process peak MB'],
      results.memory.map((m) => [m.model, m.batch, fmt(m.baseMb, 0), fmt(m.openedMb, 0), fmt(m.peakFirstCallMb, 0), m.firstCallMs, fmt(m.steadyMb, 0), fmt(torchPeak(m.model, m.batch), 0)])));
    out.push('');
  }
  if (results.layerTree) {
    const l = results.layerTree;
    out.push(`Layer tree: synthetic ${l.nodes}-node model (${(l.bytes / 2 ** 20).toFixed(1)} MiB) → ${l.entries} entries: loadModel ${l.loadModelMs} ms, new LayerTree ${l.layerTreeMs} ms (median of ${l.layerTreeAllMs.length}), one layer lookup ${l.lookupMs} ms.`);
    out.push('');
  }
  if (results.methods) {
    out.push(methodsReport(results.methods));
    out.push('');
  }
  if (results.walk) {
    out.push(walkReport(results.walk));
    out.push('');
  }
  const p = results.profile;
  if (p) {
    const b = p.breakdown;
    out.push(`### Profile: ${p.model} → ${p.layer}, batch ${p.batch}, ${p.threads} thread (load ${p.loadavgStart[0]}→${p.loadavgEnd[0]})`);
    out.push('');
    out.push(mdTable(['step', 'median ms', 'min ms', 'share'], [
      ['forward session run (logits + layer + values backward needs)', fmt(b.forwardRun), fmt(b.min.forwardRun), `${fmt(100 * b.share.forwardRun, 1)}%`],
      ['backward session run', fmt(b.backwardRun), fmt(b.min.backwardRun), `${fmt(100 * b.share.backwardRun, 1)}%`],
      ['input fingerprint (forward-cache key)', fmt(b.fingerprint, 2), fmt(b.min.fingerprint, 2), ''],
      ['seed build + feeds', fmt(b.seed + b.toOrtInputs, 2), fmt(b.min.seed + b.min.toOrtInputs, 2), ''],
      ['grad × activation in JS', fmt(b.multiply, 2), fmt(b.min.multiply, 2), ''],
      ['JS total', fmt(b.jsOverhead, 2), '', `${fmt(100 * b.share.js, 1)}%`],
      ['total (whole step sequence)', fmt(b.total), fmt(b.min.total), ''],
    ]));
    out.push('');
    const ops = (prof) => prof.byOp.slice(0, 5).map((o) => `${o.op} ${o.ms} ms (${(o.share * 100).toFixed(0)}%)`).join(', ');
    out.push(`ORT per-op: forward ${p.opProfile.forward.kernelMs} ms — ${ops(p.opProfile.forward)}; backward ${p.opProfile.backward.kernelMs} ms — ${ops(p.opProfile.backward)}.`);
    out.push(`Compile ${p.compileMs} ms.`);
    out.push(`Backward's slowest nodes: ${p.opProfile.backward.topNodes.slice(0, 5).map((n) => `${n.node} ${n.ms}`).join(', ')}.`);
    out.push('');
  }
  const v = results.profileVit;
  if (v) {
    const b = v.breakdown;
    const ops = (prof) => prof.byOp.slice(0, 6).map((o) => `${o.op} ${o.ms}`).join(', ');
    out.push(`ViT → ${v.layer}, batch ${v.batch}, ${v.threads} thread: forward run ${fmt(b.forwardRun)} ms, backward run ${fmt(b.backwardRun)} ms, JS ${fmt(b.jsOverhead, 2)} ms, total ${fmt(b.total)} ms. Per-op (ms): forward ${ops(v.opProfile.forward)}; backward ${ops(v.opProfile.backward)}.`);
    out.push('');
  }
  return out.join('\n');
}

async function main() {
  const argv = process.argv.slice(2);
  const only = argv.indexOf('--only');
  if (only >= 0) {
    if (argv[only + 1] !== 'walk') throw new Error(`--only takes: walk (got ${argv[only + 1]})`);
    return runWalkCli([...argv.slice(0, only), ...argv.slice(only + 2)]);
  }
  const opts = parseArgs(argv);
  const t0 = performance.now();
  const E = engine();
  const torchInfo = opts.torch ? pythonHasTorch() : { ok: false, why: '--no-torch' };
  if (!torchInfo.ok) log(`PyTorch not available (${torchInfo.why}): PyTorch columns are skipped`);
  const results = { date: new Date().toISOString(), machine: machine(), torch: torchInfo, options: opts, loadavgStart: loadavg() };
  results.models = ensureModels(torchInfo);
  results.exportCheck = {};
  for (const kind of opts.models) results.exportCheck[kind] = await checkExport(E, kind, results.models.models?.[kind]);

  const cache = new Map();
  const inputs = (batch) => {
    if (!cache.has(batch)) cache.set(batch, [benchInput(batch, 1), benchInput(batch, 2)]);
    return cache.get(batch);
  };
  const torches = [];
  if (torchInfo.ok) {
    torches.push(new TorchClient('PyTorch'));
    if (opts.torchBlas) torches.push(new TorchClient('PyTorch+BLAS', opts.torchBlas));
  }
  results.torchProcesses = torches.map((p) => ({ label: p.label, libDir: p === torches[1] ? opts.torchBlas : undefined }));
  const ctx = { E, torches, opts, inputs };
  results.configs = [];
  try {
    for (const kind of opts.models)
      for (const threads of opts.threads)
        for (const batch of opts.batches) results.configs.push(await runConfig(ctx, kind, batch, threads));
  } finally {
    for (const p of torches) await p.close();
  }
  cache.clear();
  gc();

  if (opts.methods && opts.models.includes('resnet18')) {
    log("\nCaptum's layer methods (ResNet-18 → layer3, 1 thread), LayerLens vs PyTorch running Captum's algorithm");
    results.methods = await benchMethods({
      methods: opts.methodList, batches: opts.batches, reps: opts.reps, quick: opts.quick, torch: torchInfo.ok, torchBlas: opts.torchBlas, log,
    });
    gc();
  }

  if (opts.walk !== false) {
    log('\nlayer walk (ResNet-18, ResNet-50, ViT-B/16: one session each, cold and warm, vs PyTorch)');
    results.walk = await benchWalk({ models: opts.quick ? ['resnet18'] : undefined, torch: opts.torch, torchBlas: opts.torchBlas, log });
    gc();
  }

  log('\nmemory (fresh process per model and batch, 1 thread)');
  results.memory = [];
  const memRuns = [];
  for (const kind of opts.models) for (const batch of opts.batches) memRuns.push([kind, batch]);
  for (const [kind, batch] of memRuns) {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'bench', 'memory.mjs'), path.join(MODELS_DIR, `${kind}.onnx`), LAYERS[kind], String(batch), '1'], { encoding: 'utf8' });
    if (r.status !== 0) {
      log(`  memory ${kind} b${batch}: failed: ${r.stderr.trim().split('\n').pop()}`);
      continue;
    }
    const m = { model: kind, batch, ...JSON.parse(r.stdout.trim().split('\n').pop()) };
    results.memory.push(m);
    log(`  ${kind} b${batch}: base ${m.baseMb} MB, opened ${m.openedMb}, peak through first call ${m.peakFirstCallMb} (${m.firstCallMs} ms), steady ${m.steadyMb}`);
  }

  log('\nlayer tree (synthetic 20,000-node model)');
  results.layerTree = await benchLayerTree({ dir: MODELS_DIR, reps: 5, log });

  if (opts.profile && opts.models.includes('resnet18')) {
    log('\nprofile (ResNet-18 → layer3, batch 8, 1 thread)');
    results.profile = await profileEngine({ modelsDir: MODELS_DIR, batch: 8, threads: 1, reps: opts.quick ? 5 : 7, log });
  }
  if (opts.profile && opts.models.includes('vit')) {
    log('\nprofile (ViT → blocks.3, batch 1, 1 thread)');
    results.profileVit = await profileEngine({ modelsDir: MODELS_DIR, kind: 'vit', layer: LAYERS.vit, batch: 1, threads: 1, reps: 7, log });
  }
  results.loadavgEnd = loadavg();
  results.totalSeconds = round((performance.now() - t0) / 1000, 1);

  const md = report(results);
  results.markdown = md;
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const outFile = opts.out ?? path.join(RESULTS_DIR, 'latest.json');
  const json = JSON.stringify(results, null, 1);
  fs.writeFileSync(outFile, json);
  if (!opts.out) fs.writeFileSync(path.join(RESULTS_DIR, `${results.date.replace(/[:.]/g, '-')}.json`), json);
  console.log(`\n${md}\n`);
  log(`wrote ${path.relative(ROOT, outFile)} (${results.totalSeconds} s)`);
}

main().catch((e) => {
  console.error(e?.stack ?? e);
  process.exit(1);
});
