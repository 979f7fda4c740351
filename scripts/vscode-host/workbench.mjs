// Playwright helpers for driving the code-server workbench (VS Code 1.100.3) in UI end-to-end tests.
// Selectors verified in shared/vscode-host.md. Typical use:
//
//   import { startCodeServer, launchBrowser } from './server.mjs';
//   import * as wb from './workbench.mjs';
//   const server = await startCodeServer({ workspace });
//   const browser = await launchBrowser();
//   const { page } = await wb.openWorkbench(browser, server, { extensionDevelopmentPath: '/abs/ext' });
//   await wb.waitForActivityBarItem(page, 'LayerLens');            // extension contributions are registered
//   await wb.runCommand(page, 'LayerLens: Open');                  // F1 palette
//   await wb.webviewContent(page).locator('#app').waitFor();       // inside the webview
//   await wb.treeRows(page, 'layerlensContainer').first().waitFor();
//   await wb.explorerContextMenu(page, 'model.onnx', 'LayerLens: Inspect ONNX Model');
//   await wb.waitForNotification(page, 'Inspected');
import { format } from 'node:util';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const escapeCss = (s) => String(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"');
const escapeRe = (s) => String(s).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** vscode-remote URI of an absolute path on the server machine (for payload entries). */
export function remoteUri(server, absPath) {
  const authority = server.authority ?? new URL(server.baseUrl ?? server).host;
  return `vscode-remote://${authority}${absPath}`;
}

/**
 * Workbench URL that opens `folder` (default: the server's workspace) and, optionally, loads an unpacked
 * extension (extensionDevelopmentPath) and runs its tests module (extensionTestsPath).
 */
export function workbenchUrl(server, { folder, extensionDevelopmentPath, extensionTestsPath, payload = [] } = {}) {
  const entries = [...payload];
  if (extensionDevelopmentPath) entries.push(['extensionDevelopmentPath', remoteUri(server, extensionDevelopmentPath)]);
  if (extensionTestsPath) entries.push(['extensionTestsPath', remoteUri(server, extensionTestsPath)]);
  let url = `${server.baseUrl}/?folder=${encodeURIComponent(folder ?? server.workspace)}`;
  if (entries.length) url += `&payload=${encodeURIComponent(JSON.stringify(entries))}`;
  return url;
}

// ------------------------------------------------------------------ console forwarding

// Workbench (renderer) log lines share the forwarded extension-host format; these are the workbench's own.
export const WORKBENCH_NOISE = [
  /^Resolving connection token/,
  /^Resolved connection token/,
  /^Creating a socket/,
  /^\[Service Worker\]/,
  /^Updating additional builtin extensions cache/,
  /^ChatSessionStore:/,
  /ENOTFOUND (open-vsx\.org|mobile\.events\.data\.microsoft\.com|marketplace)/,
  /^An unknown error occurred/,
  /^Started local extension host/,
  /^\[remote-connection\]/,
  /^Extension host \(.*\) is unresponsive/,
  /^Overwriting extension <</,
  /^Found unexpected service worker controller/,
  /^Failed to load resource: the server responded with a status of 404/,
  /^The web worker extension host is started in a same-origin iframe/,
  /^An iframe which has both allow-scripts and allow-same-origin/,
  /^\[Extension Host\] debugger listening/i,
  /^Creation of workbench contribution .* took \d+ms/,
];

export function isWorkbenchNoise(text) {
  return WORKBENCH_NOISE.some((re) => re.test(text));
}

/**
 * Decodes a Playwright console message. Log lines from the workbench and from the remote extension host
 * (console.* of extensions and tests, including mocha's reporter) arrive as ['%c INFO', 'color: #33f', fmt, ...args];
 * they come back as { level: 'INFO'|'WARN'|'ERR'|..., text: util.format(fmt, ...args), forwarded: true }.
 * Anything else (the browser's own messages) as { level: msg.type(), text: msg.text(), forwarded: false }.
 */
export async function decodeConsoleMessage(msg) {
  const handles = msg.args();
  if (handles.length >= 2) {
    let first;
    try {
      first = await handles[0].jsonValue();
    } catch {
      first = undefined;
    }
    const m = typeof first === 'string' && /^%c\s*([A-Z]+)\s*$/.exec(first);
    if (m) {
      let rest;
      try {
        rest = await Promise.all(handles.slice(2).map((h) => h.jsonValue()));
      } catch {
        rest = null; // page navigated or closed: fall back to the flat text
      }
      const text = rest ? format(...rest) : msg.text().replace(/^%c\s*[A-Z]+\s+color:\s*#\w+\s*/, '');
      return { level: m[1], text, forwarded: true };
    }
  }
  return { level: msg.type(), text: msg.text(), forwarded: false };
}

/**
 * Calls onLine(text, {level, forwarded}) for console lines of the page. By default only the decoded log lines
 * that are not workbench noise (i.e. extension-host output); { all: true } passes everything.
 * Lines keep their order. Returns a function that detaches the listener.
 */
export function attachConsole(page, onLine, { all = false } = {}) {
  let chain = Promise.resolve();
  const handler = (msg) => {
    const decoded = decodeConsoleMessage(msg);
    chain = chain.then(async () => {
      const d = await decoded;
      if (!all && (!d.forwarded || isWorkbenchNoise(d.text))) return;
      const prefix = d.level === 'INFO' || d.level === 'log' ? '' : `[${d.level}] `;
      for (const line of d.text.split('\n')) onLine(prefix + line, d);
    });
  };
  page.on('console', handler);
  const detach = () => page.off('console', handler);
  detach.flushed = () => chain;
  return detach;
}

// ------------------------------------------------------------------ workbench

/**
 * Opens a new browser context + page on the workbench and waits for `.monaco-workbench`.
 * opts: folder, extensionDevelopmentPath, extensionTestsPath, payload, viewport ({1400x900}),
 *       beforeGoto(page) (e.g. exposeFunction), timeout (ms, 60000), console: onLine callback for attachConsole
 */
export async function openWorkbench(browser, server, opts = {}) {
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1400, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(opts.timeout ?? 30_000);
  if (opts.console) attachConsole(page, opts.console);
  if (opts.beforeGoto) await opts.beforeGoto(page);
  await page.goto(workbenchUrl(server, opts), { timeout: opts.timeout ?? 60_000 });
  await page.locator('.monaco-workbench').waitFor({ timeout: opts.timeout ?? 60_000 });
  return { context, page };
}

/** Activity-bar entry of a view container; `title` is the viewsContainer title (built-ins carry a keybinding suffix). */
export function activityBarItem(page, title) {
  return page.locator(`.activitybar .action-item a.action-label[aria-label="${escapeCss(title)}"]`);
}

/**
 * THE wait before using commands: the workbench renders 1-2 s before the remote extension host has registered
 * contributions; an activity-bar item of your own viewsContainer means they are in.
 */
export async function waitForActivityBarItem(page, title, { timeout = 60_000 } = {}) {
  const item = activityBarItem(page, title);
  await item.waitFor({ state: 'visible', timeout });
  return item;
}

/**
 * Shows a view container (`contributes.viewsContainers.activitybar[].id` + its title) by clicking its
 * activity-bar item unless it is already the visible one (a second click would collapse the side bar).
 * Returns the container's locator.
 */
export async function openViewContainer(page, title, containerId) {
  const item = await waitForActivityBarItem(page, title);
  const view = page.locator(`[id="workbench.view.extension.${escapeCss(containerId)}"]`);
  if (await view.isVisible()) return view;
  await item.click();
  await view.waitFor({ state: 'visible' });
  return view;
}

const quickInput = (page) => page.locator('.quick-input-widget input[type="text"]');

/**
 * Runs a command from the F1 palette by its title as shown there ("Category: Title").
 * Retries while the palette says "No matching commands" (the extension host may still be registering).
 */
export async function runCommand(page, title, { timeout = 30_000 } = {}) {
  const deadline = Date.now() + timeout;
  const exact = new RegExp(`^\\s*${escapeRe(title)}\\s*$`);
  for (;;) {
    const input = quickInput(page);
    if (!(await input.isVisible())) {
      await page.keyboard.press('F1');
      await input.waitFor({ state: 'visible', timeout: Math.max(1000, deadline - Date.now()) });
    }
    await input.fill(`>${title}`);
    const rows = page.locator('.quick-input-list .monaco-list-row');
    const row = rows.filter({ has: page.locator('.label-name', { hasText: exact }) }).first();
    const fallback = rows.filter({ hasText: title }).first();
    const end = Math.min(deadline, Date.now() + 3000);
    while (Date.now() < end) {
      if (await row.isVisible()) {
        await row.click();
        return;
      }
      await sleep(100);
    }
    if (await fallback.isVisible()) {
      await fallback.click();
      return;
    }
    if (Date.now() >= deadline) {
      await page.keyboard.press('Escape');
      throw new Error(`runCommand: "${title}" did not appear in the command palette within ${timeout} ms`);
    }
    await page.keyboard.press('Escape'); // the list does not refresh by itself: reopen
    await sleep(300);
  }
}

/**
 * FrameLocator for the content of a webview (two nested iframes: the host `pre/index.html`, then `#active-frame`).
 * `which`: 'last' (default, the most recently created), 'first', or an index.
 */
export function webviewContent(page, which = 'last') {
  const hosts = page.frameLocator('iframe.webview.ready');
  const host = which === 'first' ? hosts.first() : typeof which === 'number' ? hosts.nth(which) : hosts.last();
  return host.frameLocator('iframe#active-frame');
}

/** Editor tab with this label (e.g. the webview panel title). */
export function editorTab(page, label) {
  return page.locator('.tabs-container .tab', { hasText: label });
}

/** Rows of the tree views in an extension view container (`contributes.viewsContainers.*[].id`). */
export function treeRows(page, containerId) {
  return page.locator(`[id="workbench.view.extension.${escapeCss(containerId)}"] .monaco-list-row`);
}

/** One tree row by its label text. */
export function treeItem(page, containerId, label) {
  return treeRows(page, containerId).filter({ hasText: label });
}

/** Explorer row of a file or folder; its aria-label starts with the name. */
export function explorerRow(page, name) {
  return page.locator(`.explorer-folders-view .monaco-list-row[aria-label^="${escapeCss(name)}"]`);
}

/** Focuses the Explorer (Ctrl+Shift+E) and waits for its rows. */
export async function focusExplorer(page) {
  await page.keyboard.press('Control+Shift+E');
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ state: 'visible' });
}

/**
 * Right-clicks a file in the Explorer and clicks a context-menu item (matched by its label text).
 * Returns after the click; the menu is gone then.
 */
export async function explorerContextMenu(page, fileName, itemText, { screenshotPath } = {}) {
  const row = explorerRow(page, fileName).first();
  if (!(await row.isVisible())) await focusExplorer(page);
  await row.waitFor({ state: 'visible' });
  await row.click({ button: 'right' });
  // CSS locators pierce open shadow roots, so this works whether or not the menu lives in one.
  const item = page.locator('.monaco-menu .action-item .action-label', { hasText: itemText }).first();
  await item.waitFor({ state: 'visible' });
  if (screenshotPath) {
    await sleep(300); // the menu fades in
    await page.screenshot({ path: screenshotPath });
  }
  await item.click();
}

/** Waits for a notification toast whose message contains `text`; returns its locator. */
export async function waitForNotification(page, text, { timeout = 30_000 } = {}) {
  const toast = page.locator('.notifications-toasts .notification-list-item-message', { hasText: text }).first();
  await toast.waitFor({ state: 'visible', timeout });
  return toast;
}

/** Window title, e.g. "[Extension Development Host] ws - code-server". */
export function windowTitle(page) {
  return page.title();
}
