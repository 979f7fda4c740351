/**
 * "LayerLens: Explain Layer": from the palette (active model, else a quick pick), the Explorer context menu
 * (a Uri), the sidebar tree (a model or layer node) or code (Uri or path, plus a layer id). Picks a layer
 * when none was given, then opens the inspector on it. Also "Open the Demo Model".
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { InspectorPanel } from './inspectorPanel';
import { isTreeNode } from './layerTreeView';
import { isOnnxFile } from './paths';
import { pickLayer, pickModel } from './pickers';
import { Services } from './services';
import { S } from './strings';

const DEMO_LAYER = 'features.conv3';

/** What the command was invoked on: a model and maybe a layer. */
function targetOf(arg: unknown, arg2: unknown): { model?: vscode.Uri; layer?: string } {
  const layer = typeof arg2 === 'string' ? arg2 : undefined;
  if (arg instanceof vscode.Uri) return { model: arg, layer };
  if (typeof arg === 'string' && path.isAbsolute(arg)) return { model: vscode.Uri.file(arg), layer };
  if (isTreeNode(arg) && arg.kind !== 'message') return { model: arg.uri, layer: arg.kind === 'layer' ? arg.layer.id : undefined };
  return {};
}

/** The model the user is looking at: an .onnx custom editor tab or an inspector panel. */
function activeModel(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputCustom && isOnnxFile(input.uri.path)) return input.uri;
  if (input instanceof vscode.TabInputWebview) return InspectorPanel.active?.modelUri;
  return undefined;
}

export async function explainLayer(s: Services, arg?: unknown, arg2?: unknown): Promise<InspectorPanel | undefined> {
  let { model, layer } = targetOf(arg, arg2);
  model ??= activeModel() ?? (await pickModel(s));
  if (!model) return undefined;
  if (model.scheme !== 'file') {
    void vscode.window.showErrorMessage(S.notLocal(model.toString()));
    return undefined;
  }
  if (!isOnnxFile(model.fsPath)) {
    void vscode.window.showErrorMessage(S.notAModel(model.fsPath));
    return undefined;
  }
  layer ??= await pickLayer(s, model);
  if (!layer) return undefined;
  return InspectorPanel.show(s, model, layer);
}

export function registerExplainLayer(s: Services): void {
  s.context.subscriptions.push(
    vscode.commands.registerCommand('layerlens.explainLayer', (arg?: unknown, arg2?: unknown) => explainLayer(s, arg, arg2)),
    vscode.commands.registerCommand('layerlens.openDemo', () => InspectorPanel.show(s, s.demoModel, DEMO_LAYER)),
  );
}
