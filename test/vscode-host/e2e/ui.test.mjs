// UI end-to-end tests of LayerLens in a real VS Code: code-server 4.100.3 (VS Code 1.100.3) driven by Playwright
// through Debian's Chromium (scripts/vscode-host/, shared/vscode-host.md). Offline.
//
//   node --test test/vscode-host/e2e/ui.test.mjs        (or: node scripts/vscode-host/e2e.mjs, which also builds,
//                                                        packages the VSIX and runs the extension-host tests)
//
// Needs: bash scripts/vscode-host/install.sh; dist/ built (node scripts/build.mjs). The VSIX test packages
// dist/layerlens-<version>-<platform>.vsix itself when there is none newer than dist/ (or set LAYERLENS_VSIX).
// Env: LAYERLENS_UPDATE_SCREENSHOT=1 copies the README screenshot (taken in the VSIX test) to media/screenshot.png;
//      LAYERLENS_E2E_EXTENSION=<dir> loads the unpacked extension from there instead of this checkout;
//      LAYERLENS_E2E_RESNET=1 adds the ResNet-18 timing test (bench/models/resnet18.onnx; about 25 s more).
// Writes test-results/e2e/*.png (screenshots; FAIL-*.png when a test fails) and test-results/e2e/timings.json.
//
// One code-server serves every test that loads the extension from this checkout; each test opens its own
// browser context (a fresh workbench window: its own webview state and workspace memento, so each test picks its
// input itself). The VSIX test needs a fresh extensions dir, so it starts a second server with it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { installVsix, launchBrowser, startCodeServer } from '../../../scripts/vscode-host/server.mjs';
import * as wb from '../../../scripts/vscode-host/workbench.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The unpacked extension the development-path tests load (a built copy elsewhere can be tested too). */
const EXTENSION = path.resolve(process.env.LAYERLENS_E2E_EXTENSION ?? REPO);
const RESULTS = path.join(REPO, 'test-results', 'e2e');
const PKG = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
const DEMO = path.join(REPO, 'media', 'demo');
const SMALL_CNN = path.join(REPO, 'test', 'data', 'fixtures', 'lgxa', 'models', 'small_cnn.onnx');
const SMALL_CNN_LOCAL = path.join(REPO, 'test', 'vscode-host', 'workspace', 'models', 'small_cnn.onnx');
const RESNET = path.join(REPO, 'bench', 'models', 'resnet18.onnx');
const ROLES = path.join(REPO, 'test', 'data', 'model_roles');
const MODEL = 'fashion_mnist_cnn.onnx';
const IMAGE = 'ankle-boot.png';
const CONTAINER = 'layerlens'; // contributes.viewsContainers.activitybar[].id
const CONTAINER_TITLE = 'LayerLens';
const TAB = `LayerLens: ${MODEL}`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const timings = {};

let server;
let browser;
let ws;

/** A fresh workspace: a copy of the demo model (not the bundled one: no default input, so the tests pick it), a sample image, and a second model. */
function makeWorkspace() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'layerlens-e2e-ws-'));
  fs.copyFileSync(path.join(DEMO, MODEL), path.join(dir, MODEL));
  fs.copyFileSync(path.join(DEMO, 'samples', '0_ankle-boot.png'), path.join(dir, IMAGE));
  const small = [SMALL_CNN, SMALL_CNN_LOCAL].find((f) => fs.existsSync(f));
  if (small) fs.copyFileSync(small, path.join(dir, 'small_cnn.onnx'));
  return dir;
}

function requireBuilt() {
  for (const f of ['dist/extension.js', 'dist/engine-process.js', 'dist/webview/main.js']) {
    if (!fs.existsSync(path.join(EXTENSION, f))) throw new Error(`${f} is missing: run node scripts/build.mjs first`);
  }
}

// ---------------------------------------------------------------------------------------------- helpers

/** Opens a workbench window with the extension from this checkout and waits until its contributions are in. */
async function openWindow(srv = server, { dev = true, name, folder } = {}) {
  const { context, page } = await wb.openWorkbench(browser, srv, { folder, ...(dev ? { extensionDevelopmentPath: EXTENSION } : {}) });
  page.setDefaultTimeout(30_000);
  await wb.waitForActivityBarItem(page, CONTAINER_TITLE); // the extension host has registered LayerLens
  return { context, page, name };
}

/** Runs `body(page)` in a fresh window; a screenshot on failure; the window is closed afterwards. */
async function inWindow(name, body, opts = {}) {
  const win = await openWindow(opts.server, { ...opts, name });
  try {
    await body(win.page);
  } catch (e) {
    await win.page.screenshot({ path: path.join(RESULTS, `FAIL-${name}.png`) }).catch(() => undefined);
    throw e;
  } finally {
    await win.context.close().catch(() => undefined);
  }
}

/** Right-clicks `target` and clicks the context-menu item `text` (menus fade in and ignore a too-early click). */
async function contextMenu(page, target, text, { screenshot } = {}) {
  await target.click({ button: 'right' });
  const item = page.locator('.monaco-menu .action-item .action-label', { hasText: text }).first();
  await item.waitFor({ state: 'visible' });
  await sleep(300);
  if (screenshot) await page.screenshot({ path: path.join(RESULTS, `${screenshot}.png`) });
  for (let i = 0; i < 3; i++) {
    await item.click();
    try {
      await item.waitFor({ state: 'hidden', timeout: 1000 });
      return;
    } catch {
      // still open: the click came too early; again
    }
  }
  throw new Error(`the context-menu item "${text}" did not react`);
}

const quickInput = (page) => page.locator('.quick-input-widget input[type="text"]');
const quickRows = (page) => page.locator('.quick-input-widget .quick-input-list .monaco-list-row');

