/**
 * What a model output is *for* (src/shared/outputRole.ts) — decided from the graph (shapes, the op that computes
 * it, the other outputs), the labels and the metadata, never from the values. `outputKind` (probabilities,
 * logits, …) says what the numbers are; this says what they mean.
 */
import { OUTPUT_ROLES, type OutputRole, type OutputRoleInfo } from '../../shared/outputRole';
import type { GraphNode, OnnxGraph } from '../onnx/graph';
import { metadataChoice } from '../onnx/metadataChoice';
import { outputKind } from '../onnx/outputKind';

export type { OutputRole, OutputRoleInfo };

type OutputKind = ReturnType<typeof outputKind>['kind'];

/** Metadata a model can set: one role for every output, or `{"<output>": "<role>"}`. */
export const OUTPUT_ROLE_METADATA_KEY = 'layerlens.output_role';

type Dims = readonly (number | string | null)[] | undefined;

export interface RoleContext {
  /** Every graph output's dims (actual ones, when a run has them; declared ones otherwise). */
  dims: (name: string) => Dims;
  /** Number of class labels the model carries (metadata or a labels file). */
  labels?: readonly string[];
  metadata?: readonly { key?: string | null; value?: string | null }[];
}

interface Facts {
  graph: OnnxGraph;
  name: string;
  dims: Dims;
  rank?: number;
  kind: OutputKind;
  /** The op that computed the values, looked through reshapes and copies. */
  op?: GraphNode;
  labels?: readonly string[];
  /** detector / boxes: the other output of a (scores, boxes) pair. */
  partner?: { name: string; isBoxes: boolean };
  classes?: number;
  layout: 'channels-first' | 'channels-last';
}

const num = (d: number | string | null | undefined): number | undefined => (typeof d === 'number' ? d : undefined);
const describeNode = (n: GraphNode) => `${n.opType} node '${n.name}'`;

/** The rules, first match wins. */
const RULES: { when: (f: Facts) => boolean; role: OutputRole; basis: (f: Facts) => string }[] = [
  { when: (f) => f.partner?.isBoxes === true, role: 'detector', basis: (f) => `per-anchor scores [${dimsText(f.dims)}] beside the box output '${f.partner!.name}'` },
  { when: (f) => f.partner?.isBoxes === false, role: 'boxes', basis: (f) => `per-anchor boxes [${dimsText(f.dims)}] beside the score output '${f.partner!.name}'` },
  { when: (f) => f.rank === 4 && f.classes === 1, role: 'image', basis: () => 'a dense map with 1 channel' },
  { when: (f) => f.rank === 4 && (f.op?.opType === 'Softmax' || f.op?.opType === 'LogSoftmax'), role: 'segmentation', basis: (f) => `${describeNode(f.op!)} over ${f.classes ?? '?'} channels` },
  { when: (f) => f.rank === 4 && f.classes !== undefined && f.classes >= 2 && f.labels?.length === f.classes, role: 'segmentation', basis: (f) => `a dense map with one channel per label (${f.classes})` },
  { when: (f) => f.rank === 4 && f.classes === 3, role: 'image', basis: () => 'a dense map with 3 channels' },
  { when: (f) => f.rank === 4 && f.classes !== undefined && f.classes >= 2, role: 'segmentation', basis: (f) => `a dense map with ${f.classes} channels, one per class` },
  { when: (f) => f.rank === 2 && ['probabilities', 'log-probabilities', 'class-probabilities'].includes(f.kind), role: 'classifier', basis: (f) => (f.op ? describeNode(f.op) : f.kind) },
  { when: (f) => f.rank === 2 && f.labels !== undefined && f.labels.length === num(f.dims?.[1]), role: 'classifier', basis: (f) => `one value per label (${f.labels!.length})` },
  { when: (f) => f.rank === 2 && !!f.op && normalises(f.graph, f.op), role: 'embedding', basis: (f) => `L2-normalised (${describeNode(f.op!)})` },
  { when: (f) => f.rank === 2 && !!f.op && POOLING.has(f.op.opType), role: 'embedding', basis: (f) => `pooled features (${describeNode(f.op!)})` },
  { when: (f) => f.rank === 2 && f.kind === 'logits', role: 'classifier', basis: (f) => (f.op ? describeNode(f.op) : 'logits') },
  { when: () => true, role: 'other', basis: (f) => (f.rank === undefined ? 'unknown rank' : `an output of rank ${f.rank}`) },
];

