#!/usr/bin/env node
// The layer walk: the `walk` section of `npm run bench`, also runnable alone (after `tsc -p .`):
//   node scripts/bench/walk.mjs [--models resnet18,resnet50,vit_b16] [--threads N] [--reps N] [--torch-blas DIR]
//        [--no-torch] [--no-check] [--no-filmstrip] [--out FILE]
//   (or `node scripts/bench.mjs --only walk [same options]`)
//
// What a user does in the inspector, in one long-lived ModelSession per model (the compiled out/ engine, as the
// engine process holds it): open the model, list the layer tree, pick an input (1×3×224×224, a prediction), then
// click ≥ 10 layers in tree order (top-level and nested, one layer INPUT among them) — Layer Gradient × Activation,
// the top class as target. Cold = each layer's first attribution (compile + run: timings.compile, timings.run and
// the wall time of the call); repeat = the same layer again at once (fresh forward, compiled graphs cached); warm =
// the whole walk a second time in the same order.
// PyTorch (scripts/bench/torch_bench.py --serve, the same module and weights the ONNX was exported from): forward
// with a hook keeping the layer tensor, autograd.grad of the target score, grad × activation; one warm-up per layer,
// then --reps runs after the cold call and --reps after the warm call (median of all), threads = onnxruntime's
// default (the physical cores) unless --threads; its result is compared with LayerLens' cold one (--no-check skips).
// Peak RSS per model (VmHWM of a fresh Node process per model, reset before opening) against the model's weight bytes.
// Filmstrip (ResNet-18): all top-level layers in one attribute request vs each alone, in fresh sessions, cold and
// warm, and how far each strip entry is from its single attribution.
// Writes bench/results/walk-latest.json and a timestamped copy.
//
// Models: bench/models/{resnet18,resnet50,vit_b16,vit}.onnx + .pt from scripts/bench/make_models.py --models … (built
// here when missing; needs /usr/bin/python3 with torch). --torch-blas DIR (or BENCH_TORCH_BLAS_DIR) puts DIR first on
// PyTorch's LD_LIBRARY_PATH (e.g. OpenBLAS: Debian's reference BLAS makes PyTorch's ViT many times slower).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MODELS_DIR, PYTHON, RESULTS_DIR, ROOT, TorchClient, benchInput, engine, fmt, gc, loadavg, maxRelDiff, mdTable, median, procStatus,
  pythonHasTorch, resetPeak, round, timeIt,
} from './lib.mjs';

const out = (id) => ({ id, input: false });
const inp = (id) => ({ id, input: true });
/**
 * A conv whose BatchNorm the ONNX exporter folded into it (eval-mode export): its ONNX output is the BN's output, so
 * PyTorch keeps the tensor at the BN module, before the ReLU(inplace=True) that follows (the hook passes on a copy).
 */
const folded = (id, bn) => ({ id, input: false, torch: bn, clone: true });
/**
 * The clicks of each model's walk, in tree order; `inp` = attribute to the layer's input. The layer input is of a
 * block whose producer is not in the walk, and no two clicks name the same tensor (layer3 = layer3.1's output), so
 * every click is a new compile.
 */