/** Picks the quick-pick row whose label is `label` (exactly, after the icon and indentation). */
async function chooseQuickPick(page, label, { filter } = {}) {
  const re = new RegExp(`(^|\\s)${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
  if (filter) await quickInput(page).fill(filter);
  const row = quickRows(page).filter({ has: page.locator('.label-name', { hasText: re }) }).first();
  await row.waitFor({ state: 'visible' });
  await row.click();
}

/** Labels of the quick pick's rows, once it has some (the layer list arrives after the engine read the model). */
async function quickPickLabels(page) {
  await quickRows(page).first().waitFor({ state: 'visible' });
  return (await quickRows(page).locator('.label-name').allTextContents()).map((s) => s.replace(/\s+/g, ' ').trim());
}

/** The inspector webview: `ui` (a FrameLocator, for DOM work) and `frame` (the content Frame, for evaluate). */
async function inspector(page, tab = TAB) {
  await wb.editorTab(page, tab).first().waitFor({ state: 'visible' });
  const ui = wb.webviewContent(page);
  await ui.locator('#layer-tree').waitFor({ state: 'attached' });
  const hostEl = await page.locator('iframe.webview.ready').last().elementHandle();
  const host = await hostEl.contentFrame();
  const frame = await (await host.locator('iframe#active-frame').elementHandle()).contentFrame();
  return { ui, host, frame };
}

/** Picks the input image with "Pick input…" and VS Code's file dialog (the simple dialog in the browser). */
async function pickInput(page, ui, file) {
  await ui.locator('#pick-input').click();
  const input = quickInput(page);
  await input.waitFor({ state: 'visible' });
  // The dialog fills in its start folder and lists it asynchronously, in steps: type the path only once it has
  // settled (a folder path and its listing), and check what the field holds before pressing Enter.
  await page.waitForFunction(() => {
    const v = document.querySelector('.quick-input-widget input[type="text"]')?.value ?? '';
    // (.label-name: recycled rows may keep hidden detail text of an earlier quick pick)
    const rows = [...document.querySelectorAll('.quick-input-widget .quick-input-list .monaco-list-row .label-name')].map((r) => r.textContent.trim());
    return v.startsWith('/') && v.endsWith('/') && rows.includes('..');
  });
  const name = ui.locator('.ll-input-name', { hasText: path.basename(file) });
  for (let attempt = 0; ; attempt++) {
    await input.fill(file);
    await sleep(200); // the dialog validates the typed path (and may still rewrite the field)
    if ((await input.inputValue()) !== file) {
      if (attempt >= 5) throw new Error(`the file dialog holds "${await input.inputValue()}", not ${file}`);
      continue;
    }
    await input.press('Enter');
    try {
      await name.waitFor({ state: 'visible', timeout: attempt < 2 ? 5000 : 30_000 });
      return;
    } catch (e) {
      if (attempt >= 2 || !(await input.isVisible())) throw e; // the dialog took it: a real failure
    }
  }
}

/**
 * What the main figure shows: whether it is settled (a picture, no message, no request running), a hash of its
 * pixels, how many of them are coloured (the grey demo image alone has none: colour means a heat map over it),
 * and its caption.
 */
async function figureState(ui) {
  return ui.locator('#figure-current canvas.ll-canvas').evaluate((canvas) => {
    const fig = canvas.closest('figure');
    const status = document.querySelector('.ll-status');
    const w = canvas.width;
    const h = canvas.height;
    let hash = 0x811c9dc5;
    let colored = 0;
    if (w > 1 && h > 1) {
      const d = canvas.getContext('2d').getImageData(0, 0, w, h).data;
      for (let i = 0; i < d.length; i++) hash = Math.imul(hash ^ d[i], 0x01000193) >>> 0;
      for (let i = 0; i < d.length; i += 4) {
        const mx = Math.max(d[i], d[i + 1], d[i + 2]);
        const mn = Math.min(d[i], d[i + 1], d[i + 2]);
        if (d[i + 3] > 0 && mx - mn > 24) colored++;
      }
    }
    return {
      settled: w > 1 && !fig.classList.contains('has-message') && !fig.classList.contains('stale') && !status?.classList.contains('is-busy'),
      width: w,
      height: h,
      hash: hash.toString(16),
      colored,
      pixels: w * h,
      title: fig.querySelector('.ll-figure-title')?.textContent ?? '',
      method: fig.querySelector('.ll-figure-method')?.textContent ?? '',
      subtitle: fig.querySelector('.ll-figure-subtitle')?.textContent ?? '',
      message: fig.querySelector('.ll-message')?.textContent ?? '',
      colorbarMin: fig.querySelector('.ll-colorbar-min')?.textContent ?? '',
      threshold: Number(fig.querySelector('.ll-colorbar')?.dataset.threshold ?? 0),
    };
  });
}

/** Waits until the figure shows a settled heat map satisfying `accept`; returns its state. */
async function waitForHeatmap(ui, accept = () => true, { timeout = 30_000, what = 'a heat map' } = {}) {
  const deadline = Date.now() + timeout;
  let s;
  for (;;) {
    s = await figureState(ui).catch(() => undefined);
    // A heat map: a settled picture with a real colour scale and coloured pixels (the grey image alone has none).
    if (s?.settled && s.threshold > 0 && s.colored >= 8 && accept(s)) return s;
    if (Date.now() > deadline) break;
    await sleep(50);
  }
  throw new Error(`the inspector did not show ${what} within ${timeout} ms; last state: ${JSON.stringify(s)}`);
}

/** Picks an attribution method in the inspector's method select (its options live in the select's shadow root). */
async function chooseMethod(ui, label) {
  await ui.locator('#method-select').click();
  await ui.locator('#method-select li[role="option"]', { hasText: new RegExp(`^\\s*${label}\\s*$`) }).click();
}

/** The next result: settled, coloured, with pixels no earlier result in `seen` had (added to it). */
async function nextHeatmap(ui, seen, accept, what, timeout) {
  const r = await waitForHeatmap(ui, (x) => !seen.has(x.hash) && accept(x), { what, timeout });
  seen.add(r.hash);
  return r;
}

/** Records the webview's requests to the host (the content frame posts through the host frame's MessagePort). */
async function spyRequests(host) {
  await host.evaluate(() => {
    const w = window;
    w.__layerlensRequests = [];
    if (w.__layerlensSpy) return;
    w.__layerlensSpy = true;
    const orig = MessagePort.prototype.postMessage;
    MessagePort.prototype.postMessage = function (msg, ...rest) {
      try {
        if (msg?.channel === 'onmessage' && msg.data?.message?.kind === 'request') w.__layerlensRequests.push(msg.data.message.method);
      } catch {
        // never break the webview
      }
      return orig.call(this, msg, ...rest);
    };
  });
  return {
    take: () => host.evaluate(() => window.__layerlensRequests.splice(0)),
  };
}

/** Counts the times the figure went busy/stale (a request was made for it) from now on. */
async function watchBusy(frame) {
  await frame.evaluate(() => {
    const w = window;
    w.__layerlensBusy = 0;
    w.__layerlensBusyObserver?.disconnect();
    const fig = document.querySelector('#figure-current');
    const status = document.querySelector('.ll-status');
    w.__layerlensBusyObserver = new MutationObserver(() => {
      if (fig.classList.contains('stale') || status?.classList.contains('is-busy')) w.__layerlensBusy++;
    });
    w.__layerlensBusyObserver.observe(fig, { attributes: true, attributeFilter: ['class'] });
    if (status) w.__layerlensBusyObserver.observe(status, { attributes: true, attributeFilter: ['class'] });
  });
  return { count: () => frame.evaluate(() => window.__layerlensBusy) };
}

async function assertLayerTree(ui, selectedId) {
  const rows = ui.locator('#layer-tree [role="treeitem"]');
  await rows.first().waitFor({ state: 'visible' });
  assert.ok((await rows.count()) >= 10, `the layer tree lists the model's layers (${await rows.count()} rows)`);
  await ui.locator(`#layer-tree [role="treeitem"][data-id="${selectedId}"][aria-selected="true"]`).waitFor({ state: 'visible' });
  const labels = await rows.locator('.ll-tree-label').allTextContents();
  for (const l of ['features', 'conv1', 'conv2', 'conv3', 'classifier']) assert.ok(labels.includes(l), `layer tree has ${l}: ${labels.join(', ')}`);
}

async function assertPredictions(ui) {
  const first = ui.locator('#predictions .ll-pred').first();
  await first.waitFor({ state: 'visible' });
  assert.match(await first.textContent(), /Ankle boot\s*#9/, 'the top prediction is the demo label "Ankle boot"');
  assert.equal(await ui.locator('#predictions .ll-pred').count(), 5, 'top-5 predictions (layerlens.topK)');
  const all = await ui.locator('#predictions .ll-pred-label').allTextContents();
  assert.ok(all.some((t) => t.startsWith('Sneaker')), `predictions carry the labels from the model's metadata: ${all.join(' | ')}`);
}

async function shot(page, name) {
  await sleep(250); // fades, carets
  await page.screenshot({ path: path.join(RESULTS, `${name}.png`) });
}

/** The packaged VSIX for this machine, packaged now when there is none newer than the bundles. */
function vsixForThisMachine() {
  if (process.env.LAYERLENS_VSIX) return path.resolve(process.env.LAYERLENS_VSIX);
  const target = `${process.platform}-${process.arch}`;
  const vsix = path.join(REPO, 'dist', `${PKG.name}-${PKG.version}-${target}.vsix`);
  const inputs = ['dist/extension.js', 'dist/engine-process.js', 'dist/webview/main.js', 'package.json', '.vscodeignore'].map((f) => path.join(REPO, f));
  const fresh = fs.existsSync(vsix) && inputs.every((f) => !fs.existsSync(f) || fs.statSync(f).mtimeMs <= fs.statSync(vsix).mtimeMs);
  if (!fresh) {
    const r = spawnSync(process.execPath, [path.join(REPO, 'scripts', 'package-vsix.mjs'), '--target', target, '--no-build'], { cwd: REPO, encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) throw new Error(`packaging failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  return vsix;
}

// ------------------------------------------------------------------------------------------------ tests

describe('LayerLens in VS Code (code-server + Chromium)', { timeout: 900_000 }, () => {
  before(async () => {
    requireBuilt();
    fs.mkdirSync(RESULTS, { recursive: true });
    for (const f of fs.readdirSync(RESULTS)) if (f.startsWith('FAIL-')) fs.rmSync(path.join(RESULTS, f));
    ws = makeWorkspace();
    server = await startCodeServer({ workspace: ws, logFile: path.join(RESULTS, 'code-server.log') });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    browser = undefined;
    await server?.stop().catch(() => undefined);
    if (ws) fs.rmSync(ws, { recursive: true, force: true });
    if (Object.keys(timings).length) fs.writeFileSync(path.join(RESULTS, 'timings.json'), `${JSON.stringify(timings, null, 2)}\n`);
  });

  test('command palette: Explain Layer → model → layer → inspector with layer tree, predictions and a heat map', async () => {
    await inWindow('palette', async (page) => {
      await wb.runCommand(page, 'LayerLens: Explain Layer');
      const models = await quickPickLabels(page);
      assert.ok(models.includes(MODEL), `the model pick lists the workspace model: ${models.join(' | ')}`);
      assert.ok(models.includes('small_cnn.onnx'), `and the other workspace model: ${models.join(' | ')}`);
      assert.ok(models.some((m) => /Demo model/.test(m)), 'and the bundled demo');
      await shot(page, 'palette-model-pick');
      await chooseQuickPick(page, MODEL);

      await quickRows(page).filter({ hasText: 'features.conv1' }).first().waitFor({ state: 'visible' }); // the layer pick replaced the model pick
      const layers = await quickPickLabels(page); // the rows in view (the list is virtual)
      for (const l of ['features', 'features.conv1', 'features.conv2']) assert.ok(layers.includes(l), `the layer pick lists ${l}: ${layers.join(' | ')}`);
      // One row per layer: a module's only node is the module.
      assert.ok(!layers.includes('node:/features/conv1/Conv'), `no node row repeating features.conv1: ${layers.join(' | ')}`);
      await shot(page, 'palette-layer-pick');
      await quickInput(page).fill('classifier');
      await quickRows(page).filter({ hasText: /Gemm/ }).first().waitFor({ state: 'visible' });
      await chooseQuickPick(page, 'features.conv2', { filter: 'conv2' });

      const { ui } = await inspector(page);
      await assertLayerTree(ui, 'features.conv2');
      assert.match(await ui.locator('#figure-current').textContent(), /Pick an input/, 'without an input the figure asks for one');
      const t0 = Date.now();
      await pickInput(page, ui, path.join(ws, IMAGE));
      await assertPredictions(ui);
      const s = await waitForHeatmap(ui, (x) => x.title === 'features.conv2');
      timings.paletteInputToHeatmapMs = Date.now() - t0;
      assert.match(s.subtitle, /target 9 · layer output · \[1, 32, 14, 14\]/);
      assert.equal(s.method, 'Layer Gradient × Activation', 'the header names the method');
      assert.equal(s.width, 28, 'the overlay has the input image size');
      await shot(page, 'palette-inspector');
    });
  });

  test('Explorer context menu: Explain Layer on the .onnx file (and only there) → inspector', async () => {
    await inWindow('explorer', async (page) => {
      await wb.focusExplorer(page);
      // Not offered on an image
      await wb.explorerRow(page, IMAGE).first().click({ button: 'right' });
      const menuItems = page.locator('.monaco-menu .action-item .action-label');
      await menuItems.first().waitFor({ state: 'visible' });
      const labels = (await menuItems.allTextContents()).map((t) => t.trim()).filter(Boolean);
      assert.ok(labels.length > 3 && !labels.some((l) => /Explain Layer/.test(l)), `no Explain Layer on a .png: ${labels.join(' | ')}`);
      await page.keyboard.press('Escape');
      await menuItems.first().waitFor({ state: 'hidden' });

      await contextMenu(page, wb.explorerRow(page, MODEL).first(), 'Explain Layer', { screenshot: 'explorer-context-menu' });
      await chooseQuickPick(page, 'features.conv3', { filter: 'conv3' });
      const { ui } = await inspector(page);
      await assertLayerTree(ui, 'features.conv3');
      await pickInput(page, ui, path.join(ws, IMAGE));
      await assertPredictions(ui);
      const s = await waitForHeatmap(ui, (x) => x.title === 'features.conv3');
      assert.match(s.subtitle, /\[1, 64, 7, 7\]/);
      await shot(page, 'explorer-inspector');
    });
  });

  test('Explorer click: a .onnx file opens in the inspector (its default editor); text stays under Reopen Editor With…', async () => {
    await inWindow('explorer-click', async (page) => {
      await wb.focusExplorer(page);
      // code-server resolves the default editor from the extension's contributions once the extension host has
      // registered them; a click in the first seconds of a fresh window can still get the text editor (seen once in
      // three full runs). The LayerLens view being populated shows the extension is up.
      await wb.runCommand(page, 'LayerLens: Refresh Models');
      await wb.focusExplorer(page);
      await wb.explorerRow(page, MODEL).first().click();
      const { ui } = await inspector(page, MODEL);
      const rows = ui.locator('#layer-tree [role="treeitem"]');
      await rows.first().waitFor({ state: 'visible' });
      const labels = await rows.locator('.ll-tree-label').allTextContents();
      for (const l of ['features', 'conv1', 'classifier']) assert.ok(labels.includes(l), `layer tree has ${l}: ${labels.join(', ')}`);
      assert.equal(await page.locator('.part.editor .monaco-editor').count(), 0, 'no text editor opened');
      await shot(page, 'explorer-click-inspector');

      await wb.runCommand(page, 'View: Reopen Editor With...');
      const editors = await quickPickLabels(page);
      assert.ok(editors.some((l) => /LayerLens Inspector/.test(l)), `Reopen With lists the inspector: ${editors.join(' | ')}`);
      assert.ok(editors.some((l) => /Text Editor/.test(l)), `and the text editor: ${editors.join(' | ')}`);
      await page.keyboard.press('Escape');
    });
  });

  test('sidebar: LayerLens tree → model → inline and context Explain Layer → inspector; the inspector reveals its layer in the tree', async () => {
    await inWindow('sidebar', async (page) => {
      await wb.openViewContainer(page, CONTAINER_TITLE, CONTAINER);
      const rows = wb.treeRows(page, CONTAINER);
      const modelRow = wb.treeItem(page, CONTAINER, MODEL).first();
      await modelRow.waitFor({ state: 'visible' });
      await wb.treeItem(page, CONTAINER, 'small_cnn.onnx').first().waitFor({ state: 'visible' });
      await modelRow.click(); // expands
      const row = (label) => rows.filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${label}$`) }) }).first();
      await row('features').waitFor({ state: 'visible' });
      assert.ok(await row('classifier').isVisible(), 'the model expands into its top-level layers');
      await row('features').click(); // expands
      const conv2 = row('conv2');
      await conv2.waitFor({ state: 'visible' });
      await conv2.hover();
      const inline = conv2.locator('.actions a.action-label[aria-label="Explain Layer"]');
      await inline.waitFor({ state: 'visible' });
      await shot(page, 'sidebar-inline-action');
      await inline.click();

      const { ui } = await inspector(page);
      await assertLayerTree(ui, 'features.conv2');
      await pickInput(page, ui, path.join(ws, IMAGE));
      await assertPredictions(ui);
      await waitForHeatmap(ui, (x) => x.title === 'features.conv2');

      // The context menu on another layer: the same inspector switches to it.
      await contextMenu(page, row('conv1'), 'Explain Layer');
      await waitForHeatmap(ui, (x) => x.title === 'features.conv1', { what: 'the heat map of features.conv1' });
      assert.equal(await wb.editorTab(page, TAB).count(), 1, 'one inspector per model');
      await ui.locator('#layer-tree [data-id="features.conv1"][aria-selected="true"]').waitFor();

      // Selecting a layer in the inspector reveals it in the (visible) sidebar tree.
      await ui.locator('#layer-tree [data-id="features.relu3"]').click();
      await waitForHeatmap(ui, (x) => x.title === 'features.relu3', { what: 'the heat map of features.relu3' });
      await rows.filter({ has: page.locator('.label-name', { hasText: /^relu3$/ }) }).and(page.locator('[aria-selected="true"]')).first().waitFor({ state: 'visible', timeout: 10_000 });
      await shot(page, 'sidebar-inspector');
    });
  });

  test('inspector: layer, target and layer input/output re-attribute; sign is display-only (no engine request)', async () => {
    await inWindow('interactions', async (page) => {
      await wb.runCommand(page, 'LayerLens: Explain Layer');
      await chooseQuickPick(page, MODEL);
      await chooseQuickPick(page, 'features.conv2', { filter: 'conv2' });
      const { ui, host, frame } = await inspector(page);
      await pickInput(page, ui, path.join(ws, IMAGE));
      let s = await waitForHeatmap(ui, (x) => x.title === 'features.conv2' && /target 9/.test(x.subtitle));
      const spy = await spyRequests(host);
      const busy = await watchBusy(frame);
      const seen = new Set([s.hash]);
      const changed = (x) => !seen.has(x.hash);

      // Layer
      await ui.locator('#layer-tree [data-id="features.conv3"]').click();
      s = await waitForHeatmap(ui, (x) => changed(x) && x.title === 'features.conv3', { what: 'a new heat map for features.conv3' });
      seen.add(s.hash);
      assert.ok((await spy.take()).includes('attribute'), 'a layer change asks the engine');
      assert.ok((await busy.count()) > 0, 'and the figure went busy meanwhile (the spy works)');

      // Target: another prediction
      await ui.locator('#predictions .ll-pred[data-index="7"]').click();
      s = await waitForHeatmap(ui, (x) => changed(x) && /target 7/.test(x.subtitle), { what: 'a new heat map for target 7 (Sneaker)' });
      seen.add(s.hash);
      assert.match(await ui.locator('#target-status').textContent(), /class 7 · Sneaker/);
      assert.equal(await ui.locator('#predictions .ll-pred.chosen').getAttribute('data-index'), '7');
      assert.deepEqual((await spy.take()).filter((m) => m === 'attribute'), ['attribute'], 'a target change is one attribution');

      // Layer input instead of output
      await ui.locator('#toggle-layer-input').click();
      s = await waitForHeatmap(ui, (x) => changed(x) && /layer input/.test(x.subtitle), { what: 'a new heat map for the layer input' });
      seen.add(s.hash);
      assert.match(s.subtitle, /\[1, 32, 7, 7\]/, "conv3's input is pool2's output");
      assert.ok((await spy.take()).includes('attribute'));
      await shot(page, 'interactions-layer-input');

      // Sign: display only
      await busy.count(); // settle
      await frame.evaluate(() => (window.__layerlensBusy = 0));
      const before = s;
      const t0 = Date.now();
      await ui.locator('#display-sign').click();
      await ui.locator('#display-sign li[role="option"]', { hasText: /^\s*Positive\s*$/ }).click(); // in its shadow root
      s = await waitForHeatmap(ui, (x) => changed(x), { what: 'the positive-only heat map', timeout: 5000 });
      const signMs = Date.now() - t0;
      timings.signChangeMs = signMs;
      assert.equal(s.colorbarMin, '0', 'the colour bar starts at 0 for positive attributions');
      assert.equal(s.subtitle, before.subtitle, 'same attribution, other display');
      await sleep(300); // a request, if one were made, would have gone out by now
      assert.deepEqual(await spy.take(), [], 'a sign change sends no request to the host');
      assert.equal(await busy.count(), 0, 'and the figure never went busy');
      const displayMs = Number(await ui.locator('#app').getAttribute('data-display-ms'));
      timings.signRedrawMs = displayMs;
      assert.ok(displayMs < 100, `the redraw took ${displayMs} ms`);
      await shot(page, 'interactions-sign-positive');
    });
  });

  test('inspector: the method picker — Grad-CAM, Integrated Gradients (8 steps, δ) and Feature Ablation each draw their own result', async () => {
    await inWindow('methods', async (page) => {
      await wb.runCommand(page, 'LayerLens: Explain Layer');
      await chooseQuickPick(page, MODEL);
      await chooseQuickPick(page, 'features.conv2', { filter: 'conv2' });
      const { ui, host } = await inspector(page);
      await pickInput(page, ui, path.join(ws, IMAGE));
      let s = await waitForHeatmap(ui, (x) => x.title === 'features.conv2' && /target 9/.test(x.subtitle));
      assert.equal(s.method, 'Layer Gradient × Activation');
      const spy = await spyRequests(host);
      const seen = new Set([s.hash]);
      const pickMethod = (label) => chooseMethod(ui, label);
      const next = (accept, what) => nextHeatmap(ui, seen, accept, what, 60_000);

      // Grad-CAM: Captum's [1, 1, 14, 14] map, upsampled onto the 28×28 input by the overlay; no channel grid.
      await pickMethod('Grad-CAM');
      s = await next((x) => x.method === 'Grad-CAM', 'the Grad-CAM heat map');
      assert.match(s.subtitle, /^target 9 · layer output · \[1, 1, 14, 14\]/);
      assert.equal(s.width, 28, 'drawn at the input size');
      assert.equal(await ui.locator('#channels').isVisible(), false);
      await shot(page, 'methods-gradcam');

      // Integrated Gradients with 8 steps: the convergence delta is in the header.
      await pickMethod('Integrated Gradients');
      await ui.locator('#method-steps input').fill('8');
      await ui.locator('#method-steps input').press('Enter');
      s = await next((x) => /^Integrated Gradients · 8 steps · Gauss-Legendre · zero baseline · δ = /.test(x.method), 'the integrated-gradients heat map (8 steps)');
      const delta = Number(/δ = (\S+)$/.exec(s.method)?.[1]);
      assert.ok(Number.isFinite(delta) && Math.abs(delta) < 0.05, `a small convergence delta for 8 Gauss-Legendre steps: ${s.method}`);
      assert.match(await ui.locator('#method-cost').textContent(), /^≈ 8 × one attribution ≈ [\d.]+ (ms|s)$/);
      assert.equal(await ui.locator('#toggle-gradient-only').isVisible(), true, 'gradient only = multiply_by_inputs=False for IG');
      await ui.locator('.ll-col-right').evaluate((el) => el.scrollTo(0, el.querySelector('#method-panel').offsetTop - 8));
      await page.mouse.move(700, 880);
      await shot(page, 'methods-integrated-gradients');

      // Feature ablation per channel: 32 groups (the layer's channels), one bar per channel.
      await pickMethod('Feature Ablation');
      s = await next((x) => x.method === 'Feature Ablation · per channel (32) · baseline 0', 'the feature-ablation result');
      assert.match(s.subtitle, /one bar per channel/);
      assert.match(await ui.locator('#method-groups').textContent(), /^32 groups: 32 ablated forward passes$/);
      assert.equal(await ui.locator('#toggle-gradient-only').isVisible(), false);
      assert.equal(await ui.locator('#channels').isVisible(), false, 'the bars show every channel; no grid of flat tiles');
      await shot(page, 'methods-feature-ablation');
      assert.ok((await spy.take()).filter((m) => m === 'attribute').length >= 4, 'each method asked the engine');
    });
  });

  test('inspector on a ResNet-18-shaped model: four methods at layer3 each draw their own map; switching the top channel off changes the predictions', async () => {
    // Built by the project's own builder (torchvision's BasicBlock layout, full width, random weights, 1000
    // classes): a model no test in this file was written against, and the size users open.
    const { buildResNet18 } = await import(pathToFileURL(path.join(REPO, 'out', 'test', 'support', 'resnet18.js')).href);
    const { encodeModel } = await import(pathToFileURL(path.join(REPO, 'out', 'src', 'engine', 'onnx', 'proto.js')).href);
    const dir = path.join(ws, 'imagenet');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'resnet18_shaped.onnx'), encodeModel(buildResNet18({ seed: 7 })));
    await inWindow('resnet18-methods', async (page) => {
      await wb.runCommand(page, 'LayerLens: Explain Layer');
      await chooseQuickPick(page, 'resnet18_shaped.onnx');
      await chooseQuickPick(page, 'layer3', { filter: 'layer3' });
      const { ui } = await inspector(page, 'LayerLens: resnet18_shaped.onnx');
      await pickInput(page, ui, path.join(ws, IMAGE));
      let s = await waitForHeatmap(ui, (x) => x.title === 'layer3', { timeout: 120_000, what: 'the layer3 LGXA heat map' });
      assert.equal(s.method, 'Layer Gradient × Activation');
      assert.match(s.subtitle, /layer output · \[1, 256, 14, 14\]/);
      const seen = new Set([s.hash]);
      const pickMethod = (label) => chooseMethod(ui, label);
      const next = (accept, what) => nextHeatmap(ui, seen, accept, what, 120_000);
      await pickMethod('Grad-CAM');
      s = await next((x) => x.method === 'Grad-CAM', 'the Grad-CAM heat map');
      assert.match(s.subtitle, /\[1, 1, 14, 14\]/);
      await pickMethod('Integrated Gradients');
      await ui.locator('#method-steps input').fill('8');
      await ui.locator('#method-steps input').press('Enter');
      s = await next((x) => /^Integrated Gradients · 8 steps/.test(x.method), 'the integrated-gradients heat map');
      await pickMethod('Feature Ablation');
      s = await next((x) => x.method === 'Feature Ablation · per channel (256) · baseline 0', 'the per-channel feature ablation');
      await shot(page, 'resnet18-feature-ablation');
      await pickMethod('Layer Gradient × Activation');
      s = await waitForHeatmap(ui, (x) => x.method === 'Layer Gradient × Activation' && x.title === 'layer3', { what: 'the LGXA heat map again', timeout: 60_000 });

      // What-if: the top channel tile's "off" switch; the predictions without that channel come next to the figure.
      await ui.locator('.ll-tile-off').first().waitFor({ state: 'visible' });
      const top = await ui.locator('.ll-tile-off').first().getAttribute('data-channel');
      await ui.locator('.ll-tile-off').first().click();
      await ui.locator('#whatif-rows .ll-whatif-row[data-index]').first().waitFor({ state: 'visible', timeout: 60_000 });
      await ui.locator('#whatif[aria-busy]').waitFor({ state: 'detached' });
      assert.match(await ui.locator('#whatif-title').textContent(), new RegExp(`What-if: channel ${top} of layer3 \\(layer output\\) set to 0`));
      const rows = await ui.locator('#whatif-rows .ll-whatif-row[data-index]').evaluateAll((els) =>
        els.map((el) => [...el.querySelectorAll('.ll-num')].map((c) => c.textContent)),
      );
      assert.ok(rows.length >= 5, `before/after rows for the top classes: ${JSON.stringify(rows)}`);
      assert.ok(rows.some(([, , change]) => change !== '±0'), `switching channel ${top} off changes the scores: ${JSON.stringify(rows)}`);
      // The first row's "before" is the top prediction the Predictions panel shows.
      const shownTop = (await ui.locator('#predictions .ll-pred .ll-pred-score').first().textContent()).trim();
      const before = await ui.locator('#whatif-rows .ll-whatif-row[data-index]').evaluateAll((els) => els.map((el) => el.querySelectorAll('.ll-num')[0].textContent));
      assert.ok(before.includes(shownTop), `the what-if panel's "before" column holds the shown top score ${shownTop}: ${before.join(', ')}`);
      await ui.locator('#whatif').scrollIntoViewIfNeeded();
      await shot(page, 'resnet18-what-if');
      await ui.locator('#whatif-restore').click();
      await ui.locator('#whatif').waitFor({ state: 'hidden' });
    });
  });

  test('output roles: a classifier, a detector, a segmenter and a super-resolution net each reach a heat map through their own target controls', async () => {
    // test/data/model_roles, made by its make.py (the project's builder): four small models trained on the same
    // synthetic shapes pictures, and one such picture as the input.
    const dir = path.join(ws, 'roles');
    fs.mkdirSync(dir, { recursive: true });
    for (const f of ['shapes_classifier.onnx', 'shapes_detector.onnx', 'shapes_segmenter.onnx', 'shapes_superres.onnx', 'shapes_0.png']) fs.copyFileSync(path.join(ROLES, f), path.join(dir, f));
    const picture = path.join(dir, 'shapes_0.png');
    /** Explain Layer on `model` at `layer`, the shapes picture as input; resolves when its first heat map is up. */
    const open = async (page, model, layer) => {
      await wb.runCommand(page, 'LayerLens: Explain Layer');
      await chooseQuickPick(page, model);
      await chooseQuickPick(page, layer, { filter: layer });
      const { ui } = await inspector(page, `LayerLens: ${model}`);
      await pickInput(page, ui, picture);
      const first = await waitForHeatmap(ui, (x) => x.title === layer, { timeout: 60_000, what: `the first ${layer} heat map of ${model}` });
      return { ui, seen: new Set([first.hash]), first };
    };
    const role = (ui) => ui.locator('#predictions-role').textContent();
    const outline = (ui) => ui.locator('#figure-current .ll-figure-outline:not([hidden])');

    await inWindow('roles-classifier', async (page) => {
      const { ui, seen, first } = await open(page, 'shapes_classifier.onnx', 'features');
      assert.equal(await role(ui), 'classifier');
      assert.match(first.subtitle, /^target 0 · layer output/, 'the top class (circle) is the automatic target');
      await ui.locator('#predictions .ll-pred').nth(1).click();
      const s = await nextHeatmap(ui, seen, (x) => /^target [12] · /.test(x.subtitle), "the runner-up class's heat map", 60_000);
      assert.ok(s.threshold > 0);
      await shot(page, 'roles-classifier');
    });

    await inWindow('roles-detector', async (page) => {
      const { ui, seen } = await open(page, 'shapes_detector.onnx', 'backbone');
      assert.equal(await role(ui), 'detector');
      const rows = ui.locator('#detections .ll-det');
      assert.ok((await rows.count()) >= 2, 'a ranked list of detections');
      assert.match(await rows.first().textContent(), /^1(circle|square|triangle) · anchor \d+/, 'named by class, with the anchor');
      assert.equal(await ui.locator('#detections-picture .ll-out-boxes .ll-out-box').count(), await rows.count(), 'each detection boxed on the input');
      // The second detection: its (anchor, class) becomes the target; the field takes it and the heat map follows.
      const [anchor, cls] = [await rows.nth(1).getAttribute('data-anchor'), await rows.nth(1).getAttribute('data-class')];
      await rows.nth(1).click();
      const s = await nextHeatmap(ui, seen, (x) => x.subtitle.startsWith(`target (${anchor},${cls}) · `), `the heat map of detection (${anchor}, ${cls})`, 60_000);
      assert.equal(await ui.locator('#target-field').evaluate((el) => el.value), `(${anchor},${cls})`);
      assert.equal(await ui.locator('#target-status.error').count(), 0, 'the target field accepts it');
      assert.match(await ui.locator('#target-status').textContent(), new RegExp(`^detection: \\w+ at anchor ${anchor}`));
      assert.equal(await outline(ui).count(), 1, "the detection's box is outlined on the heat map");
      assert.ok(s.threshold > 0);
      await shot(page, 'roles-detector');
    });

    await inWindow('roles-segmenter', async (page) => {
      const { ui, seen, first } = await open(page, 'shapes_segmenter.onnx', 'dec2');
      assert.match(first.subtitle, /^target (circle|square|triangle) where it wins · /, 'the largest shape where it wins is the automatic target');
      assert.equal(await role(ui), 'segmentation');
      const legend = ui.locator('#class-legend .ll-legend-item');
      assert.ok((await legend.count()) >= 2, 'a legend of the classes in the picture');
      // A class that is not the automatic one (the largest non-background class): the background itself.
      const bg = ui.locator('#class-legend .ll-legend-item[data-class="0"]');
      await bg.click();
      let s = await nextHeatmap(ui, seen, (x) => x.subtitle.startsWith('target background where it wins · '), 'the heat map of "background where it wins"', 60_000);
      assert.equal(await bg.getAttribute('aria-pressed'), 'true');
      // And back to the largest shape (the automatic target's picture again), with one click on its legend entry.
      const shape = ui.locator('#class-legend .ll-legend-item:not([data-class="0"])').first();
      const name = (await shape.locator('.ll-legend-label').textContent()).replace(/\s*#\d+$/, '');
      await shape.click();
      const background = s.hash;
      s = await waitForHeatmap(ui, (x) => x.subtitle.startsWith(`target ${name} where it wins · `) && x.hash !== background, { what: `the heat map of "${name} where it wins"`, timeout: 60_000 });
      assert.equal(s.hash, first.hash, `the same picture as the automatic target, ${name} where it wins`);
      assert.match(await ui.locator('#target-status').textContent(), new RegExp(`^${name} where it wins: the sum of class \\d+'s logits over the pixels where it is the top class \\([\\d,]+ in this example\\)`));
      assert.ok(s.threshold > 0);
      await shot(page, 'roles-segmenter');
    });

    await inWindow('roles-superres', async (page) => {
      const { ui, seen, first } = await open(page, 'shapes_superres.onnx', 'features');
      assert.equal(await role(ui), 'image');
      assert.match(first.subtitle, /^target \(:,:,:\) · /, 'the whole output to start with');
      // Drag a box over the output image (192 × 192): rows and columns 60..119.
      const img = ui.locator('#output-image');
      await img.scrollIntoViewIfNeeded();
      const b = await img.boundingBox();
      const at = (x, y) => [b.x + ((x + 0.5) / 192) * b.width, b.y + ((y + 0.5) / 192) * b.height];
      await page.mouse.move(...at(60, 60));
      await page.mouse.down();
      await page.mouse.move(...at(90, 90), { steps: 5 });
      await page.mouse.move(...at(119, 119), { steps: 5 });
      await page.mouse.up();
      const s = await nextHeatmap(ui, seen, (x) => /^target \(0,\d+:\d+,\d+:\d+\) · /.test(x.subtitle), 'the heat map of the dragged box', 60_000);
      const [, y0, y1, x0, x1] = /^target \(0,(\d+):(\d+),(\d+):(\d+)\)/.exec(s.subtitle).map(Number);
      for (const [v, want] of [[y0, 60], [y1, 120], [x0, 60], [x1, 120]]) assert.ok(Math.abs(v - want) <= 2, `box ${s.subtitle} ≈ (0, 60:120, 60:120)`);
      assert.equal(await outline(ui).count(), 1, 'the box is outlined on the input (a 3× net: a third of the size)');
      assert.match(await ui.locator('#output-image-caption').textContent(), /^Target: rows \d+–\d+, columns \d+–\d+/);
      assert.ok(s.threshold > 0);
      await shot(page, 'roles-superres');
    });
  });

  test('packaged VSIX: installs into a fresh extensions dir, activates; the demo opens from the welcome view; README screenshot', async () => {
    const vsix = vsixForThisMachine();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'layerlens-e2e-vsix-'));
    const extDir = path.join(root, 'extensions');
    const empty = path.join(root, 'new-project'); // no models: the sidebar offers the demo
    const project = path.join(root, 'fashion-mnist'); // a project with a model, for the README screenshot
    fs.mkdirSync(empty);
    fs.mkdirSync(path.join(project, 'models'), { recursive: true });
    fs.mkdirSync(path.join(project, 'images'));
    fs.copyFileSync(path.join(DEMO, MODEL), path.join(project, 'models', MODEL));
    fs.copyFileSync(path.join(DEMO, 'samples', '0_ankle-boot.png'), path.join(project, 'images', IMAGE));
    let srv;
    try {
      const out = installVsix(vsix, extDir);
      assert.match(out, /successfully installed/i);
      const installed = fs.readdirSync(extDir).filter((d) => d.startsWith(`${PKG.publisher}.${PKG.name}-`));
      assert.equal(installed.length, 1, `installed as ${installed.join(', ')}`);
      assert.ok(fs.existsSync(path.join(extDir, installed[0], 'dist', 'extension.js')));
      // Dark theme here (the other tests run in the default light one): the inspector follows the theme.
      srv = await startCodeServer({ workspace: project, extensionsDir: extDir, logFile: path.join(RESULTS, 'code-server-vsix.log'), settings: { 'workbench.colorTheme': 'Default Dark Modern' } });

      await inWindow(
        'vsix-welcome',
        async (page) => {
          assert.doesNotMatch(await page.title(), /Extension Development Host/, 'the installed extension, not a development one');
          await wb.openViewContainer(page, CONTAINER_TITLE, CONTAINER);
          const link = page.locator(`[id="workbench.view.extension.${CONTAINER}"] .welcome-view-content a`, { hasText: 'Open the demo model' });
          await link.waitFor({ state: 'visible' });
          const t0 = Date.now();
          await link.click();
          const { ui } = await inspector(page);
          const s = await waitForHeatmap(ui, (x) => x.title === 'features.conv3', { timeout: 60_000 });
          timings.vsixDemoOpenToHeatmapMs = Date.now() - t0; // cold: engine process start, model load, predict, attribute
          await assertPredictions(ui);
          assert.match(await ui.locator('.ll-input-name').textContent(), /0_ankle-boot\.png/, 'the demo opens with its first sample');
          assert.match(s.subtitle, /target 9/);
          await shot(page, 'vsix-demo');
        },
        { server: srv, dev: false, folder: empty },
      );

      await inWindow(
        'vsix-readme',
        async (page) => {
          await wb.openViewContainer(page, CONTAINER_TITLE, CONTAINER);
          const rows = wb.treeRows(page, CONTAINER);
          const row = (label) => rows.filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${label}$`) }) }).first();
          await row(MODEL).click();
          await row('features').click();
          await row('conv2').hover();
          await row('conv2').locator('.actions a.action-label[aria-label="Explain Layer"]').click();
          const { ui } = await inspector(page);
          await pickInput(page, ui, path.join(project, 'images', IMAGE));
          await waitForHeatmap(ui, (x) => x.title === 'features.conv2');
          // conv3 in the inspector; the sidebar follows it.
          await ui.locator('#layer-tree [data-id="features.conv3"]').click();
          await waitForHeatmap(ui, (x) => x.title === 'features.conv3');
          await rows.filter({ has: page.locator('.label-name', { hasText: /^conv3$/ }) }).and(page.locator('[aria-selected="true"]')).first().waitFor({ state: 'visible' });
          await ui.locator('body').evaluate(() => document.activeElement?.blur?.()); // no focus ring in the picture
          await page.mouse.move(1240, 820); // an empty spot of the inspector: no hover highlight or tooltip in the picture
          await shot(page, 'readme-screenshot');
          if (process.env.LAYERLENS_UPDATE_SCREENSHOT === '1') fs.copyFileSync(path.join(RESULTS, 'readme-screenshot.png'), path.join(REPO, 'media', 'screenshot.png'));
          // The rest of the centre column (colour bar, channel grid), for review.
          await ui.locator('.ll-col-center').evaluate((el) => el.scrollTo(0, el.scrollHeight));
          await shot(page, 'vsix-channels');
        },
        { server: srv, dev: false },
      );
    } finally {
      await srv?.stop().catch(() => undefined);
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('a [1, 64, 224, 224] result: from the engine\'s end to the picture on screen', async () => {
    const { fullResolutionConvNet, writeModel } = await import(pathToFileURL(path.join(REPO, 'out', 'test', 'support', 'tinyModels.js')).href);
    const dir = path.join(ws, 'fullres');
    fs.mkdirSync(dir, { recursive: true });
    writeModel(fullResolutionConvNet(), dir, 'fullres_convnet.onnx');
    await inWindow('fullres', async (page) => {
      await wb.runCommand(page, 'LayerLens: Explain Layer');
      await chooseQuickPick(page, 'fullres_convnet.onnx');
      await chooseQuickPick(page, 'stem.conv', { filter: 'stem.conv' });
      const { ui, frame, host } = await inspector(page, 'LayerLens: fullres_convnet.onnx');
      await pickInput(page, ui, path.join(ws, IMAGE));
      const lags = [];
      const draws = [];
      const hops = [];
      for (const layer of ['stem.conv', 'stem.act', 'stem.conv', 'stem.act']) {
        await frame.evaluate(() => delete document.querySelector('.ll-app').dataset.resultLagMs);
        if (lags.length) await ui.locator(`#layer-tree [role="treeitem"][data-id="${layer}"]`).click();
        const s = await waitForHeatmap(ui, (x) => x.title === layer && /\[1, 64, 224, 224\]/.test(x.subtitle), { what: `the ${layer} heat map`, timeout: 60_000 });
        assert.equal(s.width, 224);
        await frame.waitForFunction(() => document.querySelector('.ll-app').dataset.resultLagMs !== undefined);
        lags.push(Number(await frame.evaluate(() => document.querySelector('.ll-app').dataset.resultLagMs)));
        draws.push(Number(await frame.evaluate(() => document.querySelector('.ll-app').dataset.resultDrawMs)));
        hops.push(JSON.parse((await frame.evaluate(() => document.querySelector('.ll-app').dataset.resultHops)) ?? 'null'));
      }
      timings.fullResolutionResultLagMs = lags;
      timings.fullResolutionDrawMs = draws;
      timings.fullResolutionHops = hops;
      // The tiles were sent as thumbnails: choosing one asks the host for that channel at full size.
      const spy = await spyRequests(host);
      const tile = ui.locator('.ll-tile[data-channel]:not([data-channel="sum"])').first();
      const ch = await tile.getAttribute('data-channel');
      await tile.click();
      await waitForHeatmap(ui, (x) => x.title === `stem.act · channel ${ch}`, { what: `channel ${ch} alone` });
      const asked = [];
      for (let i = 0; i < 100 && !asked.includes('channel'); i++) {
        asked.push(...(await spy.take()));
        await sleep(50);
      }
      assert.ok(asked.includes('channel'), `the full-size channel was asked for: ${asked.join(', ')}`);
      await shot(page, 'fullres');
      // Engine end → host → webview (code-server: over its websocket) → decoded → drawn → next frame. Measured
      // 2026-12-02 with the whole 12.8 MB tensor: 0.87–1.17 s (0.66–0.83 s of it host → browser); with the display
      // form (sum, totals, 12 channels: 2.6 MB): 0.28–0.34 s; with the channels as 112² thumbnails (0.8 MB):
      // 0.24–0.28 s, of which 46–70 ms decoding and drawing; with the display form made in the engine process (the host
      // never receives the whole tensor): 0.16–0.22 s — engine → host 16–71 ms (the reduction itself and 0.8 MB over
      // IPC), the host 0–4 ms, host → webview 72–103 ms, decode and draw 44–71 ms; with the thumbnails as 8 bits (0.35
      // MB in all): 0.12–0.18 s — engine → host 23–85, host → webview 35–71, draw 45–71 ms (timings.json keeps each
      // run's numbers and hops). The bounds are twice the 200 ms and about four times the draw measured here:
      // loose enough for a loaded CI machine, tight enough to catch the whole tensor crossing again (0.87 s and more).
      const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
      assert.ok(median(draws) <= 250, `decode + draw in the webview: median ${median(draws)} ms (${draws.join(', ')})`);
      assert.ok(median(lags) <= 400, `engine end → picture: median ${median(lags)} ms (${lags.join(', ')})`);
    });
  });

  test('timing: ResNet-18 from Explain Layer to the first heat map', { skip: process.env.LAYERLENS_E2E_RESNET !== '1' ? 'set LAYERLENS_E2E_RESNET=1 to measure' : !fs.existsSync(RESNET) ? 'no bench/models/resnet18.onnx' : false }, async () => {
    const dir = path.join(ws, 'resnet');
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(RESNET, path.join(dir, 'resnet18.onnx'));
    await inWindow('resnet18', async (page) => {
      await wb.runCommand(page, 'LayerLens: Explain Layer');
      await chooseQuickPick(page, 'resnet18.onnx');
      await chooseQuickPick(page, 'layer4', { filter: 'layer4' });
      await wb.editorTab(page, 'LayerLens: resnet18.onnx').first().waitFor({ state: 'visible' });
      const ui = wb.webviewContent(page);
      let t0 = Date.now();
      await pickInput(page, ui, path.join(ws, IMAGE));
      await waitForHeatmap(ui, (x) => x.title === 'layer4', { timeout: 90_000, what: 'the layer4 heat map' });
      timings.resnet18ColdInputToHeatmapMs = Date.now() - t0;
      // Warm: the model and the input are loaded; Explain Layer on another layer (the open inspector switches).
      await wb.runCommand(page, 'LayerLens: Explain Layer');
      // The inspector is the active editor, so its model is used (no model pick) and the layer pick comes up.
      assert.ok(!(await quickPickLabels(page)).includes('resnet18.onnx'), 'Explain Layer uses the active inspector\'s model');
      await quickInput(page).fill('layer3');
      t0 = Date.now();
      await chooseQuickPick(page, 'layer3');
      await waitForHeatmap(ui, (x) => x.title === 'layer3', { timeout: 60_000, what: 'the layer3 heat map' });
      timings.resnet18WarmExplainToHeatmapMs = Date.now() - t0;
      await shot(page, 'resnet18');
    });
  });
});

