/** The `layerlens` command line: the engine's layers / predict / attribute, for scripts and CI. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AttributeRequest, AttributeResult, MethodSpec, PredictResult } from '../engine/api';
import { LayerLensError, describeError } from '../engine/errors';
import { findLabels } from '../engine/labels';
import { ModelSession } from '../engine/modelSession';
import type { LayerEntry } from '../engine/onnx/layerTree';
import { modelPreprocess } from '../engine/preprocess';
import type { HostTensor } from '../engine/tensor/hostTensor';
import { isImagePath, loadInputTensor } from '../engine/tensor/image';
import { readNpy, toFloat32, writeNpy } from '../engine/tensor/npy';
import { OUTPUT_ROLE_LABELS } from '../shared/outputRole';
import { Command, InputOptions, USAGE, parseCommand } from './args';

declare const LAYERLENS_VERSION: string | undefined;

type Out = { stdout: (s: string) => void; stderr: (s: string) => void };

export async function runCli(argv: string[], io: Out = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) }): Promise<number> {
  let session: ModelSession | undefined;
  try {
    const cmd = parseCommand(argv);
    if (cmd.kind === 'help') {
      io.stdout(USAGE + '\n');
      return 0;
    }
    if (cmd.kind === 'version') {
      io.stdout(`${typeof LAYERLENS_VERSION === 'string' ? LAYERLENS_VERSION : 'dev'}\n`);
      return 0;
    }
    session = await ModelSession.open(cmd.model);
    if (cmd.kind === 'layers') {
      await session.inferShapes({ threads: cmd.threads });
      layers(session, cmd.json, io);
    }
    else if (cmd.kind === 'predict') await predict(session, cmd, io);
    else await attribute(session, cmd, io);
    return 0;
  } catch (e) {
    io.stderr(`error: ${describeError(e)}\n`);
    if (!(e instanceof LayerLensError) && process.env.LAYERLENS_DEBUG) io.stderr(`${(e as Error).stack}\n`);
    return e instanceof LayerLensError && e.code === 'invalid-argument' ? 2 : 1;
  } finally {
    await session?.dispose().catch(() => undefined);
  }
}

function layers(session: ModelSession, json: boolean, io: Out): void {
  const tree = session.layers;
  const describe = (e: LayerEntry) => ({
    id: e.id,
    kind: e.kind,
    parent: e.parent ?? null,
    opTypes: e.opTypes,
    invocations: e.invocations,
    nodes: e.nodeCount,
    params: e.paramCount,
    outputs: e.outputs.map((v) => tree.describeValue(v)),
    inputs: e.inputs.map((v) => tree.describeValue(v)),
  });
  if (json) {
    const order: LayerEntry[] = [];
    const stack = [...tree.roots].reverse();
    while (stack.length) {
      const id = stack.pop()!;
      const e = tree.get(id)!;
      order.push(e);
      for (let i = e.children.length - 1; i >= 0; i--) stack.push(e.children[i]);
    }
    io.stdout(
      JSON.stringify(
        { model: session.model.path, opset: session.model.graph.opset, inputs: session.inputs, outputs: session.outputs, layers: order.map(describe) },
        null,
        1,
      ) + '\n',
    );
    return;
  }
  const lines: string[] = [];
  const stack: [string, number][] = [...tree.roots].reverse().map((id) => [id, 0]);
  while (stack.length) {
    const [id, depth] = stack.pop()!;
    const e = tree.get(id)!;
    const shape = e.outputs.map((v) => fmtShape(tree.describeValue(v).shape)).join(' ');
    const calls = e.invocations > 1 ? ` ×${e.invocations}` : '';
    lines.push(`${'  '.repeat(depth)}${e.id}  [${e.opTypes.slice(0, 4).join(',')}${e.opTypes.length > 4 ? ',…' : ''}]${calls}${shape ? '  → ' + shape : ''}${e.paramCount ? `  ${e.paramCount} params` : ''}`);
    for (let i = e.children.length - 1; i >= 0; i--) stack.push([e.children[i], depth + 1]);
  }
  io.stdout(lines.join('\n') + '\n');
}

function fmtShape(s: (number | string | null)[] | undefined): string {
  return s ? `[${s.map((d) => d ?? '?').join(',')}]` : '';
}

async function loadInputs(session: ModelSession, opts: InputOptions): Promise<HostTensor[]> {
  return Promise.all(
    opts.inputs.map(async (file, i) => {
      const pre = isImagePath(file) ? (opts.imageExplicit ? { ...modelPreprocess(session, i).preprocess, ...opts.image } : modelPreprocess(session, i).preprocess) : {};
      const t = await loadInputTensor(file, pre);
      return t.dtype === 'float64' || t.dtype === 'float16' ? toFloat32(t) : t;
    }),
  );
}

async function predict(session: ModelSession, cmd: Extract<Command, { kind: 'predict' }>, io: Out): Promise<void> {
  const inputs = await loadInputs(session, cmd);
  const res = await session.predict(inputs, { top: cmd.top, output: cmd.output, provider: cmd.provider, threads: cmd.threads });
  const view = res.view && viewSummary(res.view);
  if (cmd.json) {
    io.stdout(JSON.stringify({ output: res.outputName, shape: res.outputShape, role: res.role, provider: res.provider, timings: res.timings, top: res.top, ...(view ? { view } : {}) }, null, 1) + '\n');
    return;
  }
  if (res.role) io.stdout(`${res.outputName}: ${OUTPUT_ROLE_LABELS[res.role.role]} (${res.role.basis})\n`);
  const labels = findLabels(session.model)?.labels ?? [];
  res.top.forEach((row, i) => {
    io.stdout(`example ${i}:\n`);
    const v = res.view;
    if (v?.role === 'detector') {
      for (const d of v.detections[i] ?? []) io.stdout(`  anchor ${String(d.anchor).padStart(5)}  class ${String(d.class).padStart(3)}  ${d.score.toPrecision(6).padStart(12)}  ${(labels[d.class] ?? '').padEnd(12)}${d.box ? `  box ${d.box.map((b) => b.toPrecision(4)).join(', ')}` : ''}\n`);
    } else if (v?.role === 'segmentation') {
      const px = v.pixels[i] ?? [];
      const total = px.reduce((a, b) => a + b, 0) || 1;
      for (const c of px.map((_, k) => k).sort((a, b) => px[b] - px[a]).filter((k) => px[k] > 0))
        io.stdout(`  class ${String(c).padStart(3)}  ${String(px[c]).padStart(8)} px  ${((100 * px[c]) / total).toFixed(1).padStart(5)} %  ${labels[c] ?? ''}\n`);
    } else for (const p of row) io.stdout(`  ${String(p.index).padStart(5)}  ${p.score.toPrecision(6).padStart(12)}  ${p.label ?? ''}\n`);
  });
}

/** What --json says of an output's view: detections, pixels per class, the image's value range, norms (no pixel data). */
function viewSummary(v: NonNullable<PredictResult['view']>): object {
  switch (v.role) {
    case 'segmentation':
      return { role: v.role, classMapShape: v.classMap.dims, pixels: v.pixels };
    case 'image':
      return { role: v.role, imageShape: v.rgba.dims.slice(0, 3), range: v.range, rangeBasis: v.rangeBasis };
    default:
      return v;
  }
}

