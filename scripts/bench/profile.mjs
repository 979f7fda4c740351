// Where LayerLens' time goes (ResNet-18 → layer3 by default): the engine's steps timed one by one on the sessions
// compileAttribution builds, onnxruntime's per-operator profile of both sessions, and quick what-if variants
// (session options, graph rewrites, one combined forward+backward graph, batched seeds), each interleaved
// with its baseline and checked for equal results.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { benchInput, engine, loadavg, median, ort, round, summary, maxRelDiff } from './lib.mjs';

const BASE_OPTS = {
  executionProviders: ['cpu'],
  graphOptimizationLevel: 'all',
  logSeverityLevel: 3,
  extra: { session: { 'intra_op.allow_spinning': '0', 'inter_op.allow_spinning': '0' } },
};
function sessionOpts(threads, patch = {}) {
  const o = { ...BASE_OPTS, ...patch, extra: { session: { ...BASE_OPTS.extra.session, ...(patch.extra?.session ?? {}) } } };
  o.intraOpNumThreads = threads;
  o.interOpNumThreads = 1;
  return o;
}

// ---------------------------------------------------------------------------------------- graph surgery
function floatsOf(t) {
  if (t.rawData?.length) {
    const b = t.rawData;
    const copy = new Uint8Array(b.length);
    copy.set(b);
    return new Float32Array(copy.buffer);
  }
  return Float32Array.from(t.floatData ?? []);
}
const attrMap = (E, node) => new Map((node.attribute ?? []).map((a) => [a.name, E.attrValue(a)]));

/** Rewrites stride-1, group-1 ConvTranspose nodes (constant weight) as Conv with the transposed, flipped weight. */
export function convTransposeToConv(E, modelProto) {
  const g = modelProto.graph;
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  const newInits = [];
  let rewritten = 0;
  const nodes = g.node.map((n) => {
    if (n.opType !== 'ConvTranspose') return n;
    const a = attrMap(E, n);
    const w = inits.get(n.input[1]);
    const strides = a.get('strides') ?? [1, 1];
    const group = a.get('group') ?? 1;
    const outPad = a.get('output_padding') ?? [0, 0];
    if (!w || w.dataType !== E.ElemType.FLOAT || group !== 1 || strides.some((s) => s !== 1) || outPad.some((p) => p !== 0) || a.has('output_shape') || a.has('auto_pad')) return n;
    const dims = w.dims.map(Number);
    if (dims.length !== 4) return n;
    const [M, C, kh, kw] = dims;
    const dil = a.get('dilations') ?? [1, 1];
    const pads = a.get('pads') ?? [0, 0, 0, 0];
    const np = [(kh - 1) * dil[0] - pads[0], (kw - 1) * dil[1] - pads[1], (kh - 1) * dil[0] - pads[2], (kw - 1) * dil[1] - pads[3]];
    if (np.some((p) => p < 0)) return n;
    const src = floatsOf(w);
    const dst = new Float32Array(src.length);
    for (let m = 0; m < M; m++)
      for (let c = 0; c < C; c++)
        for (let y = 0; y < kh; y++)
          for (let x = 0; x < kw; x++) dst[((c * M + m) * kh + (kh - 1 - y)) * kw + (kw - 1 - x)] = src[((m * C + c) * kh + y) * kw + x];
    const name = `${n.input[1]}__ll_flipT`;
    if (!newInits.some((t) => t.name === name)) newInits.push({ name, dataType: E.ElemType.FLOAT, dims: [C, M, kh, kw], rawData: new Uint8Array(dst.buffer) });
    rewritten++;
    const inputs = [n.input[0], name, ...(n.input[2] ? [n.input[2]] : [])];
    return {
      name: `${n.name}__as_conv`,
      opType: 'Conv',
      input: inputs,
      output: n.output,
      attribute: [E.attr.ints('pads', np), E.attr.ints('dilations', dil), E.attr.ints('strides', [1, 1])],
    };
  });
  return { model: { ...modelProto, graph: { ...g, node: nodes, initializer: [...g.initializer, ...newInits] } }, rewritten };
}

