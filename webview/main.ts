/**
 * The inspector webview's entry point (bundled by scripts/build.mjs into dist/webview/main.js + main.css).
 * The host page needs only: main.css, optionally codicon.css (`<link id="vscode-codicon-stylesheet">`),
 * and this script; the UI builds itself into `#app` (or a new element at the end of the body).
 */
import './styles.css';
import { App } from './app';
import { pickTransport } from './transport';

function boot(): void {
  let root = document.getElementById('app');
  if (!root) {
    root = document.createElement('div');
    root.id = 'app';
    document.body.append(root);
  }
  new App(root, pickTransport()).start();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot, { once: true });
else boot();
