/**
 * What a model output's values are — probabilities, log-probabilities, logits, … — decided from the graph (the op
 * that computes the output) and the model's metadata, never from the values of one input: a logit vector can
 * happen to lie in [0, 1], and the label must not change with the picture.
 */
import { OUTPUT_KINDS, type OutputKind, type OutputKindInfo } from '../../shared/outputKind';
import type { GraphNode, OnnxGraph } from './graph';
import { type MetadataProps, metadataChoice } from './metadataChoice';

/** The metadata key a model (or its author) can set: one kind for every output, or `{"<output>": "<kind>"}`. */
export const OUTPUT_KIND_METADATA_KEY = 'layerlens.output_kind';

/** Ops that move or reshape values without changing what they are; followed through their data input. */
const PASS_THROUGH = new Set(['Identity', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Dropout', 'Cast', 'CastLike', 'Transpose', 'Slice', 'Gather', 'Expand']);

/** Ops that keep a spatial layout: an output of rank 3 computed by them is a map over positions. */
const SPATIAL = new Set(['Conv', 'ConvTranspose', 'MaxPool', 'AveragePool', 'Resize', 'Upsample', 'DepthToSpace', 'PixelShuffle']);

interface Facts {
  /** The op that computed the values (after looking through PASS_THROUGH), if any. */
  op?: GraphNode;
  /** Output rank, when the graph declares it. */
  rank?: number;
  /** `op`, or the first op above it that is not elementwise, keeps a spatial layout. */
  spatial: boolean;
}

/** The rules, first match wins. */
const RULES: { when: (f: Facts) => boolean; kind: OutputKind; basis: (f: Facts) => string }[] = [
  // A map over positions first: its per-position values (softmax or not) are not a class list.
  { when: (f) => f.rank !== undefined && f.rank >= 4, kind: 'dense-map', basis: (f) => `output rank ${f.rank}` },
  { when: (f) => f.rank === 3 && f.spatial, kind: 'dense-map', basis: (f) => `output rank 3 from ${nodeBasis(f)}` },
  { when: (f) => f.op?.opType === 'Softmax', kind: 'probabilities', basis: nodeBasis },
  { when: (f) => f.op?.opType === 'LogSoftmax', kind: 'log-probabilities', basis: nodeBasis },
  { when: (f) => f.op?.opType === 'Sigmoid', kind: 'class-probabilities', basis: nodeBasis },
  { when: (f) => ['Gemm', 'MatMul', 'Add', 'Einsum', 'Conv'].includes(f.op?.opType ?? ''), kind: 'logits', basis: nodeBasis },
  { when: () => true, kind: 'scores', basis: (f) => (f.op ? nodeBasis(f) : 'no producing op') },
];

function nodeBasis(f: Facts): string {
  return `${f.op!.opType} node '${f.op!.name}'`;
}

/** The kind of one graph output. `metadata` is the model's `metadata_props`. */
export function outputKind(graph: OnnxGraph, output: string, metadata: readonly { key?: string | null; value?: string | null }[] = []): OutputKindInfo {
  const declared = fromMetadata(metadata, output);
  if (declared) return { kind: declared, basis: 'model metadata' };
  const facts = factsOf(graph, output);
  const rule = RULES.find((r) => r.when(facts))!;
  return { kind: rule.kind, basis: rule.basis(facts) };
}

function factsOf(graph: OnnxGraph, output: string): Facts {
  const rank = graph.type(output)?.dims?.length;
  let value = output;
  let op: GraphNode | undefined;
  const seen = new Set<string>();
  while (!seen.has(value)) {
    seen.add(value);
    op = graph.producer.get(value)?.node;
    if (!op || !PASS_THROUGH.has(op.opType) || !op.inputs[0]) break;
    value = op.inputs[0];
    op = undefined;
  }
  return { op, rank, spatial: !!op && spatialUpstream(graph, op) };
}

/** Whether the op, or the first non-elementwise op above it on its data input, keeps a spatial layout. */
function spatialUpstream(graph: OnnxGraph, op: GraphNode): boolean {
  const ELEMENTWISE = new Set(['Relu', 'Sigmoid', 'Tanh', 'Add', 'Mul', 'Sub', 'Div', 'BatchNormalization', 'Clip', 'LeakyRelu', 'HardSigmoid', 'HardSwish', 'Identity', 'Dropout']);
  let node: GraphNode | undefined = op;
  for (let hops = 0; node && hops < 64; hops++) {
    if (SPATIAL.has(node.opType)) return true;
    if (!ELEMENTWISE.has(node.opType)) return false;
    const data: string | undefined = node.inputs.find((v) => v && !graph.isConstant(v));
    node = data ? graph.producer.get(data)?.node : undefined;
  }
  return false;
}

function fromMetadata(metadata: MetadataProps, output: string): OutputKind | undefined {
  return metadataChoice(metadata, OUTPUT_KIND_METADATA_KEY, output, OUTPUT_KINDS);
}
