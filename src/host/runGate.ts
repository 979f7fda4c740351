/**
 * Workspace Trust: in Restricted Mode the layer tree can be browsed (it only parses the model), but running
 * a model asks first, once per session (a modal), because it executes the file with onnxruntime.
 * Pure logic (no `vscode` import): the editor's trust state and dialog are passed in.
 */
export interface RunGateDeps {
  isTrusted(): boolean;
  /** Shows the modal question; resolves true when the user chose to run anyway. */
  ask(): PromiseLike<boolean>;
}

export class RunGate {
  private consented = false;
  private asking?: PromiseLike<boolean>;

  constructor(private readonly deps: RunGateDeps) {}

  /** True when the model may run now; asks in an untrusted workspace until the user agrees once. */
  async allowRun(): Promise<boolean> {
    if (this.deps.isTrusted() || this.consented) return true;
    // Several panels may ask at once: one dialog answers them all.
    this.asking ??= this.deps.ask().then((yes) => {
      this.asking = undefined;
      this.consented = yes;
      return yes;
    });
    return this.asking;
  }
}
