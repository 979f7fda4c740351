/** Quick picks for "Explain Layer": a model (workspace files, the demo, or Browse…), then a layer of it. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isCancellation } from './engineClient';
import { type LayerPickItem, layerPickItems } from './layerPickItems';
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

type LayerItem = LayerPickItem & vscode.QuickPickItem;

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
    qp.items = layerPickItems(loaded.layers, loaded.roots, loaded.values);
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
