/** Every Captum reference case runs through the real engine (ONNX → backward graph → onnxruntime). */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test, after } from 'node:test';
import { LayerLensError } from '../../../src/engine/errors';
import { ModelSession, type SplitMode } from '../../../src/engine/modelSession';
import { planSegments } from '../../../src/engine/attribution/segmentedRun';
import { loadModel } from '../../../src/engine/onnx/loadModel';
import { readNpy } from '../../../src/engine/tensor/npy';
import { compareTensor, fixtureRequest, listCases } from '../../support/fixtures';

const sessions = new Map<string, Promise<ModelSession>>();
/** One session per model file and split mode ('auto': as users get it; 'always': every case on the split backward). */
const open = (p: string, split: SplitMode = 'auto') => {
  const key = `${split}:${p}`;
  let s = sessions.get(key);
  if (!s) sessions.set(key, (s = ModelSession.open(p, { split })));
  return s;
};
after(async () => {
  for (const s of sessions.values()) await (await s).dispose();
});

for (const split of ['auto', 'always'] as const)
describe(`Captum reference cases (LayerGradientXActivation and the other layer methods)${split === 'always' ? ', on the model split at its cuts' : ''}`, () => {
  let planned = 0;
  for (const c of listCases()) {
    // The split backward is Layer Gradient × Activation's; the other methods run as they always do.
    if (split === 'always' && c.json.method && c.json.method.name !== 'LayerGradientXActivation') continue;
    test(`${c.id}: ${c.json.note ?? ''}`, async () => {
      const req = await fixtureRequest(c);
      if (split === 'always') {
        const model = await loadModel(c.modelPath);
        const out = req.output === undefined ? model.graph.outputs[0] : typeof req.output === 'number' ? model.graph.outputs[req.output] : req.output;
        if (planSegments(model, out)) planned++;
      }
      if (c.json.expect_error) {
        await assert.rejects(
          async () => (await open(c.modelPath, split)).attribute(req),
          (e: unknown) => e instanceof LayerLensError && !e.message.includes('\n'),
          `expected a clean error: ${c.json.expect_error}`,
        );
        return;
      }
      const session = await open(c.modelPath, split);
      const res = await session.attribute(req);
      assert.equal(res.attributions.length, c.json.expected.length, 'number of layers');
      for (const [L, files] of c.json.expected.entries()) {
        assert.equal(res.attributions[L].length, files.length, `layer ${L} tuple size`);
        for (const [K, f] of files.entries()) {
          const exp = await readNpy(path.join(c.dir, f));
          const atol = c.json.atol_per_tensor?.[L]?.[K] ?? c.json.atol;
          const cmp = compareTensor(res.attributions[L][K], exp, c.json.rtol, atol);
          assert.ok(cmp.ok, `${f}: ${cmp.message}`);
        }
      }
      if (c.json.delta) {
        assert.ok(res.delta, 'a convergence delta');
        const cmp = compareTensor(res.delta!, await readNpy(path.join(c.dir, c.json.delta)), 0, c.json.atol_delta ?? 1e-5);
        assert.ok(cmp.ok, `delta: ${cmp.message}`);
      }
    });
  }
  if (split === 'always')
    after(() => {
      // The split path must have been taken, not only its fallback (small models have few cuts).
      assert.ok(planned >= 8, `${planned} cases had a split plan`);
    });
});
