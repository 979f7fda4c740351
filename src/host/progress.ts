/**
 * Progress for engine work: a status-bar spinner at once, and a cancellable notification when the work
 * outlasts `notifyAfterMs` (a quick layer switch should not flash a toast).
 */
import * as vscode from 'vscode';

export async function withEngineProgress<T>(
  title: string,
  cancel: vscode.CancellationTokenSource,
  run: () => Promise<T>,
  notifyAfterMs = 1500,
): Promise<T> {
  const task = run();
  const quiet = task.then(
    () => undefined,
    () => undefined,
  );
  void vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title }, () => quiet);
  let done = false;
  void quiet.then(() => (done = true));
  const timer = setTimeout(() => {
    if (done) return;
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_progress, token) => {
      token.onCancellationRequested(() => cancel.cancel());
      return quiet;
    });
  }, notifyAfterMs);
  try {
    return await task;
  } finally {
    clearTimeout(timer);
  }
}
