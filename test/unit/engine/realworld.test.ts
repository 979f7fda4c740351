/**
 * Third-party models (CNTK, keras2onnx, tf2onnx, paddle2onnx, early PyTorch; opsets 8-11): they load, give a
 * layer tree, and their `node:` attributions match finite differences at nodes spread through the graph.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { TargetSpec } from '../../../src/engine/api';
import { findGradientPath } from '../../../src/engine/autodiff/paths';
import { ModelSession } from '../../../src/engine/modelSession';
import type { HostTensor } from '../../../src/engine/tensor/hostTensor';
import { REPO_ROOT } from '../../support/fixtures';
import { fdCheckValue } from '../../support/fdcheck';
import { rng } from '../../support/gradcheck';

const DIR = process.env.LAYERLENS_REALWORLD ?? path.resolve(REPO_ROOT, '..', 'shared', 'realworld', 'models');

interface RealWorldCase {
  file: string;
  dims: number[];
  target: TargetSpec;
  output?: string;
  /** How many nodes to check, spread from the output back to the input. */
  nodes?: number;
}

export const REAL_WORLD: RealWorldCase[] = [
  { file: 'cntk_mnist8.onnx', dims: [1, 1, 28, 28], target: { kind: 'index', index: 3 } },
  { file: 'keras2onnx_mnist_cnn.onnx', dims: [2, 28, 28, 1], target: { kind: 'perExample', indices: [1, 7] } },
  { file: 'keras2onnx_mtcnn_onet.onnx', dims: [2, 48, 48, 3], target: { kind: 'index', index: 1 } },
  { file: 'keras2onnx_mtcnn_onet.onnx', dims: [1, 48, 48, 3], target: { kind: 'index', index: 2 }, output: 'conv6-2' },
  { file: 'onnxtest_pytorch_pixelshuffle.onnx', dims: [1, 9, 4, 4], target: { kind: 'tuple', tuple: [0, 5, 7] } },
  { file: 'paddle_ppocr_cls.onnx', dims: [1, 3, 48, 96], target: { kind: 'index', index: 1 }, nodes: 5 },
  { file: 'pytorch_superres10.onnx', dims: [1, 1, 224, 224], target: { kind: 'tuple', tuple: [0, 300, 301] } },
  { file: 'pytorch_teams_matting.onnx', dims: [1, 4, 64, 64], target: { kind: 'tuple', tuple: [0, 20, 33] }, nodes: 5 },
  { file: 'pytorch_ultraface_rfb320.onnx', dims: [1, 3, 240, 320], target: { kind: 'tuple', tuple: [1000, 1] }, nodes: 4 },
  { file: 'pytorch_ultraface_rfb320.onnx', dims: [1, 3, 240, 320], target: { kind: 'tuple', tuple: [2000, 3] }, output: 'boxes', nodes: 3 },
  { file: 'tf2onnx_keras_mnist.onnx', dims: [2, 28, 28, 1], target: { kind: 'index', index: 4 } },
];

function randomInput(dims: number[], seed: number): HostTensor {
  const r = rng(seed);
  const n = dims.reduce((a, b) => a * b, 1);
  return { dtype: 'float32', dims, data: Float32Array.from({ length: n }, () => r()) };
}

describe('real-world models', () => {
  for (const c of REAL_WORLD) {
    test(`${c.file} → ${c.output ?? 'first output'}`, async () => {
      const session = await ModelSession.open(path.join(DIR, c.file));
      try {
        const tree = session.layers;
        assert.ok(tree.roots.length > 0, 'the layer tree has entries');
        const input = randomInput(c.dims, 11);
        const output = session.resolveOutput(c.output);
        const g = session.model.graph;
        // Candidate nodes: float outputs that influence the target output; spread across the graph.
        const path_ = findGradientPath(g, g.inputs.slice(0, 1), output);
        const candidates = path_.nodes.filter((n) => tree.get(`node:${n.name}`)?.outputs.length);
        const k = Math.min(c.nodes ?? 3, candidates.length);
        const picks = Array.from({ length: k }, (_, i) => candidates[Math.floor(((i + 0.5) * candidates.length) / k)]);
        for (const node of picks) {
          const id = `node:${node.name}`;
          const res = await session.attribute({ layers: [id], inputs: [input], target: c.target, output: c.output, gradientOnly: true, threads: 1 });
          const entry = tree.get(id)!;
          for (const [K, value] of entry.outputs.entries()) {
            if (!path_.requiresGrad.has(value)) continue;
            await fdCheckValue(session.model, [input], value, output, c.target, res.attributions[0][K]);
          }
        }
      } finally {
        await session.dispose();
      }
    });
  }
});
