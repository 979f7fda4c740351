// Channel sums, channel ranking and 1-D maps from attribution tensors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AttributionTensor, channelAxisOf, channelCount, channelMap, channelTotals, channelVector, exampleCount, summedMap, thumbnailMap, tokenGrid, topChannels } from '../../../webview/heatmap/tensorMap';
import { THUMB_SIDE, channelPlane, packThumbnails, reduceForDisplay, unpackThumbnails } from '../../../src/shared/displayTensor';

/** [N=2, C=3, H=2, W=2] with value = 1000n + 100c + 10h + w. */
const nchw = { dims: [2, 3, 2, 2], data: Float32Array.from({ length: 24 }, (_v, i) => 1000 * Math.floor(i / 12) + 100 * (Math.floor(i / 4) % 3) + 10 * (Math.floor(i / 2) % 2) + (i % 2)) };

describe('summedMap', () => {
  it('sums over C for example i of [N, C, H, W]', () => {
    const m0 = summedMap(nchw, 0, 'channels-first');
    assert.deepEqual([m0.spatial, m0.width, m0.height], [true, 2, 2]);
    // Σ_c (100c + 10h + w) = 300 + 3(10h + w)
    assert.deepEqual(Array.from(m0.values), [300, 303, 330, 333]);
    const m1 = summedMap(nchw, 1, 'channels-first');
    assert.deepEqual(Array.from(m1.values), [3300, 3303, 3330, 3333]);
  });

  it('sums the last axis of [N, H, W, C] when channels are last', () => {
    // Same numbers laid out NHWC.
    const data = new Float32Array(24);
    for (let n = 0; n < 2; n++) for (let c = 0; c < 3; c++) for (let h = 0; h < 2; h++) for (let w = 0; w < 2; w++) data[((n * 2 + h) * 2 + w) * 3 + c] = nchw.data[((n * 3 + c) * 2 + h) * 2 + w];
    const m = summedMap({ dims: [2, 2, 2, 3], data }, 1, 'channels-last');
    assert.deepEqual(Array.from(m.values), [3300, 3303, 3330, 3333]);
    assert.equal(channelCount([2, 2, 2, 3], 'channels-last'), 3);
  });

  it('folds depth into channels for [N, C, D, H, W]', () => {
    const t = { dims: [1, 2, 3, 1, 2], data: Float32Array.from({ length: 12 }, (_v, i) => i) };
    const m = summedMap(t, 0, 'channels-first');
    assert.deepEqual([m.width, m.height], [2, 1]);
    assert.deepEqual(Array.from(m.values), [0 + 2 + 4 + 6 + 8 + 10, 1 + 3 + 5 + 7 + 9 + 11]);
    assert.equal(channelCount(t.dims, 'channels-first'), 6);
  });

  it('gives 1-D maps for [N, F] and [N, C, L]', () => {
    const fc = summedMap({ dims: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }, 1, 'channels-first');
    assert.deepEqual([fc.spatial, fc.width, fc.height, ...fc.values], [false, 3, 1, 4, 5, 6]);
    const seq = summedMap({ dims: [1, 2, 3], data: Float32Array.from([1, 2, 3, 10, 20, 30]) }, 0, 'channels-first');
    assert.deepEqual([seq.spatial, seq.width, ...seq.values], [false, 3, 11, 22, 33]);
  });

  it('refuses an example out of range', () => {
    assert.throws(() => summedMap(nchw, 2, 'channels-first'), RangeError);
    assert.equal(exampleCount(nchw.dims), 2);
  });
});

describe('channels', () => {
  it('ranks channels by Σ|attribution|', () => {
    const t = { dims: [1, 4, 1, 2], data: Float32Array.from([1, -1, -5, 0, 2, 2, 0.5, 0.5]) };
    assert.deepEqual(Array.from(channelTotals(t, 0, 'channels-first')), [2, 5, 4, 1]);
    assert.deepEqual(topChannels(channelTotals(t, 0, 'channels-first'), 3), [1, 2, 0]);
    assert.deepEqual(Array.from(channelMap(t, 0, 1, 'channels-first').values), [-5, 0]);
  });

  it('gives one bar per channel (its mean) for per-channel results, channels first or last', () => {
    const v = channelVector(nchw, 1, 'channels-first');
    assert.deepEqual([v.spatial, v.width, v.height], [false, 3, 1]);
    // mean over (h, w) of 1000 + 100c + 10h + w = 1000 + 100c + 5.5
    assert.deepEqual(Array.from(v.values), [1005.5, 1105.5, 1205.5]);
    const nhwc = { dims: [1, 1, 2, 2], data: Float32Array.of(1, 2, 3, 4) };
    assert.deepEqual(Array.from(channelVector(nhwc, 0, 'channels-last').values), [2, 3]);
  });

  it('breaks ties by channel number', () => {
    assert.deepEqual(topChannels(Float64Array.from([1, 3, 3, 0]), 4), [1, 2, 0, 3]);
  });
});

