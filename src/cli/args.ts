/** Command-line parsing for `layerlens` (node:util parseArgs), turned into typed commands. */
import { parseArgs } from 'node:util';
import type { AttributionTarget, IntegrationRule, MethodName, ProviderName } from '../engine/api';
import { INTEGRATION_RULES } from '../engine/attribution/methods/integration';
import { METHOD_NAMES } from '../engine/attribution/methods/layerMethods';
import { parseTargetSpec } from '../engine/attribution/targets';
import { LayerLensError } from '../engine/errors';
import { IMAGE_PRESETS, type ImagePreprocess, type ImagePresetName } from '../shared/preprocess';

export const USAGE = `usage:
  layerlens layers MODEL [--json]
  layerlens predict MODEL --input F [--input F …] [--top K] [--output NAME|INDEX] [--provider P] [--threads N] [--json]
  layerlens attribute MODEL --layer ID [--layer ID …] [--layer-list] --input F [--input F …]
            [--target SPEC | --top-targets K] [--layer-input] [--gradient-only] [--provider auto|cpu|webgpu|cuda|dml|coreml]
            [--output NAME|INDEX] [--threads N] [--out DIR] [--json] [--repeat N]
            [--method lgxa|activation|gradcam|internal-influence|conductance|integrated-gradients|feature-ablation]
            [--target-mask F.npy] [--baseline F [--baseline F …]] [--n-steps N] [--integration RULE]
            [--internal-batch-size N] [--convergence-delta] [--no-multiply-by-inputs]
            [--relu-attributions] [--no-dim-sum] [--layer-baseline F.npy|NUMBER] [--layer-mask F.npy]
            [--perturbations-per-eval N]

inputs: .npy files (float32/int64; other floats converted), one per graph input in graph-input order,
        or images (png/jpg/webp/gif/tiff/avif) preprocessed with:
  --preset imagenet|unit|symmetric   --size HxW   --resize stretch|center-crop   --channels 1|3   --bgr
  --range LO,HI   --mean A[,B,C]   --std A[,B,C]   --layout nchw|nhwc
  (defaults: the model's metadata or sidecar, else what the input shape implies)
layer ids: module paths (layer1.0.conv1), node:<ONNX node name>, value:<tensor name>
target SPEC: 3 (all examples) · 3,1,2 (one per example) · (0,1,1) (index tuple) · (0,1,1),(1,1,0) (one tuple per example)
        · (3, 0:16, 16:32) (a box: half-open slices, summed) · none
--target-mask F.npy: s = Σ out · mask (mask shaped like one example's output, or the whole output)
methods (Captum's layer methods): lgxa (default, LayerGradientXActivation), activation (LayerActivation),
        gradcam (LayerGradCam), internal-influence, conductance, integrated-gradients (LayerIntegratedGradients),
        feature-ablation (LayerFeatureAblation); --integration gausslegendre|riemann_left|riemann_right|
        riemann_middle|riemann_trapezoid (default gausslegendre, --n-steps 50); --convergence-delta writes DIR/delta.npy
--top-targets K: one attribution per rank r < K, each example's r-th highest class, sharing one forward pass;
        --out DIR then writes DIR/top<r>/attr_<L>_<K>.npy`;

/** `--method` and its arguments as given (files are read by the command). */
export interface MethodOptions {
  name: MethodName;
  baselines: string[];
  nSteps?: number;
  integration?: IntegrationRule;
  internalBatchSize?: number;
  convergenceDelta: boolean;
  multiplyByInputs: boolean;
  reluAttributions: boolean;
  dimSum: boolean;
  layerBaseline?: number | string;
  layerMask?: string;
  perturbationsPerEval?: number;
}

/** Which methods take each method option (the rest refuse it: a flag that would be ignored is a mistake). */
const METHOD_FLAGS: Record<string, MethodName[]> = {
  baseline: ['internal-influence', 'conductance', 'integrated-gradients'],
  'n-steps': ['internal-influence', 'conductance', 'integrated-gradients'],
  integration: ['internal-influence', 'conductance', 'integrated-gradients'],
  'internal-batch-size': ['internal-influence', 'conductance', 'integrated-gradients'],
  'convergence-delta': ['conductance', 'integrated-gradients'],
  'no-multiply-by-inputs': ['lgxa', 'integrated-gradients'],
  'gradient-only': ['lgxa'],
  'relu-attributions': ['gradcam'],
  'no-dim-sum': ['gradcam'],
  'layer-baseline': ['feature-ablation'],
  'layer-mask': ['feature-ablation'],
  'perturbations-per-eval': ['feature-ablation'],
  'target-mask': ['lgxa', 'gradcam', 'internal-influence', 'conductance', 'integrated-gradients', 'feature-ablation'],
  'top-targets': ['lgxa'],
  target: ['lgxa', 'gradcam', 'internal-influence', 'conductance', 'integrated-gradients', 'feature-ablation'],
};

