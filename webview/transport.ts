/**
 * How the webview reaches its host. In VS Code that is `acquireVsCodeApi()`; a test page installs its own
 * transport as `window.layerLensTransport` before the bundle loads and drives the UI with a fake host.
 */
import type { WebviewToHostMessage } from '../src/shared/protocol';

export interface Transport {
  postMessage(msg: WebviewToHostMessage, transfer?: Transferable[]): void;
  onMessage(handler: (msg: unknown) => void): void;
  getState(): unknown;
  setState(state: unknown): void;
}

interface VsCodeApi {
  postMessage(msg: unknown, transfer?: Transferable[]): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare global {
  interface Window {
    layerLensTransport?: Transport;
  }
  // Provided by VS Code inside webviews; may be called once.
  function acquireVsCodeApi(): VsCodeApi;
}

function vscodeTransport(api: VsCodeApi): Transport {
  return {
    postMessage: (msg, transfer) => (transfer?.length ? api.postMessage(msg, transfer) : api.postMessage(msg)),
    onMessage: (handler) => window.addEventListener('message', (e: MessageEvent) => handler(e.data)),
    getState: () => api.getState(),
    setState: (s) => api.setState(s),
  };
}

/** Outside VS Code and without a test transport: nothing answers, state lives for the page. */
function detachedTransport(): Transport {
  let state: unknown;
  return {
    postMessage: () => undefined,
    onMessage: () => undefined,
    getState: () => state,
    setState: (s) => (state = s),
  };
}

export function pickTransport(): Transport {
  if (window.layerLensTransport) return window.layerLensTransport;
  if (typeof acquireVsCodeApi === 'function') return vscodeTransport(acquireVsCodeApi());
  return detachedTransport();
}
