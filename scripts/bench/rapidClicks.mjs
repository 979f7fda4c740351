#!/usr/bin/env node
// Three rapid clicks (issue 10): in the inspector a newer layer supersedes the request still running for the same
// panel (the engine process aborts its signal). Measured here on the compiled engine, as the engine process holds it:
//   node scripts/bench/rapidClicks.mjs [--models resnet18,resnet50] [--gap MS] [--reps N]
// For each model and repetition, in fresh ModelSessions (open, shape probe, a prediction first, as the inspector does):
//   alone  — layer C's cold attribution by itself;
//   rapid  — layer A, then B `gap` ms later (A aborted), then C `gap` ms after B (B aborted): the time from C's click
//            to C's result.
// The target: rapid ≤ alone + 20 %. Writes bench/results/rapid-latest.json.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MODELS_DIR, RESULTS_DIR, benchInput, engine, loadavg, median, round } from './lib.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const models = opt('models', 'resnet18,resnet50').split(',');
const gap = Number(opt('gap', '150'));
const reps = Number(opt('reps', '3'));
const CLICKS = {
  resnet18: ['layer1.0.conv1', 'layer2', 'layer3.0.conv2'],
  resnet50: ['layer1.0.conv2', 'layer2', 'layer3.1.conv2'],
  vit_b16: ['blocks.0.attn', 'blocks.3', 'blocks.6.mlp'],
};
const { ModelSession } = engine();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function ready(file, x) {
  const s = await ModelSession.open(file);
  await s.inferShapes();
  const p = await s.predict([x], { top: 1 });
  return { s, target: { kind: 'index', index: p.top[0][0].index } };
}

const rows = [];
for (const name of models) {
  const file = path.join(MODELS_DIR, `${name}.onnx`);
  if (!fs.existsSync(file)) {
    console.log(`${name}: no ${file} (build it with scripts/bench/make_models.py --models ${name})`);
    continue;
  }
  const [a, b, c] = CLICKS[name];
  const x = benchInput(1);
  for (let r = 0; r < reps; r++) {
    // C alone.
    let { s, target } = await ready(file, x);
    let t0 = performance.now();
    await s.attribute({ layers: [c], inputs: [x], target });
    const alone = performance.now() - t0;
    await s.dispose();
    // A, B, C in quick succession; each newer click aborts the one before.
    ({ s, target } = await ready(file, x));
    const runs = [];
    for (const [i, layer] of [a, b, c].entries()) {
      if (i > 0) {
        await sleep(gap);
        runs[i - 1].abort.abort();
      }
      const abort = new AbortController();
      const start = performance.now();
      const done = s.attribute({ layers: [layer], inputs: [x], target, signal: abort.signal }).then(
        () => performance.now() - start,
        (e) => {
          // A and B are cancelled on purpose; C never is, and must not fail.
          if (i === 2) throw new Error(`${name}: the last click (${layer}) failed: ${e?.message ?? e}`);
          return undefined;
        },
      );
      runs.push({ abort, done });
    }
    const rapid = await runs[2].done;
    await Promise.all(runs.map((q) => q.done));
    await s.dispose();
    const row = { model: name, clicks: [a, b, c], gapMs: gap, aloneMs: round(alone, 1), rapidMs: round(rapid, 1), ratio: round(rapid / alone, 3), load: loadavg()[0] };
    rows.push(row);
    console.log(`${name} #${r + 1}: ${c} alone ${row.aloneMs} ms; after ${a} and ${b} (${gap} ms apart, each aborted) ${row.rapidMs} ms → ${row.ratio}× [load ${row.load}]`);
  }
}
const byModel = {};
for (const r of rows) (byModel[r.model] ??= []).push(r.ratio);
for (const [m, rs] of Object.entries(byModel)) console.log(`${m}: median ${round(median(rs), 3)}× (target ≤ 1.2×)`);
fs.mkdirSync(RESULTS_DIR, { recursive: true });
fs.writeFileSync(path.join(RESULTS_DIR, 'rapid-latest.json'), `${JSON.stringify({ date: new Date().toISOString(), rows }, null, 1)}\n`);
