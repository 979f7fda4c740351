/**
 * Restores inspector panels after a window reload. The model comes from the webview's saved state
 * (`modelKey`, the URI the host sent in `modelLoaded`); that state is webview data, so the model must be an
 * .onnx file inside the workspace or the extension's media folder, or the panel is not restored.
 */
import * as vscode from 'vscode';
import { InspectorPanel, PANEL_VIEW_TYPE } from './inspectorPanel';
import { isInsideAny, isOnnxFile } from './paths';
import { Services, allowedRoots } from './services';
import { S } from './strings';

/** The model URI a saved webview state names, if any (a few shapes are accepted). */
function modelKeyOf(state: unknown): string | undefined {
  if (!state || typeof state !== 'object') return undefined;
  const st = state as Record<string, unknown>;
  for (const v of [st.modelKey, (st.model as Record<string, unknown> | undefined)?.modelKey, st.modelUri]) if (typeof v === 'string' && v.length < 4096) return v;
  return undefined;
}

export function restorableModel(s: Services, state: unknown): vscode.Uri | undefined {
  const key = modelKeyOf(state);
  if (!key) return undefined;
  let uri: vscode.Uri;
  try {
    uri = vscode.Uri.parse(key, true);
  } catch {
    return undefined;
  }
  if (uri.scheme !== 'file' || !isOnnxFile(uri.fsPath)) return undefined;
  if (!isInsideAny(uri.fsPath, allowedRoots(s))) {
    s.log.warn(S.modelOutsideRoots(uri.fsPath));
    return undefined;
  }
  return uri;
}

export function registerInspectorSerializer(s: Services): void {
  s.context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
        const model = restorableModel(s, state);
        if (!model) {
          panel.dispose();
          return;
        }
        InspectorPanel.attach(s, panel, model);
      },
    }),
  );
}
