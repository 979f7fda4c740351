/**
 * Workspace Trust: in Restricted Mode the layer tree can be browsed (it only parses the model), but running
 * a model asks first, once per session (a modal), because it executes the file with onnxruntime.
 * Pure logic (no `vscode` import): the editor's trust state and dialog are passed in.
 */
export interface RunGateDeps {
  isTrusted(): boolean;
  /** Shows the modal question; resolves true when the user chose to run anyway. */
  ask(): PromiseLike<boolean>;
  /** Milliseconds clock (tests pass their own). */
  now?(): number;
}

/**
 * How long a "Cancel" also answers the requests that follow it without a new action of the user: picking an
 * input asks for predictions and, right after they fail, for the attribution — one dialog, not two.
 */
export const DECLINE_HOLD_MS = 1500;

export class RunGate {
  private consented = false;
  private asking?: PromiseLike<boolean>;
  private declinedAt = -Infinity;

  constructor(private readonly deps: RunGateDeps) {}

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /** True when the model may run now; asks in an untrusted workspace until the user agrees once. */
  async allowRun(): Promise<boolean> {
    if (this.deps.isTrusted() || this.consented) return true;
    if (this.now() - this.declinedAt < DECLINE_HOLD_MS) return false;
    // Several panels may ask at once: one dialog answers them all.
    this.asking ??= this.deps.ask().then((yes) => {
      this.asking = undefined;
      this.consented = yes;
      if (!yes) this.declinedAt = this.now();
      return yes;
    });
    return this.asking;
  }
}