export const WALKS = {
  resnet18: [folded('conv1', 'bn1'), out('layer1'), out('layer1.0'), folded('layer1.0.conv1', 'layer1.0.bn1'), out('layer2'), inp('layer2.1'),
    folded('layer2.0.conv2', 'layer2.0.bn2'), out('layer3'), out('layer3.0'), out('layer4'), folded('layer4.1.conv2', 'layer4.1.bn2'), out('fc')],
  resnet50: [folded('conv1', 'bn1'), out('layer1'), out('layer1.0'), folded('layer1.0.conv2', 'layer1.0.bn2'), out('layer2'), inp('layer2.1'),
    folded('layer2.0.conv3', 'layer2.0.bn3'), out('layer3'), out('layer3.2'), folded('layer3.5.conv1', 'layer3.5.bn1'), out('layer4'), out('fc')],
  vit_b16: [out('patch_embed'), out('blocks.0'), out('blocks.0.attn'), out('blocks.0.mlp'), inp('blocks.3'), out('blocks.3'),
    out('blocks.6'), out('blocks.6.attn'), out('blocks.6.mlp'), out('blocks.11'), out('blocks.11.attn'), out('blocks.11.mlp')],
  vit: [out('patch_embed'), out('blocks.0'), out('blocks.0.attn'), out('blocks.0.mlp'), inp('blocks.3'), out('blocks.3'),
    out('blocks.3.attn'), out('blocks.4'), out('blocks.5'), out('blocks.5.attn'), out('blocks.5.mlp'), out('head')],
};
export const WALK_MODELS = ['resnet18', 'resnet50', 'vit_b16'];
const label = (l) => (l.input ? `${l.id} (input)` : l.torch ? `${l.id} (= ${l.torch})` : l.id);
const log0 = (s) => process.stderr.write(`${s}\n`);

/** onnxruntime's default intra-op thread count: the physical cores. */
function physicalCores() {
  try {
    const ids = new Set();
    let phys = '0';
    for (const line of fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n')) {
      const m = /^(physical id|core id)\s*:\s*(\d+)/.exec(line);
      if (m?.[1] === 'physical id') phys = m[2];
      else if (m) ids.add(`${phys}:${m[2]}`);
    }
    if (ids.size) return ids.size;
  } catch {
    /* not Linux */
  }
  return os.cpus().length;
}

/** Which engine the compiled out/ came from: HEAD and whether src/engine had uncommitted changes. */
function engineSource() {
  const git = (...args) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim();
  const dirty = git('status', '--porcelain', '--', 'src/engine');
  return `${git('rev-parse', '--short', 'HEAD') || '?'}${dirty ? ' + uncommitted changes in src/engine' : ''}`;
}