export interface CommonOptions {
  model: string;
  json: boolean;
  provider: ProviderName;
  threads?: number;
}

export interface InputOptions {
  inputs: string[];
  image: ImagePreprocess;
  imageExplicit: boolean;
}

export type Command =
  | ({ kind: 'layers' } & CommonOptions)
  | ({ kind: 'predict'; top: number; output?: string } & CommonOptions & InputOptions)
  | ({
      kind: 'attribute';
      layers: string[];
      target: AttributionTarget;
      /** A .npy mask target (replaces `target`). */
      targetMask?: string;
      method: MethodOptions;
      /** Attribute to each example's K top classes instead of `target`. */
      topTargets?: number;
      layerInput: boolean;
      gradientOnly: boolean;
      output?: string;
      out?: string;
      repeat: number;
    } & CommonOptions &
      InputOptions)
  | { kind: 'help' }
  | { kind: 'version' };

const PROVIDERS: ProviderName[] = ['auto', 'cpu', 'webgpu', 'cuda', 'dml', 'coreml'];

function usageError(msg: string): LayerLensError {
  return new LayerLensError(`${msg} (run 'layerlens --help' for usage)`, 'invalid-argument');
}

function int(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw usageError(`--${name} must be an integer from ${min} to ${max}, got '${v}'`);
  return Number(v);
}

function numbers(name: string, v: string | undefined, counts: number[]): number[] | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(/[,x×]/).map((s) => s.trim());
  if (!counts.includes(parts.length) || parts.some((p) => p === '' || !Number.isFinite(Number(p))))
    throw usageError(`--${name} expects ${counts.join(' or ')} comma-separated numbers, got '${v}'`);
  return parts.map(Number);
}