/** A .npy file an option names, with the option in the error when it cannot be read. */
async function optionNpy(flag: string, file: string): Promise<HostTensor> {
  try {
    return await readNpy(file);
  } catch (e) {
    throw new LayerLensError(`${flag} '${file}': ${describeError(e)}`, 'input-invalid');
  }
}

/** The method and its arguments, with the files they name read. */
async function methodSpec(session: ModelSession, cmd: Extract<Command, { kind: 'attribute' }>): Promise<MethodSpec> {
  const m = cmd.method;
  const baselines = m.baselines.length ? await loadInputs(session, { ...cmd, inputs: m.baselines }) : undefined;
  return {
    name: m.name,
    ...(baselines ? { baselines } : {}),
    nSteps: m.nSteps,
    integration: m.integration,
    internalBatchSize: m.internalBatchSize,
    convergenceDelta: m.convergenceDelta,
    multiplyByInputs: m.multiplyByInputs,
    reluAttributions: m.reluAttributions,
    dimSum: m.dimSum,
    layerBaseline: typeof m.layerBaseline === 'string' ? await optionNpy('--layer-baseline', m.layerBaseline) : m.layerBaseline,
    layerMask: m.layerMask !== undefined ? await optionNpy('--layer-mask', m.layerMask) : undefined,
    perturbationsPerEval: m.perturbationsPerEval,
  };
}

