/**
 * The method picker's model: which of Captum's layer methods the inspector asks for, with what arguments, what it
 * will cost, and how a result names the method that produced it. Pure (no DOM), unit-tested.
 */
import type { AttributionMethod, AttributionMethodSpec, IntegrationRule, TensorPayload } from '../src/shared/protocol';
import { INTEGRATION_LABELS, METHOD_ARGUMENTS } from '../src/shared/protocol';
import { formatMs, formatValue } from './format';
import type { ChannelLayout } from './heatmap/tensorMap';

/** What the picker holds: each method's arguments stay as set while another method is chosen. */
export interface MethodChoice {
  name: AttributionMethod;
  nSteps: number;
  integration: IntegrationRule;
  /** Path methods: the input baseline (0: zeros, Captum's default). */
  baseline: number;
  convergenceDelta: boolean;
  reluAttributions: boolean;
  dimSum: boolean;
  /** Feature ablation: one group per channel (a layer mask) or per element (none). */
  grouping: 'channel' | 'element';
  layerBaseline: number;
}

export const DEFAULT_METHOD: Readonly<MethodChoice> = Object.freeze({
  name: 'lgxa',
  nSteps: 50,
  integration: 'gausslegendre',
  baseline: 0,
  convergenceDelta: true,
  reluAttributions: false,
  dimSum: true,
  grouping: 'channel',
  layerBaseline: 0,
});

/** In the picker's order; `captum` is the class the method reproduces. */
export const METHOD_INFO: { readonly [M in AttributionMethod]: { label: string; captum: string; about: string } } = {
  lgxa: { label: 'Layer Gradient × Activation', captum: 'LayerGradientXActivation', about: '∂target/∂A ⊙ A: one forward and one backward pass.' },
  gradcam: { label: 'Grad-CAM', captum: 'LayerGradCam', about: 'Gradients averaged over space weight the channels of A. A coarse [N, 1, h, w] map: the overlay upsamples it to the input.' },
  'integrated-gradients': { label: 'Integrated Gradients', captum: 'LayerIntegratedGradients', about: "The layer's activation interpolated from A(baseline) to A(x); gradients integrated along that path." },
  conductance: { label: 'Conductance', captum: 'LayerConductance', about: 'Gradients along the input path from the baseline to x, times the change of A between steps.' },
  'internal-influence': { label: 'Internal Influence', captum: 'InternalInfluence', about: 'Gradients with respect to A integrated along the input path from the baseline to x.' },
  activation: { label: 'Activation', captum: 'LayerActivation', about: "A(x) itself: the layer's values, no target and no gradient." },
  'feature-ablation': { label: 'Feature Ablation', captum: 'LayerFeatureAblation', about: 'Each group of the layer set to the layer baseline in turn: F(x) − F(ablated), one forward pass per group.' },
};

export const METHOD_ORDER: readonly AttributionMethod[] = ['lgxa', 'gradcam', 'integrated-gradients', 'conductance', 'internal-influence', 'activation', 'feature-ablation'];

export function isPathMethod(m: AttributionMethod): boolean {
  return METHOD_ARGUMENTS[m].includes('nSteps');
}

export function takesTarget(m: AttributionMethod): boolean {
  return m !== 'activation';
}

/** Whether the "gradient only" toggle means something here (multiply_by_inputs = False). */
export function takesGradientOnly(m: AttributionMethod): boolean {
  return m === 'lgxa' || m === 'integrated-gradients';
}

/** The layer's value as the webview knows it from the model info: dims with the batch axis, maybe symbolic. */
export type LayerDims = readonly (number | string | null)[];

/** Feature ablation per channel: a mask [1, C, 1, …] (channels last: [1, …, C]) with ids 0..C−1, or why there is none. */
export function channelMask(dims: LayerDims | undefined, layout: ChannelLayout): TensorPayload | string {
  if (!dims || dims.length < 2) return 'the layer has no channel axis; choose per element';
  // Channels last, and a transformer's tokens ([N, T, D]: the channels are the D features), have them on the last axis.
  const axis = (layout === 'channels-last' || layout === 'tokens') && dims.length >= 3 ? dims.length - 1 : 1;
  const c = dims[axis];
  if (typeof c !== 'number' || !(c > 0)) return `the layer's channel count is not fixed in the graph (${String(c)}); choose per element`;
  const shape = dims.map((_d, i) => (i === axis ? c : 1));
  return { dims: shape, data: Float32Array.from({ length: c }, (_v, i) => i) };
}

/** Groups feature ablation runs (each one ablated forward pass per example), when the shape says. */
export function ablationGroups(dims: LayerDims | undefined, grouping: MethodChoice['grouping'], layout: ChannelLayout): number | undefined {
  if (!dims || dims.length < 1) return undefined;
  if (grouping === 'channel') {
    const m = channelMask(dims, layout);
    return typeof m === 'string' ? undefined : m.data.length;
  }
  const rest = dims.slice(1);
  return rest.every((d): d is number => typeof d === 'number' && d >= 0) ? rest.reduce((a, b) => a * b, 1) : undefined;
}

