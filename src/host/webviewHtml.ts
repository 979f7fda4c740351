/** The inspector's HTML shell: a strict CSP with a fresh nonce per render, the bundled script and styles. Pure. */
import { randomBytes } from 'node:crypto';

export interface ShellOptions {
  /** `webview.cspSource` */
  cspSource: string;
  scriptUri: string;
  /** Stylesheets in order; `id` lets the page find one (codicons: `vscode-codicon-stylesheet`). */
  styles: { href: string; id?: string }[];
  title: string;
  nonce?: string;
}

function newNonce(): string {
  return randomBytes(18).toString('base64').replace(/[+/=]/g, '');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource} data: blob:`,
    `font-src ${cspSource}`,
  ].join('; ');
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function inspectorHtml(o: ShellOptions): string {
  const nonce = o.nonce ?? newNonce();
  const styles = o.styles
    .map((st) => `  <link rel="stylesheet" nonce="${nonce}"${st.id ? ` id="${escapeAttr(st.id)}"` : ''} href="${escapeAttr(st.href)}">`)
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${escapeAttr(contentSecurityPolicy(o.cspSource, nonce))}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <meta name="layerlens-nonce" content="${nonce}">
${styles}
  <title>${escapeAttr(o.title)}</title>
</head>
<body>
  <div id="app"></div>
  <script nonce="${nonce}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>`;
}
