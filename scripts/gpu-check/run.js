// GPU check body (plain Node, runs from the unpacked kit): fixture conformance per provider, then ResNet-18
// layer3 attribution time on GPU vs CPU. Usage: node run.js APP_DIR [--providers webgpu,cuda] [--quick]
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const app = path.resolve(process.argv[2] || path.join(__dirname, '..', '..'));
const args = process.argv.slice(3);
const providers = (args.includes('--providers') ? args[args.indexOf('--providers') + 1] : 'webgpu,cuda').split(',');
const quick = args.includes('--quick');
const req = (p) => require(path.join(app, 'out', 'src', 'engine', p));
const { ModelSession } = req('modelSession.js');
const { readNpy } = req('tensor/npy.js');
const { buildResNet18 } = require(path.join(app, 'out', 'test', 'support', 'resnet18.js'));
const { encodeModel } = req('onnx/proto.js');
const fixtures = fs.existsSync(path.join(app, 'fixtures', 'lgxa')) ? path.join(app, 'fixtures', 'lgxa') : path.join(app, '..', 'test', 'data', 'fixtures', 'lgxa');

function target(t) {
  if (t === null || t === undefined) return { kind: 'none' };
  if (typeof t === 'number') return { kind: 'index', index: t };
  if (Array.isArray(t)) return Array.isArray(t[0]) ? { kind: 'tuples', tuples: t } : { kind: 'perExample', indices: t };
  return t.tuple ? { kind: 'tuple', tuple: t.tuple } : { kind: 'tuples', tuples: t.tuples };
}

function close(a, b, rtol, atol) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < b.length; i++) if (!(Math.abs(a[i] - b[i]) <= atol + rtol * Math.abs(b[i]))) return false;
  return true;
}

async function conformance(provider) {
  const index = JSON.parse(fs.readFileSync(path.join(fixtures, 'index.json'), 'utf8'));
  const sessions = new Map();
  const r = { provider, passed: 0, passedLoose: 0, failed: 0, errors: 0, skipped: 0, firstProblem: '' };
  for (const id of index.cases) {
    const dir = path.join(fixtures, 'cases', id);
    const c = JSON.parse(fs.readFileSync(path.join(dir, 'case.json'), 'utf8'));
    if (c.expect_error) { r.skipped++; continue; }
    const modelPath = path.join(fixtures, c.model);
    if (!sessions.has(modelPath)) sessions.set(modelPath, await ModelSession.open(modelPath));
    const s = sessions.get(modelPath);
    try {
      const inputs = await Promise.all(c.inputs.map((f) => readNpy(path.join(dir, f))));
      const res = await s.attribute({ layers: c.layers, inputs, target: target(c.target), layerInput: c.attribute_to_layer_input, gradientOnly: !c.multiply_by_inputs, provider });
      let strict = true, loose = true;
      for (const [L, files] of c.expected.entries()) for (const [K, f] of files.entries()) {
        const exp = (await readNpy(path.join(dir, f))).data;
        const got = res.attributions[L][K].data;
        const atol = (c.atol_per_tensor && c.atol_per_tensor[L][K]) || c.atol;
        if (!close(got, exp, c.rtol, atol)) strict = false;
        let max = 0; for (const v of exp) max = Math.max(max, Math.abs(v));
        if (!close(got, exp, 1e-3, Math.max(atol, 1e-4 * max))) loose = false;
      }
      if (strict) r.passed++; else r.failed++;
      if (loose) r.passedLoose++;
      if (!strict && !r.firstProblem) r.firstProblem = `${id}: outside the fixture tolerance`;
    } catch (e) {
      r.errors++;
      if (!r.firstProblem) r.firstProblem = `${id}: ${e.message}`;
      if (/not available here/.test(e.message)) { r.unavailable = e.message; break; }
    }
  }
  for (const s of sessions.values()) await s.dispose();
  return r;
}

async function timeAttribution(file, provider, batch, threads) {
  const s = await ModelSession.open(file);
  const n = batch * 3 * 224 * 224;
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(i * 0.001);
  const input = { dtype: 'float32', dims: [batch, 3, 224, 224], data };
  const request = { layers: ['layer3'], inputs: [input], target: { kind: 'index', index: 3 }, provider, threads, fresh: true };
  const first = await s.attribute(request);
  const runs = [];
  for (let i = 0; i < (quick ? 3 : 7); i++) runs.push((await s.attribute(request)).timings.run);
  runs.sort((a, b) => a - b);
  await s.dispose();
  return { provider: first.provider, compile: first.timings.compile, median: runs[Math.floor(runs.length / 2)] };
}

(async () => {
  const rows = [];
  for (const p of providers) {
    const r = await conformance(p);
    rows.push(r);
    console.log(`conformance ${p}: ${r.unavailable ? 'unavailable — ' + r.unavailable : `${r.passed} passed (fixture tolerance), ${r.passedLoose} within 1e-3 relative, ${r.failed} failed, ${r.errors} errors, ${r.skipped} error cases skipped${r.firstProblem ? '; first problem: ' + r.firstProblem : ''}`}`);
  }
  const model = path.join(os.tmpdir(), 'layerlens-resnet18.onnx');
  fs.writeFileSync(model, encodeModel(buildResNet18()));
  const usable = rows.filter((r) => !r.unavailable && r.errors < 5).map((r) => r.provider);
  const threads = os.cpus().length;
  console.log('\n| batch | provider | compile ms | attribution ms (median) | CPU / provider |');
  console.log('|---|---|---|---|---|');
  for (const batch of [1, 8]) {
    const cpu = await timeAttribution(model, 'cpu', batch, threads);
    console.log(`| ${batch} | cpu (${threads} threads) | ${cpu.compile.toFixed(0)} | ${cpu.median.toFixed(1)} | 1.0 |`);
    for (const p of usable) {
      try {
        const g = await timeAttribution(model, p, batch, threads);
        console.log(`| ${batch} | ${g.provider} | ${g.compile.toFixed(0)} | ${g.median.toFixed(1)} | ${(cpu.median / g.median).toFixed(1)}× |`);
      } catch (e) {
        console.log(`| ${batch} | ${p} | — | failed: ${String(e.message).slice(0, 120)} | — |`);
      }
    }
  }
  process.exit(rows.some((r) => !r.unavailable && r.failed + r.errors > 0) ? 1 : 0);
})().catch((e) => {
  console.error('gpu-check: ' + (e.stack || e));
  process.exit(3);
});
