/** The run gate bound to VS Code's Workspace Trust and a modal warning. */
import * as vscode from 'vscode';
import { RunGate } from './runGate';
import { S } from './strings';

export { RunGate };

export function createRunGate(): RunGate {
  return new RunGate({
    isTrusted: () => vscode.workspace.isTrusted,
    ask: () =>
      vscode.window
        .showWarningMessage(S.untrustedRun, { modal: true, detail: S.untrustedRunDetail }, S.runAnyway)
        .then((choice) => choice === S.runAnyway),
  });
}
