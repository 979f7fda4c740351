/** Quick picks for "Explain Layer": a model (workspace files, the demo, or Browse…), then a layer of it. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LayerEntry, ValueSummary } from '../engine/onnx/layerTree';
import { isCancellation } from './engineClient';
import { findWorkspaceModels } from './layerTreeView';
import { Services } from './services';
import { S } from './strings';

interface ModelItem extends vscode.QuickPickItem {
  uri?: vscode.Uri;
  browse?: boolean;
}

export async function pickModel(s: Services): Promise<vscode.Uri | undefined> {
  const models = await findWorkspaceModels();
  const items: ModelItem[] = models.map((uri) => ({
    label: `$(file-binary) ${path.basename(uri.fsPath)}`,
    description: vscode.workspace.asRelativePath(path.dirname(uri.fsPath), (vscode.workspace.workspaceFolders?.length ?? 0) > 1),
    uri,
  }));
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
  items.push({ label: S.demoModel, detail: S.demoModelDetail, uri: s.demoModel });
  items.push({ label: S.browse, detail: S.browseDetail, browse: true });
  const choice = await vscode.window.showQuickPick(items, { title: S.pickModelTitle, placeHolder: S.pickModelPlaceholder, matchOnDescription: true });
  if (!choice) return undefined;
  if (!choice.browse) return choice.uri;
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    title: S.pickModelTitle,
    openLabel: S.openModelLabel,
    filters: { [S.onnxFilter]: ['onnx'] },
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  return picked?.[0];
}

interface LayerItem extends vscode.QuickPickItem {
  id: string;
}

/** Depth-first order with depths, for indentation. */
export function layerItems(layers: LayerEntry[], roots: string[], values: ValueSummary[]): LayerItem[] {
  const byId = new Map(layers.map((l) => [l.id, l]));
  const shapes = new Map(values.map((v) => [v.name, v.shape ? `[${v.shape.map((d) => d ?? '?').join('×')}]` : '']));
  const out: LayerItem[] = [];
  const stack: [string, number][] = [...roots].reverse().map((id) => [id, 0]);
  while (stack.length) {
    const [id, depth] = stack.pop()!;
    const l = byId.get(id);
    if (!l) continue;
    const shape = l.outputs.map((v) => shapes.get(v) ?? '').filter(Boolean).join(' ');
    out.push({
      id: l.id,
      label: `${'\u2003'.repeat(Math.min(depth, 8))}$(${l.kind === 'module' ? 'symbol-class' : 'symbol-method'}) ${l.id}`,
      description: `${l.opTypes.slice(0, 4).join(', ')}${l.opTypes.length > 4 ? ', …' : ''}${shape ? `  → ${shape}` : ''}`,
    });
    for (let i = l.children.length - 1; i >= 0; i--) stack.push([l.children[i], depth + 1]);
  }
  return out;
}

/** Asks for a layer of `model`; undefined when dismissed. Engine errors (a corrupt model…) are shown, one line. */
export async function pickLayer(s: Services, model: vscode.Uri): Promise<string | undefined> {
  const name = path.basename(model.fsPath);
  const qp = vscode.window.createQuickPick<LayerItem>();
  qp.title = S.pickModelTitle;
  qp.placeholder = S.pickLayerPlaceholder(name);
  qp.matchOnDescription = true;
  qp.busy = true;
  qp.show();
  const cts = new vscode.CancellationTokenSource();
  const hidden = new Promise<undefined>((resolve) => qp.onDidHide(() => resolve(undefined)));
  try {
    const tree = s.engine.modelTree(model.fsPath, { token: cts.token, supersedeKey: 'layerPicker' });
    const loaded = await Promise.race([tree, hidden]);
    if (!loaded) return undefined;
    qp.items = layerItems(loaded.layers, loaded.roots, loaded.values);
    qp.busy = false;
    const accepted = new Promise<string | undefined>((resolve) => qp.onDidAccept(() => resolve(qp.selectedItems[0]?.id)));
    return await Promise.race([accepted, hidden]);
  } catch (e) {
    if (!isCancellation(e)) void vscode.window.showErrorMessage(S.modelError(name, (e as Error).message));
    return undefined;
  } finally {
    cts.cancel();
    cts.dispose();
    qp.dispose();
  }
}
