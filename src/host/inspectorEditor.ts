/**
 * The read-only custom editor (`layerlens.inspector`, priority "default"): opening an .onnx file (a click in the
 * Explorer) shows the inspector, not megabytes of protobuf as text; the text editor stays under Open With….
 */
import * as vscode from 'vscode';
import { InspectorPanel } from './inspectorPanel';
import { Services } from './services';

const EDITOR_VIEW_TYPE = 'layerlens.inspector';

class ModelDocument implements vscode.CustomDocument {
  constructor(readonly uri: vscode.Uri) {}
  dispose(): void {
    // Nothing held: the engine process owns the parsed model.
  }
}

class InspectorEditorProvider implements vscode.CustomReadonlyEditorProvider<ModelDocument> {
  constructor(private readonly s: Services) {}

  openCustomDocument(uri: vscode.Uri): ModelDocument {
    return new ModelDocument(uri);
  }

  resolveCustomEditor(document: ModelDocument, panel: vscode.WebviewPanel): void {
    InspectorPanel.attach(this.s, panel, document.uri);
  }
}

export function registerInspectorEditor(s: Services): void {
  s.context.subscriptions.push(
    vscode.window.registerCustomEditorProvider(EDITOR_VIEW_TYPE, new InspectorEditorProvider(s), {
      webviewOptions: { retainContextWhenHidden: false },
      supportsMultipleEditorsPerDocument: true,
    }),
  );
}
