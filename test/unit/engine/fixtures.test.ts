/** Every Captum reference case runs through the real engine (ONNX → backward graph → onnxruntime). */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test, after } from 'node:test';
import { LayerLensError } from '../../../src/engine/errors';
import { ModelSession } from '../../../src/engine/modelSession';
import { readNpy } from '../../../src/engine/tensor/npy';
import { compareTensor, fixtureRequest, listCases } from '../../support/fixtures';

const sessions = new Map<string, Promise<ModelSession>>();
const open = (p: string) => {
  let s = sessions.get(p);
  if (!s) sessions.set(p, (s = ModelSession.open(p)));
  return s;
};
after(async () => {
  for (const s of sessions.values()) await (await s).dispose();
});

describe('Captum reference cases (LayerGradientXActivation and the other layer methods)', () => {
  for (const c of listCases()) {
    test(`${c.id}: ${c.json.note ?? ''}`, async () => {
      const req = await fixtureRequest(c);
      if (c.json.expect_error) {
        await assert.rejects(
          async () => (await open(c.modelPath)).attribute(req),
          (e: unknown) => e instanceof LayerLensError && !e.message.includes('\n'),
          `expected a clean error: ${c.json.expect_error}`,
        );
        return;
      }
      const session = await open(c.modelPath);
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
});
