/** The extension activates in a real VS Code host and registers its commands, view and editor. */
import * as assert from 'assert';
import { describe, it } from 'mocha';
import * as vscode from 'vscode';
import { EXTENSION_ID, api } from './helpers';

describe('activation', () => {
  it('activates as a workspace extension and returns its API', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, 'extension present');
    const a = await api();
    assert.ok(ext.isActive);
    assert.ok(a.engine && a.tree && a.services);
    assert.strictEqual(ext.extensionKind, vscode.ExtensionKind.Workspace);
  });

  it('registers its commands', async () => {
    await api();
    const all = await vscode.commands.getCommands(true);
    for (const c of ['layerlens.explainLayer', 'layerlens.openDemo', 'layerlens.refreshModels']) assert.ok(all.includes(c), `${c} registered`);
  });

  it('contributes the view, the custom editor, the Explorer menu and the settings', () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      contributes: {
        views: Record<string, { id: string }[]>;
        customEditors: { viewType: string; priority: string }[];
        menus: Record<string, { command: string; when?: string }[]>;
      };
    };
    assert.ok(pkg.contributes.views.layerlens.some((v) => v.id === 'layerlens.models'));
    assert.deepStrictEqual(
      pkg.contributes.customEditors.map((e) => [e.viewType, e.priority]),
      [['layerlens.inspector', 'default']],
    );
    const explorer = pkg.contributes.menus['explorer/context'].find((m) => m.command === 'layerlens.explainLayer');
    assert.strictEqual(explorer?.when, 'resourceExtname == .onnx');
    const cfg = vscode.workspace.getConfiguration('layerlens');
    assert.strictEqual(cfg.get('executionProvider'), 'auto');
    assert.strictEqual(cfg.get('topK'), 5);
    assert.strictEqual(cfg.get('engineMemoryLimitMb'), 4096);
    assert.strictEqual(cfg.get('requestTimeoutSeconds'), 120);
    assert.strictEqual(cfg.get('threads'), 0);
  });
});
