// Where LayerLens' time goes (`npm run bench -- --profile`): the engine's steps timed one by one on the sessions
// compileAttribution builds (same order and calls as ModelSession), and onnxruntime's per-operator profile of the
// forward and backward sessions. A measurement, not an experiment: the what-ifs it used to run are settled and
// written down, with their numbers, in scripts/bench/README.md.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { benchInput, engine, loadavg, median, ort, round } from './lib.mjs';

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

export async function profileEngine({ modelsDir, kind = 'resnet18', layer = 'layer3', batch = 8, threads = 1, reps = 7, log = () => undefined }) {
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
  // The shape probe's sessions come first; the forward and backward sessions are the last two.
  const [fwdBytes, bwdBytes] = captured.slice(-2);
  out.compileMs = round(c.compileMs);
  out.forwardOutputs = c.forwardOutputs;
  out.backwardFeeds = [...c.backwardForwardFeeds, ...c.backwardInputFeeds];

  // ---- 1. the engine's steps, one by one (same order and calls as ModelSession.attributeEach)
  const stepTimes = { fingerprint: [], toOrtInputs: [], forwardRun: [], seed: [], backwardRun: [], multiply: [], total: [] };
  let bytesOut = 0;
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
    acts.forEach((a, k) => {
      const gd = E.fromOrt(bw[c.gradOutputs[k]]).data;
      const ad = E.fromOrt(fwd[a]).data;
      const prod = new Float32Array(gd.length);
      for (let j = 0; j < gd.length; j++) prod[j] = gd[j] * ad[j];
    });
    const t6 = performance.now();
    bytesOut = c.forwardOutputs.reduce((s, v) => s + fwd[v].data.byteLength, 0);
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

  // ---- 2. onnxruntime's per-operator profile of both sessions (the engine's session options, profiling on)
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'llbench-'));
  const prof = async (bytes, name, feeds, fetch) => {
    const s = await ort.InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      extra: { session: { 'intra_op.allow_spinning': '0', 'inter_op.allow_spinning': '0' } },
      enableProfiling: true,
      profileFilePrefix: path.join(tmp, name),
    });
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
  await c.dispose();
  out.loadavgEnd = loadavg();
  return out;
}
