/** Wires the engine client to VS Code: its settings, the LayerLens output channel and crash notices. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { affectsEngineProcess, settings } from './config';
import { EngineClient, EngineNotice, forkLauncher } from './engineClient';
import { S } from './strings';

export function createEngine(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): EngineClient {
  const enginePath = path.join(context.extensionPath, 'dist', 'engine-process.js');
  const client = new EngineClient({
    launcher: forkLauncher(enginePath, (line) => log.info(line)),
    memoryLimitMb: () => settings().engineMemoryLimitMb,
    requestTimeoutMs: () => settings().requestTimeoutSeconds * 1000,
    onNotice: (n) => showNotice(n, log),
    log: (line) => log.info(line),
  });
  context.subscriptions.push(
    { dispose: () => client.dispose() },
    vscode.workspace.onDidChangeConfiguration((e) => {
      // The heap ceiling and timeout are process arguments: take effect with the next process.
      if (affectsEngineProcess(e) && client.pendingCount === 0) client.restart();
    }),
  );
  return client;
}

function showNotice(n: EngineNotice, log: vscode.LogOutputChannel): void {
  log.warn(n.message);
  // Not awaited: a notice must never hold up the request path.
  void vscode.window.showWarningMessage(n.message, S.showLog).then((choice) => {
    if (choice === S.showLog) log.show(true);
  });
}