describe('display form of a large tensor (src/shared/displayTensor.ts)', () => {
  const rand = (() => {
    let s = 9;
    return () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  })();
  for (const layout of ['channels-first', 'channels-last'] as const)
    it(`${layout}: the same maps, totals and top channels as the whole tensor, at a fraction of the bytes`, () => {
      const [n, c, h, w] = [2, 40, 64, 64];
      const dims = layout === 'channels-first' ? [n, c, h, w] : [n, h, w, c];
      const data = Float32Array.from({ length: n * c * h * w }, () => rand() * (rand() > 0.9 ? 5 : 1));
      const whole: AttributionTensor = { dims, data };
      const small = reduceForDisplay(dims, data, layout === 'channels-last')!;
      assert.ok(small, 'reduced');
      const shown: AttributionTensor = { dims, data: small.data, reduced: small.reduced };
      // Each example's top 12 channels (their union), for every example.
      const k = small.reduced.channels.length;
      assert.ok(k >= 12 && k <= 24 && small.data.length === n * k * h * w, `${k} channels kept, ${small.data.length} of ${data.length} values`);
      for (let e = 0; e < n; e++) {
        const a = summedMap(whole, e, layout);
        const b = summedMap(shown, e, layout);
        assert.equal(b.width, a.width);
        assert.equal(b.height, a.height);
        a.values.forEach((v, i) => assert.ok(Math.abs(v - b.values[i]) <= 1e-5 * (1 + Math.abs(v)), `sum at ${i}`));
        const ta = channelTotals(whole, e, layout);
        const tb = channelTotals(shown, e, layout);
        ta.forEach((v, i) => assert.ok(Math.abs(v - tb[i]) <= 1e-4 * (1 + v), `total of channel ${i}`));
        // Every top channel the tile grid asks for is there, equal to the whole tensor's.
        for (const ch of topChannels(tb, 12)) assert.deepEqual(Array.from(channelMap(shown, e, ch, layout).values), Array.from(channelMap(whole, e, ch, layout).values), `channel ${ch}`);
      }
      const missing = Array.from({ length: c }, (_v, i) => i).find((i) => !small.reduced.channels.includes(i))!;
      assert.throws(() => channelMap(shown, 0, missing, layout), /not among the top channels/);
    });
  it('a large map: its channels are sent as thumbnails (block peaks); the full channel comes from channelPlane', () => {
    const dims = [1, 16, 288, 288];
    const data = Float32Array.from({ length: 16 * 288 * 288 }, () => rand());
    const small = reduceForDisplay(dims, data, false)!;
    assert.deepEqual(small.reduced.thumb, { width: 144, height: 144 });
    const shown: AttributionTensor = { dims, data: small.data, reduced: small.reduced };
    const whole: AttributionTensor = { dims, data };
    const ch = small.reduced.channels[3];
    const thumb = channelMap(shown, 0, ch, 'channels-first');
    const expected = thumbnailMap(channelMap(whole, 0, ch, 'channels-first'), THUMB_SIDE);
    assert.deepEqual([thumb.width, thumb.height], [expected.width, expected.height]);
    thumb.values.forEach((v, i) => assert.ok(Math.abs(v - expected.values[i]) <= 1e-6, `thumbnail at ${i}`));
    assert.deepEqual(Array.from(channelPlane(dims, data, false, 0, ch)), Array.from(channelMap(whole, 0, ch, 'channels-first').values).map(Math.fround));
  });
  it('small tensors, few channels and other ranks go whole', () => {
    assert.equal(reduceForDisplay([1, 64, 8, 8], new Float32Array(64 * 64), false), undefined);
    assert.equal(reduceForDisplay([1, 8, 256, 256], new Float32Array(8 * 256 * 256), false), undefined);
    assert.equal(reduceForDisplay([1, 64, 4096], new Float32Array(64 * 4096), false), undefined);
  });
});

