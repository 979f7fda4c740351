/**
 * Workspace Trust: in Restricted Mode the layer tree can be browsed (it only parses the model), but running
 * a model asks first, once per session (a modal), because it executes the file with onnxruntime.
 */
import * as vscode from 'vscode';
import { S } from './strings';

export class RunGate {
  private consented = false;
  private asking?: Thenable<boolean>;

  /** True when the model may run now; asks (modal) in an untrusted workspace until the user agrees once. */
  async allowRun(): Promise<boolean> {
    if (vscode.workspace.isTrusted || this.consented) return true;
    // Several panels may ask at once: one dialog answers them all.
    this.asking ??= vscode.window
      .showWarningMessage(S.untrustedRun, { modal: true, detail: S.untrustedRunDetail }, S.runAnyway)
      .then((choice) => {
        this.asking = undefined;
        this.consented = choice === S.runAnyway;
        return this.consented;
      });
    return this.asking;
  }
}