const PASS_THROUGH = new Set(['Identity', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Dropout', 'Cast', 'Transpose']);
const POOLING = new Set(['GlobalAveragePool', 'GlobalMaxPool', 'ReduceMean', 'ReduceMax', 'AveragePool']);

function dimsText(dims: Dims): string {
  return (dims ?? []).map((d) => d ?? '?').join(', ');
}

/** The role of one graph output. */
export function outputRole(graph: OnnxGraph, output: string, ctx: RoleContext): OutputRoleInfo {
  const declared = metadataChoice(ctx.metadata ?? [], OUTPUT_ROLE_METADATA_KEY, output, OUTPUT_ROLES);
  const facts = factsOf(graph, output, ctx);
  const info: OutputRoleInfo = declared ? { role: declared, basis: 'model metadata' } : (({ role, basis }) => ({ role, basis: basis(facts) }))(RULES.find((r) => r.when(facts))!);
  if ((info.role === 'detector' || info.role === 'boxes') && facts.partner) info.companion = facts.partner.name;
  if (info.role === 'detector') {
    const bg = backgroundOf(facts);
    if (bg !== undefined) info.background = bg;
  }
  if (info.role === 'segmentation' || info.role === 'image') info.layout = facts.layout;
  return info;
}

function factsOf(graph: OnnxGraph, name: string, ctx: RoleContext): Facts {
  const dims = ctx.dims(name);
  const rank = dims?.length;
  const op = producerOp(graph, name);
  const layout = rank === 4 && channelsLast(dims!) ? 'channels-last' : 'channels-first';
  const classes = rank === 4 ? num(layout === 'channels-first' ? dims![1] : dims![3]) : undefined;
  return { graph, name, dims, rank, kind: outputKind(graph, name, ctx.metadata ?? []).kind, op, labels: ctx.labels, partner: partnerOf(graph, name, ctx), classes, layout };
}

/** `[N, H, W, C]` when the last axis is the smallest and the two before it are larger (a TF-style map). */
function channelsLast(dims: readonly (number | string | null)[]): boolean {
  const [, a, b, c] = dims.map(num);
  return a !== undefined && b !== undefined && c !== undefined && c < a && c < b && c <= 4;
}

/**
 * A detector's pair: a `[N, A, C]` score output and a `[N, A, 4]` box output with the same anchors. When both end
 * in 4, the one computed by Softmax/Sigmoid holds the scores, else the one whose name says box/bbox/loc is the boxes.
 */
function partnerOf(graph: OnnxGraph, name: string, ctx: RoleContext): { name: string; isBoxes: boolean } | undefined {
  const mine = ctx.dims(name);
  if (mine?.length !== 3) return undefined;
  const anchors = num(mine[1]);
  if (anchors === undefined || anchors < 2) return undefined;
  for (const other of graph.outputs) {
    if (other === name) continue;
    const d = ctx.dims(other);
    if (d?.length !== 3 || num(d[1]) !== anchors) continue;
    const mineBoxes = num(mine[2]) === 4;
    const otherBoxes = num(d[2]) === 4;
    if (!mineBoxes && otherBoxes) return { name: other, isBoxes: true };
    if (mineBoxes && !otherBoxes) return { name: other, isBoxes: false };
    if (mineBoxes && otherBoxes) {
      const scores = (n: string) => ['Softmax', 'Sigmoid'].includes(producerOp(graph, n)?.opType ?? '');
      if (scores(name) !== scores(other)) return { name: other, isBoxes: scores(name) };
      const boxy = (n: string) => /box|bbox|loc/i.test(n);
      if (boxy(name) !== boxy(other)) return { name: other, isBoxes: boxy(other) };
    }
  }
  return undefined;
}

/** The op that computed a value's numbers, looked through reshapes and copies (undefined for a graph input). */
function producerOp(graph: OnnxGraph, value: string): GraphNode | undefined {
  let v = value;
  for (let hops = 0; hops < 64; hops++) {
    const op = graph.producer.get(v)?.node;
    if (!op || !PASS_THROUGH.has(op.opType) || !op.inputs[0]) return op;
    v = op.inputs[0];
  }
  return undefined;
}

/** The background class: the one the labels call so, else class 0 of a softmax over two or more classes. */
function backgroundOf(f: Facts): number | undefined {
  const named = f.labels?.findIndex((l) => /^(background|__background__|bg|no.?object|none)$/i.test(l.trim()));
  if (named !== undefined && named >= 0) return named;
  const classes = num(f.dims?.[2]);
  return f.op?.opType === 'Softmax' && classes !== undefined && classes >= 2 ? 0 : undefined;
}

/** Whether `op` divides by a norm of its input (torch's F.normalize: x / max(‖x‖₂, ε)) or is LpNormalization. */
function normalises(graph: OnnxGraph, op: GraphNode): boolean {
  if (op.opType === 'LpNormalization') return true;
  if (op.opType !== 'Div' || !op.inputs[1]) return false;
  const stack = [op.inputs[1]];
  for (let hops = 0; stack.length && hops < 12; hops++) {
    const n = graph.producer.get(stack.pop()!)?.node;
    if (!n) continue;
    if (n.opType === 'ReduceL2' || n.opType === 'Sqrt') return true;
    stack.push(...n.inputs.filter((v) => v && !graph.isConstant(v)));
  }
  return false;
}
