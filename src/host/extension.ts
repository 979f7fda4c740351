/** LayerLens' entry point: wires the engine, the sidebar, the commands, the custom editor and the panels. */
import * as vscode from 'vscode';
import { EngineClient } from './engineClient';
import { createEngine } from './engineService';
import { registerExplainLayer } from './explainLayer';
import { registerInspectorEditor } from './inspectorEditor';
import { InspectorPanel } from './inspectorPanel';
import { registerInspectorSerializer } from './inspectorSerializer';
import { LayerTreeProvider, registerLayerTree } from './layerTreeView';
import { Services, createServices } from './services';
import { S } from './strings';
import { createRunGate } from './trust';

/** What activate() returns: for the extension-host tests (and other extensions), not a stable API. */
export interface LayerLensApi {
  engine: EngineClient;
  tree: LayerTreeProvider;
  services: Services;
  inspectors: () => readonly InspectorPanel[];
}

export function activate(context: vscode.ExtensionContext): LayerLensApi {
  const log = vscode.window.createOutputChannel(S.outputChannel, { log: true });
  context.subscriptions.push(log);
  const engine = createEngine(context, log);
  const services = createServices(context, engine, createRunGate(), log);
  const { provider } = registerLayerTree(services);
  registerExplainLayer(services);
  registerInspectorEditor(services);
  registerInspectorSerializer(services);
  return { engine, tree: provider, services, inspectors: () => InspectorPanel.all };
}

export function deactivate(): void {
  // Everything is in context.subscriptions (the engine process is stopped there).
}