async function attribute(session: ModelSession, cmd: Extract<Command, { kind: 'attribute' }>, io: Out): Promise<void> {
  const inputs = await loadInputs(session, cmd);
  const req: AttributeRequest = {
    layers: cmd.layers,
    inputs,
    target: cmd.targetMask !== undefined ? { kind: 'mask', mask: await optionNpy('--target-mask', cmd.targetMask) } : cmd.target,
    method: await methodSpec(session, cmd),
    layerInput: cmd.layerInput,
    gradientOnly: cmd.gradientOnly,
    output: cmd.output,
    provider: cmd.provider,
    threads: cmd.threads,
    // Every repetition is a full attribution (forward + backward), not a cached target switch.
    fresh: true,
  };
  // One run: the attributions (one per target rank with --top-targets) and the time the engine reports.
  const once = async (): Promise<{ results: AttributeResult[]; classes?: number[][]; run: number }> => {
    if (cmd.topTargets === undefined) {
      const r = await session.attribute(req);
      return { results: [r], run: r.timings.run };
    }
    const { classes, results } = await session.attributeTopK(req, cmd.topTargets);
    return { results, classes, run: results.reduce((a, r) => a + r.timings.run, 0) };
  };
  let last = await once();
  const runs = [last.run];
  for (let i = 1; i < cmd.repeat; i++) {
    last = await once();
    runs.push(last.run);
  }
  const { results, classes } = last;
  const res = results[0];
  const ranked = classes !== undefined;
  if (cmd.out) {
    try {
      fs.mkdirSync(cmd.out, { recursive: true });
    } catch (e) {
      throw new LayerLensError(`cannot create output folder '${cmd.out}': ${(e as Error).message}`, 'invalid-argument');
    }
  }
  const labels = ranked ? findLabels(session.model)?.labels : undefined;
  const perTarget = await Promise.all(
    results.map(async (r, rank) => {
      const dir = cmd.out && ranked ? path.join(cmd.out, `top${rank}`) : cmd.out;
      if (dir && dir !== cmd.out) fs.mkdirSync(dir, { recursive: true });
      const layers = await Promise.all(
        cmd.layers.map(async (id, L) => {
          const files: string[] = [];
          if (dir)
            for (const [K, t] of r.attributions[L].entries()) {
              const f = path.join(dir, `attr_${L}_${K}.npy`);
              await writeNpy(f, t.dtype === 'float32' ? t : toFloat32(t));
              files.push(f);
            }
          return { id, values: r.valueNames[L], shapes: r.attributions[L].map((t) => t.dims), files, sums: r.attributions[L].map((t) => sum(t)) };
        }),
      );
      return { rank, classes: classes?.[rank], labels: classes && labels ? classes[rank].map((c) => labels[c] ?? null) : undefined, layers };
    }),
  );
  let deltaFile: string | undefined;
  if (res.delta && cmd.out) await writeNpy((deltaFile = path.join(cmd.out, 'delta.npy')), res.delta.dtype === 'float32' ? res.delta : toFloat32(res.delta));
  const median = [...runs].sort((a, b) => a - b)[Math.floor((runs.length - 1) / 2)];
  const summary = {
    model: session.model.path,
    output: res.outputName,
    outputShape: res.output.dims,
    method: cmd.method.name,
    provider: res.provider,
    providerNotes: res.providerNotes,
    ...(res.delta ? { delta: Array.from(res.delta.data as Float32Array), ...(deltaFile ? { deltaFile } : {}) } : {}),
    ...(ranked ? { targets: perTarget } : { layers: perTarget[0].layers }),
    timings: { load: round(res.timings.load), compile: round(res.timings.compile), run: round(median), runs: runs.map(round) },
  };
  if (cmd.json) {
    io.stdout(JSON.stringify(summary, null, 1) + '\n');
    return;
  }
  for (const t of perTarget) {
    if (ranked) io.stdout(`top ${t.rank}: class ${t.classes!.map((c, i) => `${c}${t.labels?.[i] ? ` (${t.labels[i]})` : ''}`).join(', ')}\n`);
    for (const l of t.layers) {
      l.values.forEach((v, K) => io.stdout(`${ranked ? '  ' : ''}${l.id}[${K}] ${v}  shape [${l.shapes[K].join(',')}]  sum ${l.sums[K].toPrecision(6)}${l.files[K] ? `  → ${l.files[K]}` : ''}\n`));
    }
  }
  if (res.delta) io.stdout(`convergence delta ${Array.from(res.delta.data as Float32Array, (d) => d.toPrecision(4)).join(', ')}${deltaFile ? `  → ${deltaFile}` : ''}\n`);
  io.stdout(`provider ${res.provider}; load ${summary.timings.load} ms, compile ${summary.timings.compile} ms, run ${summary.timings.run} ms\n`);
}

function sum(t: HostTensor): number {
  let s = 0;
  const d = t.data as Float32Array;
  for (let i = 0; i < d.length; i++) s += d[i];
  return s;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