/** `--target -1` would read as an option: join values that start with '-' to their option. */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = argv[i + 1];
    if (/^--(target|mean|range|std|layer-baseline)$/.test(a) && next !== undefined && /^-[\d.(]/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

export function parseCommand(argv: string[]): Command {
  argv = joinNegativeValues(argv);
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        json: { type: 'boolean' },
        input: { type: 'string', multiple: true, short: 'i' },
        layer: { type: 'string', multiple: true, short: 'l' },
        // Captum's list form: accepted for scripts written against Captum's signature; results are per layer either way.
        'layer-list': { type: 'boolean' },
        target: { type: 'string', short: 't' },
        'layer-input': { type: 'boolean' },
        'gradient-only': { type: 'boolean' },
        provider: { type: 'string' },
        output: { type: 'string' },
        threads: { type: 'string' },
        out: { type: 'string', short: 'o' },
        repeat: { type: 'string' },
        top: { type: 'string', short: 'k' },
        'top-targets': { type: 'string' },
        preset: { type: 'string' },
        size: { type: 'string' },
        resize: { type: 'string' },
        channels: { type: 'string' },
        bgr: { type: 'boolean' },
        range: { type: 'string' },
        mean: { type: 'string' },
        std: { type: 'string' },
        layout: { type: 'string' },
        method: { type: 'string', short: 'm' },
        'target-mask': { type: 'string' },
        baseline: { type: 'string', multiple: true },
        'n-steps': { type: 'string' },
        integration: { type: 'string' },
        'internal-batch-size': { type: 'string' },
        'convergence-delta': { type: 'boolean' },
        'no-multiply-by-inputs': { type: 'boolean' },
        'relu-attributions': { type: 'boolean' },
        'no-dim-sum': { type: 'boolean' },
        'layer-baseline': { type: 'string' },
        'layer-mask': { type: 'string' },
        'perturbations-per-eval': { type: 'string' },
      },
    });
  } catch (e) {
    throw usageError((e as Error).message.split('\n')[0].replace(/\. To specify.*$/, ''));
  }
  const { values: o, positionals } = parsed;
  if (o.help) return { kind: 'help' };
  if (o.version) return { kind: 'version' };
  const [sub, model, ...extra] = positionals;
  if (!sub) return { kind: 'help' };
  if (!['layers', 'predict', 'attribute'].includes(sub)) throw usageError(`unknown command '${sub}'`);
  if (!model) throw usageError(`'${sub}' needs a MODEL file`);
  if (extra.length) throw usageError(`unexpected argument '${extra[0]}'`);
  const provider = (o.provider ?? 'auto') as ProviderName;
  if (!PROVIDERS.includes(provider)) throw usageError(`--provider must be one of ${PROVIDERS.join(', ')}, got '${o.provider}'`);
  const common: CommonOptions = { model, json: !!o.json, provider, threads: int('threads', o.threads, 1, 256) };
  if (sub === 'layers') return { kind: 'layers', ...common };

  let image: ImagePreprocess = {};
  let imageExplicit = false;
  if (o.preset !== undefined) {
    if (!['imagenet', 'unit', 'symmetric'].includes(o.preset)) throw usageError(`--preset must be imagenet, unit or symmetric`);
    image = { ...IMAGE_PRESETS[o.preset as ImagePresetName] };
    imageExplicit = true;
  }
  const size = numbers('size', o.size, [1, 2]);
  if (size) image.size = size.length === 1 ? [size[0], size[0]] : [size[0], size[1]];
  if (o.resize !== undefined) {
    if (o.resize !== 'stretch' && o.resize !== 'center-crop') throw usageError(`--resize must be stretch or center-crop`);
    image.resize = o.resize;
  }
  if (o.channels !== undefined) {
    if (o.channels !== '1' && o.channels !== '3') throw usageError(`--channels must be 1 or 3`);
    image.channels = Number(o.channels) as 1 | 3;
  }
  if (o.bgr) image.channelOrder = 'bgr';
  const range = numbers('range', o.range, [2]);
  if (range) image.range = [range[0], range[1]];
  const mean = numbers('mean', o.mean, [1, 3]);
  if (mean) image.mean = mean;
  const std = numbers('std', o.std, [1, 3]);
  if (std) image.std = std;
  if (o.layout !== undefined) {
    if (o.layout !== 'nchw' && o.layout !== 'nhwc') throw usageError(`--layout must be nchw or nhwc`);
    image.layout = o.layout;
  }
  imageExplicit ||= Object.keys(image).length > 0;
  const inputs = o.input ?? [];
  if (!inputs.length) throw usageError(`'${sub}' needs at least one --input`);
  const io: InputOptions = { inputs, image, imageExplicit };
  if (sub === 'predict') return { kind: 'predict', ...common, ...io, top: int('top', o.top, 1, 100000) ?? 5, output: o.output };
  const layers = o.layer ?? [];
  if (!layers.length) throw usageError(`'attribute' needs at least one --layer`);
  const topTargets = int('top-targets', o['top-targets'], 1, 1000);
  if (topTargets !== undefined && o.target !== undefined) throw usageError('--target and --top-targets exclude each other');
  if (o['target-mask'] !== undefined && (o.target !== undefined || topTargets !== undefined)) throw usageError('--target-mask excludes --target and --top-targets');
  const methodName = (o.method ?? 'lgxa') as MethodName;
  if (!METHOD_NAMES.includes(methodName)) throw usageError(`--method must be one of ${METHOD_NAMES.join(', ')}, got '${o.method}'`);
  for (const [flag, methods] of Object.entries(METHOD_FLAGS)) {
    if ((o as Record<string, unknown>)[flag] !== undefined && !methods.includes(methodName))
      throw usageError(`--${flag} does not apply to --method ${methodName}${flag === 'target' ? ' (it has no target)' : ` (it applies to ${methods.join(', ')})`}`);
  }
  if (o.integration !== undefined && !INTEGRATION_RULES.includes(o.integration as IntegrationRule))
    throw usageError(`--integration must be one of ${INTEGRATION_RULES.join(', ')}, got '${o.integration}'`);
  const layerBaseline = o['layer-baseline'];
  const method: MethodOptions = {
    name: methodName,
    baselines: o.baseline ?? [],
    nSteps: int('n-steps', o['n-steps'], 1, 100000),
    integration: o.integration as IntegrationRule | undefined,
    internalBatchSize: int('internal-batch-size', o['internal-batch-size'], 1, 1e9),
    convergenceDelta: !!o['convergence-delta'],
    multiplyByInputs: !o['no-multiply-by-inputs'],
    reluAttributions: !!o['relu-attributions'],
    dimSum: !o['no-dim-sum'],
    layerBaseline: layerBaseline === undefined ? undefined : /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(layerBaseline) ? Number(layerBaseline) : layerBaseline,
    layerMask: o['layer-mask'],
    perturbationsPerEval: int('perturbations-per-eval', o['perturbations-per-eval'], 1, 1e6),
  };
  return {
    kind: 'attribute',
    ...common,
    ...io,
    layers,
    target: parseTargetSpec(o.target),
    topTargets,
    layerInput: !!o['layer-input'],
    gradientOnly: !!o['gradient-only'] || (methodName === 'lgxa' && !!o['no-multiply-by-inputs']),
    targetMask: o['target-mask'],
    method,
    output: o.output,
    out: o.out,
    repeat: int('repeat', o.repeat, 1, 10000) ?? 1,
  };
}
