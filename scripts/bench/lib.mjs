// Shared helpers for `npm run bench`: engine imports, inputs, statistics, memory, the PyTorch client.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MODELS_DIR = path.join(ROOT, 'bench', 'models');
export const RESULTS_DIR = path.join(ROOT, 'bench', 'results');
export const PYTHON = process.env.BENCH_PYTHON || '/usr/bin/python3';

const require = createRequire(import.meta.url);
/** The compiled engine (out/, from `tsc -p .`). */
export function engine() {
  const r = (p) => require(path.join(ROOT, 'out', 'src', 'engine', p));
  return {
    ...r('modelSession.js'),
    ...r('runtime/session.js'),
    ...r('runtime/tensors.js'),
    ...r('attribution/compile.js'),
    ...r('attribution/targets.js'),
    ...r('onnx/loadModel.js'),
    ...r('onnx/layerTree.js'),
    ...r('onnx/proto.js'),
  };
}
export const ort = require(path.join(ROOT, 'node_modules', 'onnxruntime-node'));

// ------------------------------------------------------------------------------------------------ inputs
/** Same values as make_models.bench_input: x[k] = 2·frac(((k + variant·1000003)·2654435761 mod 2³²)/2³²) − 1. */
export function benchInput(batch, variant = 0) {
  const n = batch * 3 * 224 * 224;
  const x = new Float32Array(n);
  const off = variant * 1000003;
  for (let k = 0; k < n; k++) x[k] = ((Math.imul(k + off, 2654435761 | 0) >>> 0) / 2 ** 32) * 2 - 1;
  return { dtype: 'float32', dims: [batch, 3, 224, 224], data: x };
}

// -------------------------------------------------------------------------------------------- statistics
export function median(xs) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
/** Median, min, max, and the interquartile range relative to the median (a noise indicator). */
export function summary(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.max(0, Math.round(p * (s.length - 1))))];
  const med = median(s);
  return { median: round(med), min: round(s[0]), max: round(s[s.length - 1]), iqrRel: round((q(0.75) - q(0.25)) / med, 3), n: s.length };
}
export const round = (v, d = 2) => (Number.isFinite(v) ? Math.round(v * 10 ** d) / 10 ** d : v);
export const loadavg = () => os.loadavg().map((v) => round(v, 2));

export async function timeIt(fn) {
  const t0 = performance.now();
  const r = await fn();
  return { ms: performance.now() - t0, r };
}

// ------------------------------------------------------------------------------------------------ memory
v8.setFlagsFromString('--expose-gc');
const gcFn = vm.runInNewContext('gc');
export function gc() {
  try {
    gcFn();
  } catch {
    /* not available */
  }
}
export function procStatus() {
  const out = {};
  try {
    for (const line of fs.readFileSync('/proc/self/status', 'utf8').split('\n')) {
      const m = /^(VmRSS|VmHWM):\s+(\d+)\s+kB/.exec(line);
      if (m) out[m[1]] = round(Number(m[2]) / 1024, 1);
    }
  } catch {
    /* not Linux */
  }
  return out;
}
/** Resets VmHWM (peak RSS) so the next reading is the peak of what follows; false where the kernel refuses. */
export function resetPeak() {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}
export const rssMb = () => round(process.memoryUsage().rss / 2 ** 20, 1);

// ------------------------------------------------------------------------------------------------ python
export function pythonHasTorch() {
  const r = spawnSync(PYTHON, ['-c', 'import torch, onnx, numpy; print(torch.__version__)'], { encoding: 'utf8' });
  if (r.status !== 0) return { ok: false, why: (r.error?.message || r.stderr || '').trim().split('\n').pop() };
  const blas = spawnSync(PYTHON, ['-c', "import torch; c=torch.__config__.show(); import re; m=re.search(r'BLAS_INFO=(\\w+)', c); print(m.group(1) if m else '?')"], { encoding: 'utf8' });
  return { ok: true, version: r.stdout.trim(), blasInfo: blas.stdout.trim(), blasLib: resolveBlas() };
}
function resolveBlas() {
  try {
    return fs.realpathSync('/etc/alternatives/libblas.so.3-x86_64-linux-gnu');
  } catch {
    return undefined;
  }
}

/** A persistent `torch_bench.py --serve` (or `torch_methods.py --serve`) process: one JSON command per line, one JSON reply per line. */
export class TorchClient {
  /**
   * label: how the report names this PyTorch; libDir: prepended to LD_LIBRARY_PATH (e.g. an OpenBLAS folder);
   * script: the server in scripts/bench/.
   */
  constructor(label = 'PyTorch', libDir = undefined, script = 'torch_bench.py') {
    this.label = label;
    // PASSIVE: OpenMP threads sleep at barriers instead of spinning — the analog of the engine's
    // allow_spinning=0. With libgomp's default spinning, 2-thread PyTorch on this loaded 2-core machine ran
    // ~10× slower than with 1 thread (516 vs 55 ms, ResNet-18 batch 1); an explicit OMP_WAIT_POLICY wins.
    const env = { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY || 'PASSIVE' };
    if (libDir) env.LD_LIBRARY_PATH = [libDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
    this.proc = spawn(PYTHON, [path.join(ROOT, 'scripts', 'bench', script), '--serve', '--models', MODELS_DIR], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env,
    });
    this.stderr = '';
    this.proc.stderr.on('data', (d) => (this.stderr = (this.stderr + d).slice(-4000)));
    this.waiting = [];
    this.exited = false;
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      const w = this.waiting.shift();
      if (!w) return;
      try {
        const msg = JSON.parse(line);
        if (msg.ok) w.resolve(msg);
        else w.reject(new Error(`${script}: ${msg.error}`));
      } catch {
        w.reject(new Error(`${script} printed: ${line}`));
      }
    });
    this.proc.on('exit', (code) => {
      this.exited = true;
      for (const w of this.waiting.splice(0)) w.reject(new Error(`${script} exited (${code}): ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`));
    });
  }
  request(cmd) {
    if (this.exited) return Promise.reject(new Error('torch_bench is not running'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.proc.stdin.write(JSON.stringify(cmd) + '\n');
    });
  }
  async close() {
    if (this.exited) return;
    await this.request({ cmd: 'quit' }).catch(() => undefined);
    this.proc.stdin.end();
  }
}

// ------------------------------------------------------------------------------------------------ output
/** Largest absolute difference relative to the largest |b|. */
export function maxRelDiff(a, b) {
  let max = 0;
  let d = 0;
  for (let i = 0; i < b.length; i++) {
    max = Math.max(max, Math.abs(b[i]));
    d = Math.max(d, Math.abs(a[i] - b[i]));
  }
  return max ? d / max : d;
}

export function mdTable(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
export const fmt = (v, d = 1) => (v === undefined || v === null || Number.isNaN(v) ? '—' : typeof v === 'number' ? v.toFixed(d) : String(v));