/** One model: forward nodes, backward nodes, and grad × activation as Mul nodes; outputs: the logits and the attributions. */
export function combinedModel(E, fwd, bwd, compiled) {
  const fg = fwd.graph;
  const bg = bwd.graph;
  const have = new Set(fg.initializer.map((t) => t.name));
  const inits = [...fg.initializer, ...bg.initializer.filter((t) => !have.has(t.name))];
  const seedInput = bg.input.find((i) => i.name === compiled.seedName);
  const muls = compiled.activations.map((a, i) => ({ name: `ll_attr_mul_${i}`, opType: 'Mul', input: [compiled.gradOutputs[i], a], output: [`ll_attr_${i}`] }));
  const outputs = [fg.output.find((o) => o.name === compiled.output), ...compiled.activations.map((_, i) => ({ name: `ll_attr_${i}`, type: { tensorType: { elemType: E.ElemType.FLOAT } } }))];
  const opsets = new Map((fwd.opsetImport ?? []).map((o) => [o.domain || '', Number(o.version)]));
  for (const o of bwd.opsetImport ?? []) opsets.set(o.domain || '', Math.max(opsets.get(o.domain || '') ?? 0, Number(o.version)));
  return {
    ...fwd,
    irVersion: Math.max(Number(fwd.irVersion), Number(bwd.irVersion)),
    opsetImport: [...opsets].map(([domain, version]) => ({ domain, version })),
    graph: { ...fg, node: [...fg.node, ...bg.node, ...muls], input: [...fg.input, seedInput], initializer: inits, output: outputs, valueInfo: [] },
  };
}

/** compileAttribution's steps timed separately (same calls), plus the cost of one large constant in the emitter. */
async function compileBreakdown(E, model, acts, output, x, threads) {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  const dir = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'out', 'src', 'engine');
  const { findGradientPath } = require(path.join(dir, 'autodiff', 'paths.js'));
  const { buildBackward } = require(path.join(dir, 'autodiff', 'buildBackward.js'));
  const { Emitter } = require(path.join(dir, 'autodiff', 'emitter.js'));
  const t = {};
  const tick = async (k, fn) => {
    const t0 = performance.now();
    const r = await fn();
    t[k] = round(performance.now() - t0);
    return r;
  };
  const g = model.graph;
  const p = await tick('gradientPath', () => findGradientPath(g, acts, output));
  const probe = await tick('probeRun', () => E.probeValues(model, [...p.touched], { [g.inputs[0]]: E.toOrt(x) }, { threads }));
  const bw = await tick('buildBackward', () => buildBackward(g, p, acts, output, probe));
  const [fb, bb] = await tick('encode', () => [E.encodeModel(E.withOutputs(model, [output, ...acts, ...bw.forwardFetches])), E.encodeModel(bw.model)]);
  const fs_ = await tick('forwardSession', () => E.createOrtSession(fb, 'cpu', threads, { externalDataDir: model.dir }));
  const bs_ = await tick('backwardSession', () => E.createOrtSession(bb, 'cpu', threads, { externalDataDir: model.dir }));
  await fs_.release();
  await bs_.release();
  // The same buildBackward with Emitter.constant building its de-duplication key only for the small constants it
  // caches (patched in this process only, to measure what that change in the engine would save).
  const original = Emitter.prototype.constant;
  Emitter.prototype.constant = function (elemType, dims, values) {
    if (values.length <= 64) return original.call(this, elemType, dims, values);
    const name = this.fresh('const');
    this.initializers.push(require(path.join(dir, 'onnx', 'tensorData.js')).makeTensor(name, elemType, dims, values));
    return name;
  };
  try {
    await tick('buildBackward_keyOnlyWhenSmall', () => buildBackward(g, p, acts, output, probe));
  } finally {
    Emitter.prototype.constant = original;
  }
  const big = new Float32Array(512 * 512 * 9).fill(0.5);
  await tick('emitterConstant_512x512x3x3', () => new Emitter().constant(E.ElemType.FLOAT, [512, 512, 3, 3], big));
  await tick('makeTensorOnly_512x512x3x3', () => require(path.join(dir, 'onnx', 'tensorData.js')).makeTensor('w', E.ElemType.FLOAT, [512, 512, 3, 3], big));
  return t;
}