function ensureModels(kinds, log) {
  const r = spawnSync(PYTHON, [path.join(ROOT, 'scripts', 'bench', 'make_models.py'), '--out', MODELS_DIR, '--models', kinds.join(',')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`make_models.py failed:\n${r.stderr}`);
  const m = JSON.parse(r.stdout.trim().split('\n').pop());
  log(m.cached ? `walk models: cached in ${path.relative(ROOT, MODELS_DIR)}` : `walk models: exported ${m.built.join(', ')} to ${path.relative(ROOT, MODELS_DIR)}`);
  return m;
}

/**
 * Runs the section. o: { models, threads, reps, torch (bool), torchBlas, check, filmstrip, log }. JSON-able result.
 * Each model walks in a fresh Node process (this file with --child), so its peak RSS is its own, not what earlier
 * models left in the heap.
 */
export async function benchWalk(o = {}) {
  const log = o.log ?? log0;
  const kinds = o.models ?? WALK_MODELS;
  for (const k of kinds) if (!WALKS[k]) throw new Error(`no walk for model ${k} (${Object.keys(WALKS).join(', ')})`);
  const t0 = performance.now();
  const torchInfo = o.torch === false ? { ok: false, why: '--no-torch' } : pythonHasTorch();
  if (!torchInfo.ok) log(`walk: PyTorch not available (${torchInfo.why}): LayerLens only`);
  if (torchInfo.ok) ensureModels(kinds, log);
  const res = {
    date: new Date().toISOString(), torch: torchInfo, torchBlasDir: o.torchBlas, engineThreads: o.threads ?? `onnxruntime default (${physicalCores()} physical cores)`,
    torchThreads: o.threads ?? physicalCores(), reps: o.reps ?? 2, engineSource: engineSource(), loadavgStart: loadavg(), cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, models: [],
  };
  for (const kind of kinds) {
    const args = [fileURLToPath(import.meta.url), '--child', kind, '--reps', String(res.reps)];
    if (o.threads) args.push('--threads', String(o.threads));
    if (!torchInfo.ok) args.push('--no-torch');
    if (o.torchBlas) args.push('--torch-blas', o.torchBlas);
    if (o.check === false) args.push('--no-check');
    if (o.filmstrip === false) args.push('--no-filmstrip');
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
    if (r.status !== 0) throw new Error(`walk of ${kind} failed (exit ${r.status ?? r.signal})`);
    const child = JSON.parse(r.stdout.trim().split('\n').pop());
    res.models.push(child.model);
    if (child.filmstrip) res.filmstrip = child.filmstrip;
  }
  res.loadavgEnd = loadavg();
  res.seconds = round((performance.now() - t0) / 1000, 1);
  return res;
}

/** One model's walk (and, for ResNet-18, the filmstrip) in this process: what a --child prints. */
async function childWalk(kind, o) {
  const log = log0;
  const torchInfo = o.torch === false ? { ok: false, why: '--no-torch' } : pythonHasTorch();
  const manifest = JSON.parse(fs.readFileSync(path.join(MODELS_DIR, 'manifest.json'), 'utf8'));
  const E = engine();
  const torch = torchInfo.ok ? new TorchClient(o.torchBlas ? 'PyTorch+BLAS' : 'PyTorch', o.torchBlas) : undefined;
  try {
    const model = await walkModel(E, torch, kind, manifest.models?.[kind], { ...o, reps: o.reps ?? 2, torchThreads: o.threads ?? physicalCores(), log });
    gc();
    const strip = o.filmstrip !== false && kind === 'resnet18' ? await filmstrip(E, { threads: o.threads, log }) : undefined;
    return { model, ...(strip ? { filmstrip: strip } : {}) };
  } finally {
    if (torch) await torch.close();
  }
}

async function walkModel(E, torch, kind, info, o) {
  const { log } = o;
  const file = path.join(MODELS_DIR, `${kind}.onnx`);
  const weightBytes = fs.statSync(file).size; // initializers are all but a few kB of the file
  const m = { model: kind, params: info?.params, weightBytes, loadavgStart: loadavg(), layers: [] };
  log(`\nwalk: ${kind} (${info?.params ? `${(info.params / 1e6).toFixed(1)} M parameters, ` : ''}${(weightBytes / 2 ** 20).toFixed(0)} MiB)  [load ${m.loadavgStart.join(' ')}]`);
  const tStart = performance.now();
  // The PyTorch server imports torch when it starts (seconds of one core): the engine's open and first click are
  // timed only after it answers, not while it competes for this machine's two cores.
  if (torch) await torch.request({ cmd: 'mem', reset: true });
  gc();
  m.peakReset = resetPeak();
  m.rssBeforeMb = procStatus().VmRSS;
  const threads = o.threads; // undefined = onnxruntime's default, as the engine process runs it

  // ---- what the engine process does before the first heat map: open (+ shapes), the layer tree, a prediction
  const opened = await timeIt(() => E.ModelSession.open(file));
  const session = opened.r;
  const shapes = await timeIt(() => session.inferShapes({ threads: 1 }));
  const tree = await timeIt(() => {
    const t = session.layers;
    let n = 0;
    for (const e of t.entries.values()) for (const v of [...e.outputs, ...e.inputs]) n += t.describeValue(v) ? 1 : 0;
    return n;
  });
  const x = benchInput(1, 0);
  const pred = await timeIt(() => session.predict([x], { top: 5, threads }));
  const target = pred.r.top[0][0].index;
  m.open = { openMs: round(opened.ms), inferShapesMs: round(shapes.ms), treeMs: round(tree.ms), predictMs: round(pred.ms), predictCompileMs: round(pred.r.timings.compile), target };
  log(`  open ${fmt(opened.ms, 0)} ms, shapes ${fmt(shapes.ms, 0)} ms, tree ${fmt(tree.ms, 0)} ms, predict ${fmt(pred.ms, 0)} ms → top class ${target}`);
  const req = (l, extra = {}) => ({ layers: [l.id], layerInput: l.input, inputs: [x], target: { kind: 'index', index: target }, threads, ...extra });

  let torchLoaded = false;
  const torchRuns = async (l, warmup) => {
    if (!torch) return undefined;
    if (!torchLoaded) await torch.request({ cmd: 'mem', reset: true });
    const s = await torch.request({ cmd: 'setup', model: kind, batch: 1, threads: o.torchThreads, layer: l.torch ?? l.id, layer_input: l.input, clone: !!l.clone, target, warmup });
    if (!torchLoaded) m.torchLoadMs = round(s.load_ms);
    torchLoaded = true;
    m.torchThreads = s.threads;
    m.torchBlas = s.blas;
    return (await torch.request({ cmd: 'run', repeats: o.reps })).times_ms;
  };

  // ---- cold walk: each layer's first attribution, the same layer again at once, PyTorch at that layer
  for (const [i, l] of WALKS[kind].entries()) {
    const row = { layer: label(l), ...l, loadStart: loadavg()[0] };
    const cold = await timeIt(() => session.attribute(req(l)));
    row.cold = { wallMs: round(cold.ms), compileMs: round(cold.r.timings.compile), runMs: round(cold.r.timings.run) };
    row.dims = cold.r.attributions[0][0].dims;
    const again = await timeIt(() => session.attribute(req(l, { fresh: true })));
    row.repeat = { wallMs: round(again.ms), compileMs: round(again.r.timings.compile), runMs: round(again.r.timings.run) };
    const pt = await torchRuns(l, 1);
    if (pt) row.torchTimes = pt;
    if (torch && o.check !== false) {
      const f = path.join(os.tmpdir(), `llbench-walk-${process.pid}.f32`);
      const d = await torch.request({ cmd: 'dump', variant: 0, path: f });
      const buf = fs.readFileSync(f);
      fs.rmSync(f, { force: true });
      const want = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      if (d.dims.join(',') !== row.dims.join(',')) throw new Error(`${kind} ${label(l)}: LayerLens [${row.dims}] vs PyTorch [${d.dims}]`);
      row.maxRelDiff = Number(maxRelDiff(cold.r.attributions[0][0].data, want).toExponential(2));
    }
    if (i === 0) m.firstHeatMapMs = round(opened.ms + shapes.ms + tree.ms + pred.ms + cold.ms);
    m.layers.push(row);
    log(`  cold ${label(l).padEnd(18)} ${fmt(cold.ms, 0).padStart(6)} ms (compile ${fmt(cold.r.timings.compile, 0)}, run ${fmt(cold.r.timings.run, 0)}); again ${fmt(again.ms, 0)} ms; PyTorch ${pt ? pt.map((t) => t.toFixed(0)).join('/') : '—'} ms${row.maxRelDiff !== undefined ? `; rel diff ${row.maxRelDiff}` : ''}  [load ${row.loadStart}]`);
  }
  m.afterColdRssMb = procStatus().VmRSS;

  // ---- warm walk: the same clicks again, in the same order
  for (const row of m.layers) {
    const l = WALKS[kind].find((w) => w.id === row.id && w.input === row.input);
    const warm = await timeIt(() => session.attribute(req(l)));
    row.warm = { wallMs: round(warm.ms), compileMs: round(warm.r.timings.compile), runMs: round(warm.r.timings.run) };
    const pt = await torchRuns(l, 0);
    if (pt) row.torchTimes.push(...pt);
    row.torchMs = row.torchTimes ? round(median(row.torchTimes)) : undefined;
    row.coldRatio = row.torchMs ? round(row.cold.wallMs / row.torchMs, 3) : undefined;
    row.warmRatio = row.torchMs ? round(row.warm.wallMs / row.torchMs, 3) : undefined;
    row.repeatRatio = row.torchMs ? round(row.repeat.wallMs / row.torchMs, 3) : undefined;
    log(`  warm ${row.layer.padEnd(18)} ${fmt(warm.ms, 0).padStart(6)} ms (compile ${fmt(warm.r.timings.compile, 0)}, run ${fmt(warm.r.timings.run, 0)}); PyTorch median ${fmt(row.torchMs, 0)} ms`);
  }
  const st = procStatus();
  m.peakRssMb = m.peakReset ? st.VmHWM : undefined;
  m.maxRssMbLifetime = round(process.resourceUsage().maxRSS / 1024, 1);
  m.rssAfterMb = st.VmRSS;
  const peak = m.peakRssMb ?? m.maxRssMbLifetime;
  m.rssOverWeights = round((peak * 2 ** 20) / weightBytes, 2);
  m.rssGrowthOverWeights = round(((peak - m.rssBeforeMb) * 2 ** 20) / weightBytes, 2);
  if (torch) m.torchMem = await torch.request({ cmd: 'mem' });
  const ratios = (k) => m.layers.map((r) => r[k]).filter((v) => v !== undefined);
  m.summary = Object.fromEntries(['coldRatio', 'warmRatio', 'repeatRatio'].map((k) => [k, { median: round(median(ratios(k)), 3), max: round(Math.max(...ratios(k)), 3) }]));
  m.summary.coldCompileMedianMs = round(median(m.layers.map((r) => r.cold.compileMs)));
  m.summary.warmCompiledAgain = m.layers.filter((r) => r.warm.compileMs > 10).length; // a cache hit waits ~0 ms
  await session.dispose();
  m.loadavgEnd = loadavg();
  m.seconds = round((performance.now() - tStart) / 1000, 1);
  log(`  ${kind}: cold/PyTorch median ${fmt(m.summary.coldRatio.median, 2)} max ${fmt(m.summary.coldRatio.max, 2)}; warm/PyTorch median ${fmt(m.summary.warmRatio.median, 2)} max ${fmt(m.summary.warmRatio.max, 2)}; peak RSS ${fmt(peak, 0)} MB = ${fmt(m.rssOverWeights, 2)}× weights (${m.seconds} s)`);
  return m;
}

/** ResNet-18's top-level layers in one request vs one by one, each in a fresh session (cold, then warm). */
async function filmstrip(E, { threads, log }) {
  const file = path.join(MODELS_DIR, 'resnet18.onnx');
  const x = benchInput(1, 0);
  const open = async () => {
    const s = await E.ModelSession.open(file);
    await s.inferShapes({ threads: 1 });
    return s;
  };
  const probe = await open();
  const layers = [...probe.layers.roots];
  const target = (await probe.predict([x], { top: 1, threads })).top[0][0].index;
  await probe.dispose();
  const req = (ids) => ({ layers: ids, inputs: [x], target: { kind: 'index', index: target }, threads, fresh: true });
  const f = { model: 'resnet18', layers, target, loadavgStart: loadavg() };
  log(`\nfilmstrip: ResNet-18, ${layers.length} top-level layers (${layers.join(', ')})  [load ${f.loadavgStart.join(' ')}]`);

  const strip = await open();
  const cold = await timeIt(() => strip.attribute(req(layers)));
  const warm = await timeIt(() => strip.attribute(req(layers)));
  await strip.dispose();
  f.strip = { coldMs: round(cold.ms), coldCompileMs: round(cold.r.timings.compile), coldRunMs: round(cold.r.timings.run), warmMs: round(warm.ms), warmRunMs: round(warm.r.timings.run) };

  const single = await open();
  f.singles = [];
  for (const id of layers) {
    const c = await timeIt(() => single.attribute(req([id])));
    f.singles.push({ layer: id, coldMs: round(c.ms), coldCompileMs: round(c.r.timings.compile), result: c.r.attributions[0][0] });
  }
  for (const s of f.singles) {
    const w = await timeIt(() => single.attribute(req([s.layer])));
    s.warmMs = round(w.ms);
    s.warmCompileMs = round(w.r.timings.compile);
  }
  await single.dispose();
  for (const [i, s] of f.singles.entries()) {
    const a = cold.r.attributions[i][0];
    s.dims = a.dims;
    s.maxRelDiffStripVsSingle = a.data.length === s.result.data.length ? Number(maxRelDiff(a.data, s.result.data).toExponential(2)) : Infinity;
    s.identical = a.data.length === s.result.data.length && a.data.every((v, k) => v === s.result.data[k]);
    delete s.result;
  }
  const sum = (k) => round(f.singles.reduce((acc, s) => acc + s[k], 0));
  f.sumSinglesColdMs = sum('coldMs');
  f.sumSinglesWarmMs = sum('warmMs');
  f.earliest = { layer: layers[0], coldMs: f.singles[0].coldMs };
  f.stripOverEarliestCold = round(f.strip.coldMs / f.singles[0].coldMs, 3);
  f.maxRelDiff = Math.max(...f.singles.map((s) => s.maxRelDiffStripVsSingle));
  f.loadavgEnd = loadavg();
  log(`  strip cold ${fmt(f.strip.coldMs, 0)} ms (compile ${fmt(f.strip.coldCompileMs, 0)}), warm ${fmt(f.strip.warmMs, 0)} ms; singles cold Σ ${fmt(f.sumSinglesColdMs, 0)} ms, warm Σ ${fmt(f.sumSinglesWarmMs, 0)} ms; ` +
    `strip / ${layers[0]} cold = ${fmt(f.stripOverEarliestCold, 2)}; max rel diff strip vs single ${f.maxRelDiff.toExponential(1)}`);
  return f;
}

const exp = (v) => (typeof v === 'number' && Number.isFinite(v) ? v.toExponential(1) : '—');
/** 'met' / 'not met' from measured numbers; '—' when any of them is missing (no PyTorch, no peak reading). */
const verdict = (ok, ...values) => (values.some((v) => typeof v !== 'number' || !Number.isFinite(v)) ? '—' : ok ? '**met**' : '**not met**');

export function walkReport(r) {
  const o = [];
  o.push(`### Layer walk — ${r.date}`);
  o.push('');
  o.push(`${r.cpu}, ${r.cpus} cores; Node ${r.node}; engine ${r.engineSource}; LayerLens threads: ${r.engineThreads}; PyTorch ${r.torch.ok ? `${r.torch.version}, ${r.torchThreads} threads, OMP_WAIT_POLICY=PASSIVE, BLAS ${[...new Set(r.models.flatMap((m) => m.torchBlas ?? []))].map((b) => path.basename(path.dirname(b)) + '/' + path.basename(b)).join(', ') || '?'}${r.torchBlasDir ? ` (LD_LIBRARY_PATH=${r.torchBlasDir})` : ''}` : `not available (${r.torch.why})`}.`);
  const blas = r.models.flatMap((m) => m.torchBlas ?? []);
  if (blas.some((b) => /\/blas\/libblas\.so/.test(b)))
    o.push('**PyTorch ran on the reference (netlib) BLAS: its Linear/MatMul are many times slower than with OpenBLAS, so the ViT ratios flatter LayerLens; rerun with --torch-blas DIR.**');
  o.push(`Load average (1/5/15 min): start ${r.loadavgStart.join(' / ')}, end ${r.loadavgEnd.join(' / ')} (${r.seconds} s). One fresh Node process and one ModelSession per model; batch 1 (1×3×224×224), LGXA, target = the top class. ` +
    `cold = the layer's first attribution (wall ms of the call; compile and run as the result's timings report), again = the same layer at once (cached graphs, fresh forward), warm = the second walk in the same order. ` +
    `PyTorch = median of ${2 * r.reps} eager runs (forward with a hook, autograd.grad of the target score, grad × activation) after one warm-up, half after the cold call, half after the warm one. ` +
    `rel diff = max |LayerLens − PyTorch| / max |PyTorch| at that layer. "conv1 (= bn1)": the exporter folded the BN into the conv, so PyTorch keeps bn1's output (before its in-place ReLU).`);
  o.push('');
  for (const m of r.models) {
    const peak = m.peakRssMb ?? m.maxRssMbLifetime;
    o.push(`**${m.model}** (${m.params ? `${(m.params / 1e6).toFixed(1)} M parameters, ` : ''}weights ${fmt(m.weightBytes / 2 ** 20, 0)} MiB; load 1m ${m.loadavgStart[0].toFixed(1)}→${m.loadavgEnd[0].toFixed(1)}, ${m.seconds} s): ` +
      `open ${fmt(m.open.openMs, 0)} ms + shapes ${fmt(m.open.inferShapesMs, 0)} + tree ${fmt(m.open.treeMs, 0)} + predict ${fmt(m.open.predictMs, 0)} + first heat map (${m.layers[0].layer}) ${fmt(m.layers[0].cold.wallMs, 0)} = **${fmt(m.firstHeatMapMs, 0)} ms** engine time to the first heat map. ` +
      `Peak RSS ${fmt(peak, 0)} MB = **${fmt(m.rssOverWeights, 2)}× the weights** (${fmt(m.rssBeforeMb, 0)} MB before opening; growth ${fmt(m.rssGrowthOverWeights, 2)}×)${m.torchMem ? `; PyTorch process peak ${fmt(m.torchMem.VmHWM ?? m.torchMem.ru_maxrss_mb, 0)} MB` : ''}.`);
    o.push('');
    o.push(mdTable(['layer', 'cold ms', 'compile', 'run', 'again ms', 'warm ms (compile)', 'PyTorch ms', 'cold / PyTorch', 'warm / PyTorch', 'again / PyTorch', 'rel diff', 'load 1m'],
      m.layers.map((x) => [x.layer, fmt(x.cold.wallMs, 0), fmt(x.cold.compileMs, 0), fmt(x.cold.runMs, 0), fmt(x.repeat.wallMs, 0), `${fmt(x.warm.wallMs, 0)} (${fmt(x.warm.compileMs, 0)})`,
        fmt(x.torchMs, 0), fmt(x.coldRatio, 2), fmt(x.warmRatio, 2), fmt(x.repeatRatio, 2), exp(x.maxRelDiff), fmt(x.loadStart, 1)])));
    const s = m.summary;
    o.push('');
    o.push(`cold / PyTorch: median **${fmt(s.coldRatio.median, 2)}**, max **${fmt(s.coldRatio.max, 2)}**; warm / PyTorch: median **${fmt(s.warmRatio.median, 2)}**, max ${fmt(s.warmRatio.max, 2)} ` +
      `(${s.warmCompiledAgain} of ${m.layers.length} layers compiled again on the warm walk); again / PyTorch: median ${fmt(s.repeatRatio.median, 2)}, max ${fmt(s.repeatRatio.max, 2)}.`);
    o.push('');
  }
  const f = r.filmstrip;
  if (f) {
    o.push(`**Filmstrip** (ResNet-18, ${f.layers.length} top-level layers in one request, fresh session; singles in another fresh session): strip cold ${fmt(f.strip.coldMs, 0)} ms (compile ${fmt(f.strip.coldCompileMs, 0)}), warm ${fmt(f.strip.warmMs, 0)} ms; ` +
      `single attributions Σ cold ${fmt(f.sumSinglesColdMs, 0)} ms, Σ warm ${fmt(f.sumSinglesWarmMs, 0)} ms; earliest layer (${f.earliest.layer}) alone cold ${fmt(f.earliest.coldMs, 0)} ms → strip = **${fmt(f.stripOverEarliestCold, 2)}×** it. ` +
      `Each strip entry vs its single attribution: max rel diff ${exp(f.maxRelDiff)} (${f.singles.filter((s) => s.identical).length} of ${f.singles.length} bit-identical).`);
    o.push('');
  }
  const by = Object.fromEntries(r.models.map((m) => [m.model, m]));
  const rows = [];
  for (const m of r.models) {
    rows.push([`${m.model}: cold median ≤ 2× PyTorch, max ≤ 4×`, `${fmt(m.summary.coldRatio.median, 2)} / ${fmt(m.summary.coldRatio.max, 2)}`, verdict(m.summary.coldRatio.median <= 2 && m.summary.coldRatio.max <= 4, m.summary.coldRatio.median, m.summary.coldRatio.max)]);
    rows.push([`${m.model}: warm ≤ 1× PyTorch (median)`, `median ${fmt(m.summary.warmRatio.median, 2)}, max ${fmt(m.summary.warmRatio.max, 2)}`, verdict(m.summary.warmRatio.median <= 1, m.summary.warmRatio.median)]);
  }
  if (by.resnet50) rows.push(['ResNet-50: open → first heat map ≤ 1.5 s engine time', `${fmt(by.resnet50.firstHeatMapMs, 0)} ms`, verdict(by.resnet50.firstHeatMapMs <= 1500, by.resnet50.firstHeatMapMs)]);
  if (by.vit_b16) rows.push(['ViT-B/16: peak RSS ≤ 2.5× weights', `${fmt(by.vit_b16.rssOverWeights, 2)}×`, verdict(by.vit_b16.rssOverWeights <= 2.5, by.vit_b16.rssOverWeights)]);
  if (f) rows.push([`Filmstrip ≤ 1.5× ${f.earliest.layer}'s single cold attribution`, `${fmt(f.stripOverEarliestCold, 2)}×`, verdict(f.stripOverEarliestCold <= 1.5, f.stripOverEarliestCold)]);
  if (f) rows.push(['Each strip entry equals its single attribution', `max rel diff ${exp(f.maxRelDiff)}`, verdict(f.maxRelDiff <= 1e-5, f.maxRelDiff)]);
  o.push(mdTable(['issue 10 target', 'measured', 'verdict'], rows));
  return o.join('\n');
}

export function parseWalkArgs(argv) {
  const o = { models: undefined, threads: undefined, reps: undefined, torch: true, torchBlas: process.env.BENCH_TORCH_BLAS_DIR || undefined, check: true, filmstrip: true, out: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--models') o.models = next().split(',').filter(Boolean);
    else if (a === '--threads') o.threads = Number(next());
    else if (a === '--reps') o.reps = Math.max(1, Number(next()));
    else if (a === '--no-torch') o.torch = false;
    else if (a === '--torch-blas') o.torchBlas = next();
    else if (a === '--no-check') o.check = false;
    else if (a === '--no-filmstrip') o.filmstrip = false;
    else if (a === '--out') o.out = next();
    else if (a === '--child') o.child = next(); // internal: one model's walk, JSON on stdout
    else if (a === '--help' || a === '-h') {
      console.log(fs.readFileSync(new URL(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  for (const m of o.models ?? []) if (!WALKS[m]) throw new Error(`no walk for model ${m} (${Object.keys(WALKS).join(', ')})`);
  return o;
}

/** Runs the walk alone, prints the report and writes bench/results/walk-latest.json (+ a timestamped copy). */
export async function runWalkCli(argv) {
  const o = parseWalkArgs(argv);
  if (o.child) {
    console.log(JSON.stringify(await childWalk(o.child, o)));
    return;
  }
  const r = await benchWalk(o);
  r.options = o;
  r.markdown = walkReport(r);
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const outFile = o.out ?? path.join(RESULTS_DIR, 'walk-latest.json');
  const json = JSON.stringify(r, null, 1);
  fs.writeFileSync(outFile, json);
  if (!o.out) fs.writeFileSync(path.join(RESULTS_DIR, `walk-${r.date.replace(/[:.]/g, '-')}.json`), json);
  console.log(`\n${r.markdown}\n`);
  log0(`wrote ${path.relative(ROOT, outFile)}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runWalkCli(process.argv.slice(2)).catch((e) => {
    console.error(e?.stack ?? e);
    process.exit(1);
  });
}
