/** Shared helpers for the extension-host suites: the activated API, the fixture workspace, polling. */
import * as path from 'path';
import * as vscode from 'vscode';
import type { LayerLensApi } from '../../../src/host/extension';

export const EXTENSION_ID = 'layerlens.layerlens';

export async function api(): Promise<LayerLensApi> {
  const ext = vscode.extensions.getExtension<LayerLensApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not loaded`);
  return ext.isActive ? ext.exports : ext.activate();
}

export function workspaceRoot(): string {
  const f = vscode.workspace.workspaceFolders?.[0];
  if (!f) throw new Error('the host tests need the fixture workspace open (test/vscode-host/workspace)');
  return f.uri.fsPath;
}

export function wsFile(...parts: string[]): vscode.Uri {
  return vscode.Uri.file(path.join(workspaceRoot(), ...parts));
}

export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== null && (v as unknown) !== false) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The tab of a LayerLens inspector panel with this label, once window.tabGroups shows it. */
export function findInspectorTab(label: string): vscode.Tab | undefined {
  for (const g of vscode.window.tabGroups.all)
    for (const t of g.tabs) if (t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('layerlens.inspectorPanel') && t.label === label) return t;
  return undefined;
}

export async function closeAllEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

let nextId = 1_000_000;
/** A request id far above the webview's own, so a live webview ignores our replies. */
export function requestId(): number {
  return nextId++;
}

/**
 * Replaces the inspector's page with an empty one, so the real webview UI cannot send requests of its own
 * while a test drives the protocol (its requests would supersede the test's: one panel, one attribution).
 */
export async function silenceWebview(panel: { panel: vscode.WebviewPanel }): Promise<void> {
  panel.panel.webview.html = '<!DOCTYPE html><html><body></body></html>';
  await new Promise((r) => setTimeout(r, 200));
}
