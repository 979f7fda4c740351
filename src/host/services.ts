/** What the host's surfaces share: created once in activate() and handed to each module. */
import * as vscode from 'vscode';
import type { EngineClient } from './engineClient';
import type { RunGate } from './runGate';

export interface Services {
  readonly context: vscode.ExtensionContext;
  readonly engine: EngineClient;
  readonly gate: RunGate;
  readonly log: vscode.LogOutputChannel;
  /** media/demo/fashion_mnist_cnn.onnx */
  readonly demoModel: vscode.Uri;
  /** media/ and dist/webview/ of the extension */
  readonly mediaRoot: vscode.Uri;
  readonly webviewRoot: vscode.Uri;
  /** Shows a layer in the sidebar tree (set by the tree view once it exists). */
  revealLayer?: (model: vscode.Uri, layerId: string) => void;
}

export function createServices(context: vscode.ExtensionContext, engine: EngineClient, gate: RunGate, log: vscode.LogOutputChannel): Services {
  return {
    context,
    engine,
    gate,
    log,
    demoModel: vscode.Uri.joinPath(context.extensionUri, 'media', 'demo', 'fashion_mnist_cnn.onnx'),
    mediaRoot: vscode.Uri.joinPath(context.extensionUri, 'media'),
    webviewRoot: vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview'),
  };
}

/** Folders whose files the inspector may read without the user picking them in a dialog. */
export function allowedRoots(s: Services): string[] {
  return [...(vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath), s.mediaRoot.fsPath];
}

export function isDemoModel(s: Services, model: vscode.Uri): boolean {
  return model.fsPath === s.demoModel.fsPath;
}
