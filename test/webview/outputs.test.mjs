// The Predictions panel by output role, in real Chromium: a detector's ranked detections, a segmentation's
// "class c where it wins", an image output's dragged box — each control sets the target, the request carries it
// (checked by the real protocol validator in the fake host), and the heat map shows where the target lies.
// Run: node --test test/webview/outputs.test.mjs
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RESULTS, buildBundles, launchPage, skip, startServer } from './server.mjs';


describe('Predictions panel by output role, in Chromium', { skip }, () => {
  let browser;
  let server;
  let page;
  const problems = [];

  const requests = () => page.evaluate(() => window.fakeHost.requests('attribute').map((m) => m.params));
  const lastTarget = async () => (await requests()).at(-1)?.target;
  /** Waits for an attribute request after `count` requests, and for the figure to settle. */
  const nextAttribute = async (count) => {
    await page.waitForFunction((n) => window.fakeHost.requests('attribute').length > n, count);
    await page.waitForFunction(() => !document.querySelector('.ll-status.is-busy') && !document.querySelector('#figure-current.stale'));
    return lastTarget();
  };
  const count = () => page.evaluate(() => window.fakeHost.requests('attribute').length);
  const badge = () => page.locator('#predictions-role').innerText();
  const shot = (name) => page.screenshot({ path: path.join(RESULTS, `webview-${name}.png`) });
  /** Loads a model of the fake host, with layer3 selected, and waits for its first attribution. */
  const useModel = async (name) => {
    await page.evaluate((m) => window.fakeHost.useModel(m), name);
    await page.waitForFunction((m) => document.querySelector('#model-name')?.textContent?.includes(m), name === 'classifier' ? 'resnet18' : name);
    await page.waitForSelector('.ll-tree-row[data-id="layer3"]');
    const n = await count();
    await page.locator('.ll-tree-row[data-id="layer3"]').click();
    return nextAttribute(n);
  };
  const outline = () =>
    page.evaluate(() => {
      const o = document.querySelector('#figure-current .ll-figure-outline');
      const c = document.querySelector('#figure-current canvas.ll-canvas').getBoundingClientRect();
      if (!o || o.hidden) return undefined;
      const r = o.getBoundingClientRect();
      return [(r.left - c.left) / c.width, (r.top - c.top) / c.height, (r.right - c.left) / c.width, (r.bottom - c.top) / c.height].map((v) => Math.round(v * 100) / 100);
    });

  before(async () => {
    const bundles = await buildBundles();
    let url;
    ({ server, url } = await startServer(bundles));
    ({ browser, page } = await launchPage(problems));
    await page.goto(url);
    await page.waitForSelector('.ll-pred');
    const n = await count();
    await page.locator('.ll-tree-row[data-id="layer3"]').click();
    await nextAttribute(n);
  });

  after(async () => {
    await browser?.close();
    server?.close();
  });

  it('a classifier says so and lists its classes', async () => {
    assert.equal(await badge(), 'classifier');
    assert.equal(await page.locator('#predictions .ll-pred').count(), 5);
  });

  it('detector: a ranked list of detections with their boxes; the top one is the target, a click targets (anchor, class)', async () => {
    const first = await useModel('detector');
    assert.equal(await badge(), 'detector');
    assert.deepEqual(first, { kind: 'tuple', tuple: [27, 1] }, 'the automatic target is the top detection');
    const rows = page.locator('#detections .ll-det');
    assert.equal(await rows.count(), 3);
    assert.match(await rows.first().innerText(), /circle · anchor 27\s+0\.97/);
    assert.equal(await page.locator('#detections-picture .ll-out-boxes .ll-out-box').count(), 3, 'one box per detection over the input');
    assert.deepEqual(await outline(), [0.1, 0.2, 0.45, 0.6], "the heat map outlines the detection's box");
    assert.match(await page.locator('#target-status').innerText(), /detection: circle at anchor 27 \(score 0\.97\).*follows the top detection/);
    assert.match(await page.locator('#predictions-note').innerText(), /scores \[1, 64, 4\] \+ boxes 'boxes' · probabilities · best class per anchor except 'background'/);

    let n = await count();
    await rows.nth(1).click();
    assert.deepEqual(await nextAttribute(n), { kind: 'tuple', tuple: [40, 3] });
    assert.equal(await page.locator('#target-field').evaluate((el) => el.value), '(40,3)', 'the target field accepts it');
    assert.equal(await page.locator('#target-status.error').count(), 0);
    assert.equal(await rows.nth(1).getAttribute('aria-pressed'), 'true');
    assert.deepEqual(await outline(), [0.55, 0.5, 0.9, 0.85]);
    assert.match(await page.locator('#figure-current .ll-figure-subtitle').innerText(), /^target \(40,3\)/);
    await shot('detector');

    // A click on a box in the picture chooses its detection.
    n = await count();
    const pic = await page.locator('#detections-picture').boundingBox();
    await page.mouse.click(pic.x + pic.width * 0.72, pic.y + pic.height * 0.15);
    assert.deepEqual(await nextAttribute(n), { kind: 'tuple', tuple: [9, 2] });
  });

  it("detector: the box output points to the score output's detections", async () => {
    await page.click('#output-select');
    await page.locator('#output-select li[role="option"]', { hasText: /^\s*boxes/ }).click();
    await page.waitForFunction(() => document.querySelector('#predictions-role')?.textContent === 'detector boxes');
    assert.match(await page.locator('#figure-current').innerText(), /switch Output to 'scores'/);
    const n = await count();
    await page.click('#show-detections');
    assert.deepEqual(await nextAttribute(n), { kind: 'tuple', tuple: [27, 1] });
    assert.equal(await badge(), 'detector');
  });

  it('segmentation: a legend of classes; one click targets "class c where it wins" as a mask of its winning pixels', async () => {
    const first = await useModel('segmenter');
    assert.equal(await badge(), 'segmentation');
    const seg = await page.evaluate(() => ({ data: [...window.fakeHost.segClassMap.data], pixels: window.fakeHost.segClassMap.pixels }));
    /** The mask the request carried, checked against the class map: ones exactly at class c's winning pixels. */
    const checkMask = (target, c) => {
      assert.equal(target.kind, 'mask');
      assert.deepEqual(target.mask.dims, [1, 4, 56, 56]);
      const data = target.mask.data;
      const plane = 56 * 56;
      let ones = 0;
      for (let i = 0; i < data.length; i++) {
        const expected = Math.floor(i / plane) === c && seg.data[i % plane] === c ? 1 : 0;
        if (data[i] !== expected) assert.fail(`mask element ${i} is ${data[i]}, expected ${expected}`);
        ones += data[i];
      }
      assert.equal(ones, seg.pixels[c]);
    };
    const maskOf = (t) => ({ ...t, mask: { dims: t.mask.dims, data: Object.values(t.mask.data) } });
    // The largest class that is not the background starts as the target.
    const largest = [1, 2, 3].sort((a, b) => seg.pixels[b] - seg.pixels[a])[0];
    checkMask(maskOf(first), largest);
    const legend = page.locator('#class-legend .ll-legend-item');
    assert.equal(await legend.count(), 4);
    assert.equal(await legend.first().getAttribute('data-class'), '0', 'sorted by share: the background first');
    assert.match(await page.locator('#target-status').innerText(), /where it wins.*follows the largest class/);

    let n = await count();
    await page.locator('#class-legend .ll-legend-item[data-class="2"]').click();
    checkMask(maskOf(await nextAttribute(n)), 2);
    assert.match(await page.locator('#target-status').innerText(), /^square where it wins: the sum of class 2's logits over the pixels where it is the top class \(324 in this example\)/);
    assert.match(await page.locator('#figure-current .ll-figure-subtitle').innerText(), /^target square where it wins · layer output/);
    assert.equal(await page.locator('#class-legend .ll-legend-item[data-class="2"]').getAttribute('aria-pressed'), 'true');
    await shot('segmentation');

    // A click on the map picks the class winning there (the circle around (16, 18)).
    n = await count();
    const map = await page.locator('#class-map').boundingBox();
    await page.mouse.click(map.x + (16.5 / 56) * map.width, map.y + (18.5 / 56) * map.height);
    checkMask(maskOf(await nextAttribute(n)), 1);

    // The filmstrip attributes every layer to the same target: the circle's mask.
    n = await count();
    await page.click('#filmstrip-toggle');
    await page.waitForFunction((k) => window.fakeHost.requests('attribute').length > k && document.querySelectorAll('#filmstrip-strip .ll-film').length > 0, n);
    const film = (await requests()).findLast((r) => r.purpose === 'filmstrip');
    checkMask(maskOf(film.target), 1);
    assert.match(await page.locator('#filmstrip-legend').innerText(), /target circle where it wins · layer outputs/);
    await page.click('#filmstrip-toggle');

    // Typing a SPEC replaces the region target.
    n = await count();
    await page.locator('#target-field input').fill('(1, 10, 10)');
    await page.locator('#target-field input').press('Enter');
    assert.deepEqual(await nextAttribute(n), { kind: 'tuple', tuple: [1, 10, 10] });
    assert.equal(await page.locator('#class-legend .ll-legend-item[aria-pressed="true"]').count(), 0);
  });

  it('image output: shows the output; a dragged box or a clicked pixel becomes the target, outlined on the heat map', async () => {
    const first = await useModel('superres');
    assert.equal(await badge(), 'image');
    assert.deepEqual(first, { kind: 'box', box: [{}, {}, {}] }, 'the whole output to start with');
    assert.match(await page.locator('#target-status').innerText(), /the whole output image, summed/);
    const pic = await page.locator('#output-image').boundingBox();
    const at = (x, y) => [pic.x + ((x + 0.5) / 96) * pic.width, pic.y + ((y + 0.5) / 96) * pic.height];
    let n = await count();
    await page.mouse.move(...at(48, 24));
    await page.mouse.down();
    await page.mouse.move(...at(60, 30), { steps: 4 });
    await page.mouse.move(...at(71, 47), { steps: 4 });
    await page.mouse.up();
    assert.deepEqual(await nextAttribute(n), { kind: 'box', box: [0, { start: 24, stop: 48 }, { start: 48, stop: 72 }] });
    assert.equal(await page.locator('#target-field').evaluate((el) => el.value), '(0,24:48,48:72)');
    assert.match(await page.locator('#output-image-caption').innerText(), /^Target: rows 24–47, columns 48–71 \(576 pixels, summed\)/);
    assert.deepEqual(await outline(), [0.5, 0.25, 0.75, 0.5], 'the box, mapped onto the input');
    assert.equal(await page.locator('#output-image .ll-out-box.chosen').count(), 1);
    await shot('image-output');

    n = await count();
    await page.mouse.click(...at(10, 80));
    assert.deepEqual(await nextAttribute(n), { kind: 'tuple', tuple: [0, 80, 10] });
    assert.match(await page.locator('#target-status').innerText(), /output pixel y 80, x 10/);
  });

  it('back to the classifier: its list and class targets', async () => {
    const t = await useModel('classifier');
    assert.equal(t.kind, 'index');
    assert.equal(await badge(), 'classifier');
  });

  it('sent only messages the protocol accepts, and logged no errors', async () => {
    assert.deepEqual(await page.evaluate(() => window.fakeHost.invalid), []);
    assert.deepEqual(problems, []);
  });
});
