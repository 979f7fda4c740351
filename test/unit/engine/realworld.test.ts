/**
 * Third-party models (CNTK, keras2onnx, tf2onnx, paddle2onnx, early PyTorch; opsets 8-11): they load, give a
 * layer tree, and their `node:` attributions match finite differences at nodes spread through the graph.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { TargetSpec } from '../../../src/engine/api';
import { findGradientPath } from '../../../src/engine/autodiff/paths';
import { ModelSession } from '../../../src/engine/modelSession';
import type { HostTensor } from '../../../src/engine/tensor/hostTensor';
import { decodeModel } from '../../../src/engine/onnx/loadModel';
import { REPO_ROOT } from '../../support/fixtures';
import { tempDir, writeModel } from '../../support/tinyModels';
import { fdCheckValue, valueOf } from '../../support/fdcheck';
import { rng } from '../../support/gradcheck';

const DIR = process.env.LAYERLENS_REALWORLD ?? path.join(REPO_ROOT, 'test', 'data', 'realworld', 'models');

interface RealWorldCase {
  file: string;
  dims: number[];
  target: TargetSpec;
  output?: string;
  /** How many nodes to check, spread from the output back to the input. */
  nodes?: number;
  /**
   * Differentiate the logits feeding the final Sigmoid/Softmax, at the element nearest 0: a score near 0.5 moves
   * in steps of its float32 ulp (6e-8), coarser than a finite difference's signal in a deep net, while a logit
   * near 0 has a fine ulp. (The Sigmoid/Softmax rules themselves are checked in float64 on their own.)
   */
  logits?: boolean;
}

export const REAL_WORLD: RealWorldCase[] = [
  { file: 'cntk_mnist8.onnx', dims: [1, 1, 28, 28], target: { kind: 'index', index: 3 } },
  { file: 'keras2onnx_mnist_cnn.onnx', dims: [2, 28, 28, 1], target: { kind: 'perExample', indices: [1, 7] } },
  { file: 'keras2onnx_mtcnn_onet.onnx', dims: [2, 48, 48, 3], target: { kind: 'index', index: 1 } },
  { file: 'keras2onnx_mtcnn_onet.onnx', dims: [1, 48, 48, 3], target: { kind: 'index', index: 2 }, output: 'conv6-2' },
  { file: 'onnxtest_pytorch_pixelshuffle.onnx', dims: [1, 9, 4, 4], target: { kind: 'tuple', tuple: [0, 5, 7] } },
  { file: 'paddle_ppocr_cls.onnx', dims: [1, 3, 48, 96], target: { kind: 'index', index: 1 }, nodes: 5 },
  { file: 'pytorch_superres10.onnx', dims: [1, 1, 224, 224], target: { kind: 'tuple', tuple: [0, 300, 301] } },
  { file: 'pytorch_teams_matting.onnx', dims: [1, 4, 64, 64], target: { kind: 'tuple', tuple: [0, 20, 33] }, nodes: 5, logits: true },
  { file: 'pytorch_ultraface_rfb320.onnx', dims: [1, 3, 240, 320], target: { kind: 'tuple', tuple: [1000, 1] }, nodes: 4, logits: true },
  { file: 'pytorch_ultraface_rfb320.onnx', dims: [1, 3, 240, 320], target: { kind: 'tuple', tuple: [2000, 3] }, output: 'boxes', nodes: 3 },
  { file: 'tf2onnx_keras_mnist.onnx', dims: [2, 28, 28, 1], target: { kind: 'index', index: 4 } },
];

function randomInput(dims: number[], seed: number): HostTensor {
  const r = rng(seed);
  const n = dims.reduce((a, b) => a * b, 1);
  return { dtype: 'float32', dims, data: Float32Array.from({ length: n }, () => r()) };
}

/** A copy of the model whose only output is the input of the Sigmoid/Softmax that produced `output`. */
function logitsModel(file: string, output?: string): string {
  const proto = decodeModel(fs.readFileSync(file));
  const g = proto.graph!;
  const name = output ?? g.output![0].name!;
  const last = g.node!.find((n) => (n.output ?? []).includes(name))!;
  assert.ok(['Sigmoid', 'Softmax'].includes(last.opType ?? ''), `${file}: ${name} comes from ${last.opType}`);
  g.output = [{ name: last.input![0] }];
  return writeModel(proto, tempDir(), path.basename(file));
}

/** The element of example 0's output nearest 0 (finest float32 resolution, far from saturation). */
async function nearZeroTarget(session: ModelSession, input: HostTensor): Promise<TargetSpec> {
  const out = await valueOf(session.model, [input], session.model.graph.outputs[0]);
  const d = out.data as Float32Array;
  const per = d.length / out.dims[0];
  let best = 0;
  for (let i = 0; i < per; i++) if (Math.abs(d[i]) < Math.abs(d[best])) best = i;
  const rest = out.dims.slice(1);
  const tuple: number[] = [];
  for (let k = rest.length - 1, rem = best; k >= 0; k--) {
    tuple.unshift(rem % rest[k]);
    rem = Math.floor(rem / rest[k]);
  }
  return { kind: 'tuple', tuple };
}

describe('real-world models', () => {
  for (const c of REAL_WORLD) {
    test(`${c.file} → ${c.output ?? 'first output'}`, async () => {
      const file = c.logits ? logitsModel(path.join(DIR, c.file), c.output) : path.join(DIR, c.file);
      const session = await ModelSession.open(file);
      try {
        const tree = session.layers;
        assert.ok(tree.roots.length > 0, 'the layer tree has entries');
        const input = randomInput(c.dims, 11);
        const output = session.resolveOutput(c.logits ? undefined : c.output);
        const target = c.logits ? await nearZeroTarget(session, input) : c.target;
        const g = session.model.graph;
        // Candidate nodes: float outputs that influence the target output; spread across the graph.
        const path_ = findGradientPath(g, g.inputs.slice(0, 1), output);
        const candidates = path_.nodes.filter((n) => tree.get(`node:${n.name}`)?.outputs.length);
        const k = Math.min(c.nodes ?? 3, candidates.length);
        const picks = Array.from({ length: k }, (_, i) => candidates[Math.floor(((i + 0.5) * candidates.length) / k)]);
        for (const node of picks) {
          const id = `node:${node.name}`;
          const res = await session.attribute({ layers: [id], inputs: [input], target, output: c.logits ? undefined : c.output, gradientOnly: true, threads: 1 });
          const entry = tree.get(id)!;
          for (const [K, value] of entry.outputs.entries()) {
            if (!path_.requiresGrad.has(value)) continue;
            await fdCheckValue(session.model, [input], value, output, target, res.attributions[0][K]);
          }
        }
      } finally {
        await session.dispose();
      }
    });
  }
});