describe('thumbnailMap', () => {
  it('keeps the signed value of largest magnitude of each block, so the scale is the map’s', () => {
    const values = Float64Array.from({ length: 16 }, (_v, i) => (i === 5 ? -9 : i === 10 ? 7 : i / 10));
    const t = thumbnailMap({ spatial: true, width: 4, height: 4, values }, 2);
    assert.deepEqual([t.width, t.height], [2, 2]);
    assert.deepEqual(Array.from(t.values), [-9, 0.7, 1.3, 7]);
  });
  it('draws a 1-D map as a band a quarter as high as it is wide (not a hairline)', () => {
    const t = thumbnailMap({ spatial: false, width: 8, height: 1, values: Float64Array.from([1, -2, 3, 0, 0, 0, 0, 5]) }, 144);
    assert.deepEqual([t.width, t.height], [8, 2]);
    assert.deepEqual(Array.from(t.values.subarray(8)), [1, -2, 3, 0, 0, 0, 0, 5]);
  });
  it('leaves a map within the size as it is, and covers ragged edges', () => {
    const m = { spatial: true, width: 3, height: 2, values: new Float64Array(6) };
    assert.equal(thumbnailMap(m, 4), m);
    const r = thumbnailMap({ spatial: true, width: 5, height: 5, values: Float64Array.from({ length: 25 }, (_v, i) => i) }, 2);
    assert.deepEqual([r.width, r.height], [2, 2]);
    assert.equal(r.values[3], 24);
  });
});

describe("a vision transformer's tokens", () => {
  // [N=1, T=1+4·4, D=8]: token k, feature f holds 100k + f; token 0 is the class token.
  const dims = [1, 17, 8];
  const data = Float32Array.from({ length: 17 * 8 }, (_v, i) => 100 * Math.floor(i / 8) + (i % 8));
  const t: AttributionTensor = { dims, data };
  it('are recognised when T is s² or s² + 1 patches that tile the image, D ≥ 8', () => {
    assert.equal(tokenGrid([1, 197, 768], { width: 224, height: 224 }), 14);
    assert.equal(tokenGrid([1, 196, 768], { width: 224, height: 224 }), 14);
    assert.equal(tokenGrid(dims, { width: 32, height: 32 }), 4);
    assert.equal(tokenGrid([1, 197, 768], undefined), undefined, 'no image: no grid');
    assert.equal(tokenGrid([1, 50, 768], { width: 224, height: 224 }), 7, 'ViT-B/32: 7² + 1 tokens');
    assert.equal(tokenGrid([1, 10, 768], { width: 224, height: 224 }), undefined, 'a 3 × 3 grid is too coarse to be patches');
    assert.equal(tokenGrid([1, 197, 4], { width: 224, height: 224 }), undefined, 'too few features');
    assert.equal(tokenGrid([1, 197, 768], { width: 225, height: 225 }), undefined, 'patches must tile the image');
  });
  it('are drawn as the patch grid (class token left out), summed over D; a channel is one feature', () => {
    const m = summedMap(t, 0, 'tokens');
    assert.deepEqual([m.spatial, m.width, m.height], [true, 4, 4]);
    // Token k (1..16) sums to 8·100k + 28.
    assert.deepEqual(Array.from(m.values), Array.from({ length: 16 }, (_v, p) => 800 * (p + 1) + 28));
    assert.deepEqual(Array.from(channelMap(t, 0, 3, 'tokens').values), Array.from({ length: 16 }, (_v, p) => 100 * (p + 1) + 3));
    assert.equal(channelCount(dims, 'tokens'), 8);
    assert.equal(channelAxisOf(dims, 'tokens'), 2);
  });
});

describe('packThumbnails', () => {
  it('8 bits per value, each thumbnail to its own peak: within 1/254 of it, the peak and zeros exact', () => {
    const cell = 6;
    const data = Float32Array.of(0.5, -2, 1e-3, 0, 1.999, -0.7, /* all zero */ 0, 0, 0, 0, 0, 0, /* tiny */ 3e-9, -1e-9, 0, 2e-9, 1e-9, -3e-9);
    const p = packThumbnails(data, cell);
    assert.deepEqual(Array.from(p.scales), [2, 0, Math.fround(3e-9)]);
    assert.equal(p.q.length, data.length);
    const back = unpackThumbnails(p);
    for (let k = 0; k < 3; k++)
      for (let i = 0; i < cell; i++) assert.ok(Math.abs(back[k * cell + i] - data[k * cell + i]) <= p.scales[k] / 254 + 1e-12, `${k}/${i}: ${back[k * cell + i]} vs ${data[k * cell + i]}`);
    assert.equal(back[1], -2, 'the peak exactly (sign kept)');
    assert.deepEqual(Array.from(back.subarray(6, 12)), [0, 0, 0, 0, 0, 0]);
    assert.equal(back[12], Math.fround(3e-9));
    assert.deepEqual(unpackThumbnails(packThumbnails(new Float32Array(0), 4)), new Float32Array(0));
  });
});