describe('LayerLens in Restricted Mode (Workspace Trust on, folder not trusted)', { timeout: 180_000 }, () => {
  let trustServer;
  let trustWs;
  before(async () => {
    requireBuilt();
    fs.mkdirSync(RESULTS, { recursive: true });
    trustWs = makeWorkspace();
    trustServer = await startCodeServer({
      workspace: trustWs,
      trust: true,
      settings: { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.banner': 'never' },
      logFile: path.join(RESULTS, 'code-server-restricted.log'),
    });
    browser ??= await launchBrowser();
  });
  after(async () => {
    await browser?.close().catch(() => undefined);
    browser = undefined;
    await trustServer?.stop().catch(() => undefined);
    if (trustWs) fs.rmSync(trustWs, { recursive: true, force: true });
  });

  test('browsing works; running asks once in a modal: Cancel refuses (message in the figure), Run Model runs', async () => {
    await inWindow(
      'restricted',
      async (page) => {
        await wb.runCommand(page, 'LayerLens: Explain Layer');
        await chooseQuickPick(page, MODEL);
        await quickRows(page).filter({ hasText: 'features.conv2' }).first().waitFor({ state: 'visible' });
        await chooseQuickPick(page, 'features.conv2', { filter: 'conv2' });
        const { ui } = await inspector(page);
        await assertLayerTree(ui, 'features.conv2'); // parsing the model needs no trust
        await pickInput(page, ui, path.join(trustWs, IMAGE));

        const dialog = page.locator('.monaco-dialog-box');
        await dialog.waitFor({ state: 'visible' });
        assert.match(await dialog.textContent(), /Run this model in an untrusted workspace\?/);
        await shot(page, 'restricted-modal');
        await dialog.locator('.monaco-button', { hasText: 'Cancel' }).click();
        await dialog.waitFor({ state: 'hidden' });
        // One answer for the whole action: the predictions and the attribution after them are both refused.
        await ui.locator('#banner', { hasText: 'Restricted Mode' }).waitFor({ state: 'visible' });
        await ui.locator('#figure-current .ll-message', { hasText: 'Restricted Mode' }).waitFor({ state: 'visible' });
        await sleep(500);
        assert.equal(await dialog.count(), 0, 'no second dialog for the same action');
        await shot(page, 'restricted-declined');
        await sleep(1000); // past the hold: the next action asks again

        // A new request asks again; this time the user runs it, and the heat map appears.
        await ui.locator('#layer-tree [role="treeitem"][data-id="features.conv1"]').click();
        await dialog.waitFor({ state: 'visible' });
        await dialog.locator('.monaco-button', { hasText: 'Run Model' }).click();
        const s = await waitForHeatmap(ui, (x) => x.title === 'features.conv1');
        assert.match(s.subtitle, /layer output/);
        // Consent holds for the session: another layer runs without a dialog.
        await ui.locator('#layer-tree [role="treeitem"][data-id="features.conv2"]').click();
        await waitForHeatmap(ui, (x) => x.title === 'features.conv2');
        assert.equal(await dialog.count(), 0, 'no second dialog after consent');
      },
      { server: trustServer },
    );
  });
});