function opProfile(file) {
  const ev = JSON.parse(fs.readFileSync(file, 'utf8'));
  let runs = 0;
  const byOp = new Map();
  const byNode = new Map();
  for (const e of ev) {
    if (e.cat === 'Session' && e.name === 'model_run') runs++;
    if (e.cat !== 'Node' || !String(e.name).endsWith('_kernel_time')) continue;
    byOp.set(e.args.op_name, (byOp.get(e.args.op_name) ?? 0) + e.dur);
    byNode.set(e.name.replace(/_kernel_time$/, ''), (byNode.get(e.name.replace(/_kernel_time$/, '')) ?? 0) + e.dur);
  }
  fs.rmSync(file, { force: true });
  const total = [...byOp.values()].reduce((a, b) => a + b, 0);
  const per = (us) => round(us / Math.max(1, runs) / 1000);
  return {
    runs,
    kernelMs: per(total),
    byOp: [...byOp].sort((a, b) => b[1] - a[1]).map(([op, us]) => ({ op, ms: per(us), share: round(us / total, 3) })),
    topNodes: [...byNode].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([node, us]) => ({ node, ms: per(us) })),
  };
}

/**
 * Runs `variants` (name → async fn returning ms) round-robin `reps` times after one warm-up each;
 * returns name → summary. Round-robin keeps background-load drift out of the comparison.
 */
async function interleave(variants, reps) {
  const names = Object.keys(variants);
  for (const n of names) await variants[n]();
  const times = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < reps; r++) for (const n of names) times[n].push(await variants[n]());
  return Object.fromEntries(names.map((n) => [n, summary(times[n])]));
}

