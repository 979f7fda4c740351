import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { exportFolder } from '../../../src/host/paths';

describe('exportFolder (where Export PNG / .npy opens its save dialog)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'll-export-'));
  const base = { modelPath: '/data/checkpoints/resnet/model.onnx', isDemo: false, home: '/home/u' };

  it('the workspace folder holding the model, not the model folder', () => {
    assert.equal(exportFolder({ ...base, modelWorkspaceFolder: '/work/proj', firstWorkspaceFolder: '/work/other' }), '/work/proj');
  });

  it('a model opened from outside the workspace: the first workspace folder', () => {
    assert.equal(exportFolder({ ...base, firstWorkspaceFolder: '/work/proj' }), '/work/proj');
  });

  it('the folder of the last export first, while it exists', () => {
    assert.equal(exportFolder({ ...base, lastExport: tmp, modelWorkspaceFolder: '/work/proj' }), tmp);
    assert.equal(exportFolder({ ...base, lastExport: path.join(tmp, 'gone'), modelWorkspaceFolder: '/work/proj' }), '/work/proj');
  });

  it('no workspace: the model folder, or home for the bundled demo (its folder is the extension install)', () => {
    assert.equal(exportFolder(base), '/data/checkpoints/resnet');
    assert.equal(exportFolder({ ...base, isDemo: true }), '/home/u');
  });
});