/** The request's method (undefined: Layer Gradient × Activation, the protocol's default), or why it cannot be sent. */
export function methodSpec(c: MethodChoice, opts: { gradientOnly: boolean; layerDims?: LayerDims; layout: ChannelLayout }): AttributionMethodSpec | undefined | string {
  switch (c.name) {
    case 'lgxa':
      return undefined;
    case 'activation':
      return { name: 'activation' };
    case 'gradcam':
      return { name: 'gradcam', reluAttributions: c.reluAttributions, dimSum: c.dimSum };
    case 'feature-ablation': {
      const spec: AttributionMethodSpec = { name: 'feature-ablation', layerBaseline: c.layerBaseline };
      if (c.grouping === 'element') return spec;
      const mask = channelMask(opts.layerDims, opts.layout);
      return typeof mask === 'string' ? `Feature ablation per channel: ${mask}.` : { ...spec, layerMask: mask };
    }
    default: {
      const stepError = nStepsError(c.nSteps, c.integration);
      if (stepError) return stepError;
      const spec: AttributionMethodSpec = { name: c.name, nSteps: c.nSteps, integration: c.integration };
      if (c.baseline !== 0) spec.baseline = c.baseline;
      if (c.convergenceDelta && METHOD_ARGUMENTS[c.name].includes('convergenceDelta')) spec.convergenceDelta = true;
      if (c.name === 'integrated-gradients' && opts.gradientOnly) spec.multiplyByInputs = false;
      return spec;
    }
  }
}

export const N_STEPS_MAX = 4096;

export function nStepsError(n: number, rule: IntegrationRule): string | undefined {
  if (!Number.isInteger(n) || n < 1 || n > N_STEPS_MAX) return `n_steps must be a whole number from 1 to ${N_STEPS_MAX}.`;
  if (n < 2 && rule !== 'gausslegendre') return 'The Riemann rules need n_steps ≥ 2 (Captum refuses 1).';
  return undefined;
}

/**
 * Cost of a method in "one attribution" units (a forward and a backward pass), for the estimate next to n_steps:
 * path methods evaluate gradients at n_steps points (conductance at n_steps + 1).
 */
export function costUnits(spec: AttributionMethodSpec | undefined): number | undefined {
  if (!spec || spec.name === 'gradcam') return 1;
  if (spec.name === 'conductance') return (spec.nSteps ?? 50) + 1;
  if (isPathMethod(spec.name)) return spec.nSteps ?? 50;
  return undefined;
}

/** "≈ 50 × one attribution (≈ 0.6 s)": the time when one attribution of this model has been measured. */
export function costEstimate(c: MethodChoice, unitMs: number | undefined): string {
  const units = c.name === 'conductance' ? c.nSteps + 1 : c.nSteps;
  const time = unitMs !== undefined && Number.isFinite(units) ? ` ≈ ${formatMs(units * unitMs)}` : '';
  return `≈ ${units} × one attribution${time}`;
}

/** The method's name and arguments, as a result's header shows them. */
/** What the numbers of a map are, for the exported figure's colour bar. */
export function attributionUnits(spec: AttributionMethodSpec | undefined, gradientOnly: boolean): string {
  const name = spec?.name ?? 'lgxa';
  if (name === 'activation') return "Values: the layer's activation A itself.";
  const perUnit = (name === 'lgxa' && gradientOnly) || name === 'internal-influence' || (name === 'integrated-gradients' && spec?.multiplyByInputs === false);
  return perUnit ? 'Values: gradients, in units of the target output per unit of activation.' : 'Values: attribution, in units of the target output.';
}

export function describeMethod(spec: AttributionMethodSpec | undefined, gradientOnly: boolean): string {
  const name = spec?.name ?? 'lgxa';
  const parts = [METHOD_INFO[name].label];
  if (name === 'lgxa' && gradientOnly) parts.push('gradient only');
  if (!spec) return parts.join(' · ');
  if (spec.nSteps !== undefined) parts.push(`${spec.nSteps} step${spec.nSteps === 1 ? '' : 's'}`);
  if (spec.integration) parts.push(INTEGRATION_LABELS[spec.integration]);
  if (isPathMethod(name)) parts.push(spec.baseline ? `baseline ${formatValue(spec.baseline)}` : 'zero baseline');
  if (spec.multiplyByInputs === false) parts.push('gradient only');
  if (spec.reluAttributions) parts.push('ReLU');
  if (spec.dimSum === false) parts.push('per channel');
  if (name === 'feature-ablation') {
    parts.push(spec.layerMask ? `per channel (${spec.layerMask.data.length})` : 'per element');
    parts.push(`baseline ${formatValue(spec.layerBaseline ?? 0)}`);
  }
  return parts.join(' · ');
}

/** "δ = 3.1e-4" for one example's convergence delta. */
export function formatDelta(delta: number): string {
  return `δ = ${Number.isFinite(delta) ? delta.toExponential(1).replace('e+', 'e') : String(delta)}`;
}

/** Reads a stored choice field by field; anything malformed takes the default. */
export function restoreMethodChoice(raw: unknown): MethodChoice {
  const c: MethodChoice = { ...DEFAULT_METHOD };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return c;
  const r = raw as Record<string, unknown>;
  if (METHOD_ORDER.includes(r.name as AttributionMethod)) c.name = r.name as AttributionMethod;
  if (typeof r.nSteps === 'number' && nStepsError(r.nSteps, 'gausslegendre') === undefined) c.nSteps = r.nSteps;
  if (typeof r.integration === 'string' && Object.prototype.hasOwnProperty.call(INTEGRATION_LABELS, r.integration)) c.integration = r.integration as IntegrationRule;
  if (c.nSteps < 2) c.integration = 'gausslegendre';
  for (const k of ['baseline', 'layerBaseline'] as const) if (typeof r[k] === 'number' && Number.isFinite(r[k])) c[k] = r[k] as number;
  for (const k of ['convergenceDelta', 'reluAttributions', 'dimSum'] as const) if (typeof r[k] === 'boolean') c[k] = r[k] as boolean;
  if (r.grouping === 'channel' || r.grouping === 'element') c.grouping = r.grouping;
  return c;
}