export async function profileEngine({ modelsDir, kind = 'resnet18', layer = 'layer3', batch = 8, threads = 1, reps = 7, quick = false, light = false, log = () => undefined }) {
  const E = engine();
  const file = path.join(modelsDir, `${kind}.onnx`);
  const out = { model: kind, layer, batch, threads, reps, loadavgStart: loadavg() };
  const model = await E.loadModel(file);
  const acts = new E.LayerTree(model.graph).activations(layer, false);
  const output = model.graph.outputs[0];
  const X = [benchInput(batch, 1), benchInput(batch, 2)];
  const captured = [];
  const factory = (bytes, provider, thr, extras) => {
    captured.push(bytes);
    return E.createOrtSession(bytes, provider, thr, extras);
  };
  const c = await E.compileAttribution(model, acts, output, [X[0]], { provider: 'cpu', threads }, factory);
  const [fwdBytes, bwdBytes] = captured;
  out.compileMs = round(c.compileMs);
  if (!light) out.compileBreakdown = await compileBreakdown(E, model, acts, output, X[0], threads);
  if (out.compileBreakdown) log(`  compile ${out.compileMs} ms: ${Object.entries(out.compileBreakdown).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  out.forwardOutputs = c.forwardOutputs;
  out.backwardFeeds = [...c.backwardForwardFeeds, ...c.backwardInputFeeds];

  // ---- 1. the engine's steps, one by one (same order and calls as ModelSession.attributeEach)
  const stepTimes = { fingerprint: [], toOrtInputs: [], forwardRun: [], seed: [], backwardRun: [], multiply: [], total: [] };
  let bytesOut = 0;
  let last;
  const engineSteps = async (i) => {
    const inputs = [X[i % 2]];
    const t0 = performance.now();
    E.inputsFingerprint(inputs);
    const t1 = performance.now();
    const feeds = {};
    model.graph.inputs.forEach((name, k) => (feeds[name] = E.toOrt(inputs[k])));
    const t2 = performance.now();
    const fwd = await c.forward.session.run(feeds, c.forwardOutputs);
    const t3 = performance.now();
    const o = fwd[output];
    const seed = E.buildSeed({ kind: 'index', index: 3 }, [...o.dims]);
    const bwFeeds = { [c.seedName]: E.toOrt({ dtype: 'float32', dims: [...o.dims], data: seed }) };
    for (const v of c.backwardForwardFeeds) bwFeeds[v] = fwd[v];
    for (const v of c.backwardInputFeeds) bwFeeds[v] = feeds[v];
    const t4 = performance.now();
    const bw = await c.backward.session.run(bwFeeds, c.gradOutputs);
    const t5 = performance.now();
    const prods = acts.map((a, k) => {
      const gd = E.fromOrt(bw[c.gradOutputs[k]]).data;
      const ad = E.fromOrt(fwd[a]).data;
      const prod = new Float32Array(gd.length);
      for (let j = 0; j < gd.length; j++) prod[j] = gd[j] * ad[j];
      return prod;
    });
    const t6 = performance.now();
    bytesOut = c.forwardOutputs.reduce((s, v) => s + fwd[v].data.byteLength, 0);
    last = { prods, logits: o.data };
    return [t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5, t6 - t0];
  };
  for (let i = 0; i < 2; i++) await engineSteps(i);
  for (let i = 0; i < reps; i++) {
    const ts = await engineSteps(i);
    Object.keys(stepTimes).forEach((k, j) => stepTimes[k].push(ts[j]));
  }
  const steps = Object.fromEntries(Object.entries(stepTimes).map(([k, v]) => [k, round(median(v), 3)]));
  const mins = Object.fromEntries(Object.entries(stepTimes).map(([k, v]) => [k, round(Math.min(...v), 3)]));
  const jsOverhead = steps.fingerprint + steps.toOrtInputs + steps.seed + steps.multiply;
  // Shares of the sum of the step medians (a burst of background load can hit one step's median alone).
  const sum = steps.forwardRun + steps.backwardRun + jsOverhead;
  out.breakdown = {
    ...steps,
    min: mins,
    jsOverhead: round(jsOverhead, 3),
    unaccounted: round(steps.total - sum, 3),
    share: {
      forwardRun: round(steps.forwardRun / sum, 3),
      backwardRun: round(steps.backwardRun / sum, 3),
      js: round(jsOverhead / sum, 3),
    },
    forwardOutputBytes: bytesOut,
  };
  log(`profile ${kind} ${layer} b${batch} t${threads}: forward ${steps.forwardRun.toFixed(1)} ms, backward ${steps.backwardRun.toFixed(1)} ms, JS ${jsOverhead.toFixed(1)} ms (fingerprint ${steps.fingerprint.toFixed(1)}, multiply ${steps.multiply.toFixed(1)}), total ${steps.total.toFixed(1)} ms`);
  const reference = last;

  // ---- 2. onnxruntime's per-operator profile of both sessions
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'llbench-'));
  const prof = async (bytes, name, feeds, fetch) => {
    const s = await ort.InferenceSession.create(bytes, sessionOpts(threads, { enableProfiling: true, profileFilePrefix: path.join(tmp, name) }));
    for (let i = 0; i < 3; i++) await s.run(feeds, fetch);
    s.endProfiling();
    await s.release();
    const f = fs.readdirSync(tmp).find((x) => x.startsWith(name) && x.endsWith('.json'));
    return f ? opProfile(path.join(tmp, f)) : undefined;
  };
  const feeds0 = { [model.graph.inputs[0]]: E.toOrt(X[0]) };
  const fwd0 = await c.forward.session.run(feeds0, c.forwardOutputs);
  const seed0 = E.buildSeed({ kind: 'index', index: 3 }, [...fwd0[output].dims]);
  const bwFeeds0 = { [c.seedName]: E.toOrt({ dtype: 'float32', dims: [...fwd0[output].dims], data: seed0 }) };
  for (const v of c.backwardForwardFeeds) bwFeeds0[v] = fwd0[v];
  for (const v of c.backwardInputFeeds) bwFeeds0[v] = feeds0[v];
  out.opProfile = {
    forward: await prof(fwdBytes, 'fwd', feeds0, c.forwardOutputs),
    backward: await prof(bwdBytes, 'bwd', bwFeeds0, c.gradOutputs),
  };
  fs.rmSync(tmp, { recursive: true, force: true });
  if (light) {
    await c.dispose();
    out.loadavgEnd = loadavg();
    return out;
  }

  // ---- 3. forward variants: the plain model vs the one with extra outputs (and session options)
  const plainBytes = fs.readFileSync(file);
  const mk = (bytes, patch) => ort.InferenceSession.create(bytes, sessionOpts(threads, patch));
  const plain = await mk(plainBytes);
  const fwdExtended = await mk(fwdBytes, { graphOptimizationLevel: 'extended' });
  const fwdDaz = await mk(fwdBytes, { extra: { session: { 'session.set_denormal_as_zero': '1' } } });
  const feedsOf = (i) => ({ [model.graph.inputs[0]]: E.toOrt(X[i % 2]) });
  let k = 0;
  const timed = async (fn) => {
    const t = performance.now();
    await fn();
    return performance.now() - t;
  };
  out.forwardVariants = await interleave(
    {
      plainForward: () => timed(() => plain.run(feedsOf(k++), [output])),
      engineForward: () => timed(() => c.forward.session.run(feedsOf(k++), c.forwardOutputs)),
      engineForwardLogitsOnly: () => timed(() => c.forward.session.run(feedsOf(k++), [output])),
      ...(quick ? {} : { engineForwardOptExtended: () => timed(() => fwdExtended.run(feedsOf(k++), c.forwardOutputs)) }),
      ...(quick ? {} : { engineForwardDenormalsAsZero: () => timed(() => fwdDaz.run(feedsOf(k++), c.forwardOutputs)) }),
    },
    quick ? 5 : reps,
  );
  await Promise.all([plain.release(), fwdExtended.release(), fwdDaz.release()]);
  log(`  forward: plain ${out.forwardVariants.plainForward.median} ms, with extra outputs ${out.forwardVariants.engineForward.median} ms`);

  // ---- 4. backward variants: optimisation level, ConvTranspose → Conv rewrite
  const bwProto = E.onnx.ModelProto.decode(bwdBytes);
  const rewrite = convTransposeToConv(E, bwProto);
  const bwConv = await mk(E.encodeModel(rewrite.model));
  const bwBasic = await mk(bwdBytes, { graphOptimizationLevel: 'basic' });
  const check = await bwConv.run(bwFeeds0, c.gradOutputs);
  const ref = await c.backward.session.run(bwFeeds0, c.gradOutputs);
  // The engine may already emit Conv for stride-1 input gradients; then the rewrite has nothing to do.
  const withRewrite = rewrite.rewritten > 0;
  out.backwardVariants = await interleave(
    {
      engineBackward: () => timed(() => c.backward.session.run(bwFeeds0, c.gradOutputs)),
      ...(withRewrite ? { convTransposeAsConv: () => timed(() => bwConv.run(bwFeeds0, c.gradOutputs)) } : {}),
      ...(quick ? {} : { optBasic: () => timed(() => bwBasic.run(bwFeeds0, c.gradOutputs)) }),
    },
    quick ? 5 : reps,
  );
  out.backwardVariants.convTransposeNodes = bwProto.graph.node.filter((n) => n.opType === 'ConvTranspose').length;
  if (withRewrite) {
    out.backwardVariants.convTransposeAsConv.rewrittenNodes = rewrite.rewritten;
    out.backwardVariants.convTransposeAsConv.maxRelDiff = maxRelDiff(check[c.gradOutputs[0]].data, ref[c.gradOutputs[0]].data);
  }
  await Promise.all([bwConv.release(), bwBasic.release()]);
  log(`  backward: engine ${out.backwardVariants.engineBackward.median} ms (${out.backwardVariants.convTransposeNodes} ConvTranspose left)${withRewrite ? `, stride-1 ConvTranspose as Conv (${rewrite.rewritten} nodes) ${out.backwardVariants.convTransposeAsConv.median} ms` : ''}`);

  // ---- 5. one combined forward+backward graph (attributions computed in-graph) vs two sessions + JS multiply
  const fwdProto = E.onnx.ModelProto.decode(fwdBytes);
  const comb = combinedModel(E, fwdProto, bwProto, c);
  const combined = await mk(E.encodeModel(comb));
  const combRewrite = convTransposeToConv(E, comb);
  const combConv = combRewrite.rewritten > 0 ? await mk(E.encodeModel(combRewrite.model)) : undefined;
  const combFetch = [output, ...acts.map((_, i) => `ll_attr_${i}`)];
  const seedT = bwFeeds0[c.seedName];
  const combCheck = await combined.run({ ...feedsOf(1), [c.seedName]: seedT }, combFetch);
  let j = 0;
  out.combined = await interleave(
    {
      twoSessionsPlusJs: async () => (await engineSteps(j++))[6],
      combinedGraph: () => timed(() => combined.run({ ...feedsOf(j++), [c.seedName]: seedT }, combFetch)),
      ...(combConv ? { combinedGraphConvT2Conv: () => timed(() => combConv.run({ ...feedsOf(j++), [c.seedName]: seedT }, combFetch)) } : {}),
    },
    quick ? 5 : reps,
  );
  // engineSteps(i) with i odd used X[1]; the check ran on X[1] too.
  await engineSteps(1);
  out.combined.combinedGraph.maxRelDiff = maxRelDiff(combCheck['ll_attr_0'].data, last.prods[0]);
  void reference;
  await Promise.all([combined.release(), combConv?.release()]);
  log(`  combined graph: ${out.combined.combinedGraph.median} ms vs two sessions + JS ${out.combined.twoSessionsPlusJs.median} ms`);

  await c.dispose();
  out.loadavgEnd = loadavg();
  return out;
}

/** Threads: spinning on vs off for the engine's forward session (2 threads), the editor's trade-off. */
export async function spinningExperiment({ modelsDir, kind = 'resnet18', batch = 1, threads = 2, reps = 7, log = () => undefined }) {
  const bytes = fs.readFileSync(path.join(modelsDir, `${kind}.onnx`));
  const off = await ort.InferenceSession.create(bytes, sessionOpts(threads));
  const on = await ort.InferenceSession.create(bytes, sessionOpts(threads, { extra: { session: { 'intra_op.allow_spinning': '1' } } }));
  const feeds = { input: new ort.Tensor('float32', benchInput(batch, 1).data, [batch, 3, 224, 224]) };
  const cpu = { off: [], on: [] };
  const run = (s, key) => async () => {
    const c0 = process.cpuUsage();
    const t = performance.now();
    await s.run(feeds);
    const ms = performance.now() - t;
    const c1 = process.cpuUsage(c0);
    cpu[key].push((c1.user + c1.system) / 1000 / ms);
    return ms;
  };
  const res = await interleave({ spinningOff: run(off, 'off'), spinningOn: run(on, 'on') }, reps);
  res.spinningOff.cpuPerWall = round(median(cpu.off), 2);
  res.spinningOn.cpuPerWall = round(median(cpu.on), 2);
  // CPU the process burns in the 500 ms after a run, while idle (what an editor would pay between requests).
  const idle = async (s) => {
    await s.run(feeds);
    const c0 = process.cpuUsage();
    const t = performance.now();
    await new Promise((r) => setTimeout(r, 500));
    const c1 = process.cpuUsage(c0);
    return round((c1.user + c1.system) / 1000 / (performance.now() - t), 3);
  };
  res.spinningOff.idleCpuAfterRun = await idle(off);
  res.spinningOn.idleCpuAfterRun = await idle(on);
  await Promise.all([off.release(), on.release()]);
  log(`  spinning (${kind} b${batch} forward, ${threads} threads): off ${res.spinningOff.median} ms, on ${res.spinningOn.median} ms; idle CPU in the 500 ms after a run: off ${res.spinningOff.idleCpuAfterRun}, on ${res.spinningOn.idleCpuAfterRun} cores`);
  return { model: kind, batch, threads, ...res };
}

/** Top-k targets as one batched backward (forward values tiled k times, one seed row per target) vs k backward runs. */
export async function batchedSeedsExperiment({ modelsDir, kind = 'resnet18', layer = 'layer3', k = 5, threads = 1, reps = 7, log = () => undefined }) {
  const E = engine();
  const model = await E.loadModel(path.join(modelsDir, `${kind}.onnx`));
  const acts = new E.LayerTree(model.graph).activations(layer, false);
  const output = model.graph.outputs[0];
  const x1 = benchInput(1, 1);
  const xk = { dtype: 'float32', dims: [k, 3, 224, 224], data: new Float32Array(k * x1.data.length) };
  for (let i = 0; i < k; i++) xk.data.set(x1.data, i * x1.data.length);
  const c1 = await E.compileAttribution(model, acts, output, [x1], { provider: 'cpu', threads });
  const ck = await E.compileAttribution(model, acts, output, [xk], { provider: 'cpu', threads });
  const fwd = await c1.forward.session.run({ [model.graph.inputs[0]]: E.toOrt(x1) }, c1.forwardOutputs);
  const nOut = fwd[output].dims[1];
  const seeds1 = Array.from({ length: k }, (_, t) => {
    const s = new Float32Array(nOut);
    s[t] = 1;
    return new ort.Tensor('float32', s, [1, nOut]);
  });
  const seedK = new Float32Array(k * nOut);
  for (let t = 0; t < k; t++) seedK[t * nOut + t] = 1;
  const sequential = async () => {
    const t0 = performance.now();
    for (let t = 0; t < k; t++) {
      const f = { [c1.seedName]: seeds1[t] };
      for (const v of c1.backwardForwardFeeds) f[v] = fwd[v];
      await c1.backward.session.run(f, c1.gradOutputs);
    }
    return performance.now() - t0;
  };
  const batched = async () => {
    const t0 = performance.now();
    const f = { [ck.seedName]: new ort.Tensor('float32', seedK, [k, nOut]) };
    for (const v of ck.backwardForwardFeeds) {
      const src = fwd[v];
      const d = new Float32Array(src.data.length * k);
      for (let i = 0; i < k; i++) d.set(src.data, i * src.data.length);
      f[v] = new ort.Tensor('float32', d, [k, ...src.dims.slice(1)]);
    }
    await ck.backward.session.run(f, ck.gradOutputs);
    return performance.now() - t0;
  };
  const oneBackward = async () => {
    const t0 = performance.now();
    const f = { [c1.seedName]: seeds1[0] };
    for (const v of c1.backwardForwardFeeds) f[v] = fwd[v];
    await c1.backward.session.run(f, c1.gradOutputs);
    return performance.now() - t0;
  };
  const forward = async () => {
    const t0 = performance.now();
    await c1.forward.session.run({ [model.graph.inputs[0]]: E.toOrt(x1) }, c1.forwardOutputs);
    return performance.now() - t0;
  };
  const res = await interleave({ forward, oneBackward, sequentialBackwards: sequential, batchedBackward: batched }, reps);
  await c1.dispose();
  await ck.dispose();
  log(`  top-${k} at batch 1: forward ${res.forward.median} ms, 1 backward ${res.oneBackward.median} ms, ${k} backwards ${res.sequentialBackwards.median} ms, one batched backward ${res.batchedBackward.median} ms`);
  return { model: kind, layer, k, threads, ...res };
}

/**
 * Row narrowing on vs off (compileAttribution's `narrow` option): the same attribution, forward and backward
 * runs timed separately, interleaved, with the largest relative difference of the gradients.
 */
export async function narrowingExperiment({ modelsDir, kind = 'vit', layer = 'blocks.3', batch = 1, threads = 1, reps = 7, log = () => undefined }) {
  const E = engine();
  const model = await E.loadModel(path.join(modelsDir, `${kind}.onnx`));
  const acts = new E.LayerTree(model.graph).activations(layer, false);
  const output = model.graph.outputs[0];
  const x = benchInput(batch, 1);
  const feeds = { [model.graph.inputs[0]]: E.toOrt(x) };
  const variants = {};
  const grads = {};
  const compiled = {};
  for (const narrow of [false, true]) {
    const c = await E.compileAttribution(model, acts, output, [x], { provider: 'cpu', threads }, undefined, { narrow });
    compiled[narrow] = c;
    const parts = { forward: [], backward: [] };
    variants[narrow ? 'narrowed' : 'whole'] = async () => {
      const t0 = performance.now();
      const fwd = await c.forward.session.run(feeds, c.forwardOutputs);
      const t1 = performance.now();
      const out = fwd[output];
      const seed = new Float32Array(out.size);
      for (let i = 0; i < batch; i++) seed[i * (out.size / batch) + 3] = 1;
      const f = { [c.seedName]: new ort.Tensor('float32', seed, out.dims) };
      for (const v of c.backwardForwardFeeds) f[v] = fwd[v];
      for (const v of c.backwardInputFeeds) f[v] = feeds[v];
      const bw = await c.backward.session.run(f, c.gradOutputs);
      const t2 = performance.now();
      parts.forward.push(t1 - t0);
      parts.backward.push(t2 - t1);
      grads[narrow] = bw[c.gradOutputs[0]].data;
      return t2 - t0;
    };
    variants[narrow ? 'narrowed' : 'whole'].parts = parts;
  }
  const res = await interleave(variants, reps);
  for (const k of ['whole', 'narrowed']) {
    res[k].forwardMedian = round(median(variants[k].parts.forward));
    res[k].backwardMedian = round(median(variants[k].parts.backward));
  }
  res.narrowedNodes = compiled[true].narrowedNodes;
  res.maxRelDiff = maxRelDiff(grads[true], grads[false]);
  await compiled[false].dispose();
  await compiled[true].dispose();
  log(`  row narrowing (${kind} → ${layer}, batch ${batch}): whole ${res.whole.median} ms (fwd ${res.whole.forwardMedian}, bwd ${res.whole.backwardMedian}), narrowed ${res.narrowed.median} ms (fwd ${res.narrowed.forwardMedian}, bwd ${res.narrowed.backwardMedian}; ${res.narrowedNodes} nodes), rel diff ${res.maxRelDiff.toExponential(1)}`);
  return { model: kind, layer, batch, threads, ...res };
}
