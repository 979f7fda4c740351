// Captum's visualize_image_attr methods as pixels.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { colormapLut } from '../../../webview/heatmap/colormap';
import { DEFAULT_DISPLAY, type DisplayOptions, greyBackground, HeatmapOverlay } from '../../../webview/heatmap/overlay';

const map2 = { spatial: true, width: 2, height: 1, values: Float64Array.from([-2, 4]) };
const image2 = { width: 2, height: 1, rgba: Uint8Array.from([200, 100, 0, 255, 10, 20, 30, 255]) };
const opts = (o: Partial<DisplayOptions>): DisplayOptions => ({ ...DEFAULT_DISPLAY, outlierPerc: 0, ...o });
const px = (rgba: Uint8ClampedArray, i: number) => Array.from(rgba.subarray(i * 4, i * 4 + 4));

describe('HeatmapOverlay', () => {
  it('heat_map: colour of the normalised value, threshold in attribution units', () => {
    const f = new HeatmapOverlay(map2, image2).render(opts({ method: 'heat_map', sign: 'all' }));
    assert.equal(f.threshold, 4);
    assert.equal(f.colormap, 'RdWhGn');
    // -2/4 = -0.5 → t = 0.25 → entry 64; 1 → entry 255
    const lut = colormapLut('RdWhGn');
    assert.deepEqual(px(f.rgba, 0), [...lut.subarray(64 * 3, 65 * 3), 255]);
    assert.deepEqual(px(f.rgba, 1), [0, 128, 0, 255]);
  });

  it('blended_heat_map: alpha · heat + (1 − alpha) · autoscaled grey', () => {
    const f = new HeatmapOverlay(map2, image2).render(opts({ method: 'blended_heat_map', sign: 'positive', opacity: 0.25 }));
    // grey: means 100 and 20 → autoscaled to 255 and 0; positive: norm [0, 1] with Greens
    const g = colormapLut('Greens');
    const u8 = (...v: number[]) => Array.from(Uint8ClampedArray.from(v)); // rounds half to even, as canvas pixels do
    assert.deepEqual(px(f.rgba, 0), u8(0.25 * g[0] + 0.75 * 255, 0.25 * g[1] + 0.75 * 255, 0.25 * g[2] + 0.75 * 255, 255));
    assert.deepEqual(px(f.rgba, 1), u8(0.25 * g[765], 0.25 * g[766], 0.25 * g[767], 255));
  });

  it('masked_image: image · norm, truncated', () => {
    const f = new HeatmapOverlay(map2, image2).render(opts({ method: 'masked_image', sign: 'negative' }));
    assert.equal(f.threshold, -2);
    assert.deepEqual(px(f.rgba, 0), [200, 100, 0, 255]);
    assert.deepEqual(px(f.rgba, 1), [0, 0, 0, 255]);
    const half = new HeatmapOverlay({ ...map2, values: Float64Array.from([1, 3]) }, image2).render(opts({ method: 'masked_image', sign: 'absolute_value' }));
    assert.deepEqual(px(half.rgba, 0), [66, 33, 0, 255]); // 200/3 = 66.7 → 66
  });

  it('alpha_scaling: the image with alpha = norm · 255', () => {
    const f = new HeatmapOverlay(map2, image2).render(opts({ method: 'alpha_scaling', sign: 'absolute_value' }));
    assert.deepEqual(px(f.rgba, 0), [200, 100, 0, 127]); // 0.5 · 255 = 127.5 → 127
    assert.deepEqual(px(f.rgba, 1), [10, 20, 30, 255]);
  });

  it('refuses masked_image and alpha_scaling with sign all, as Captum does', () => {
    const f = new HeatmapOverlay(map2, image2).render(opts({ method: 'masked_image', sign: 'all' }));
    assert.match(f.error ?? '', /needs one sign/);
  });

  it('upsamples to the image size before normalising; native resolution normalises on the layer grid', () => {
    const map = { spatial: true, width: 2, height: 2, values: Float64Array.from([0, 1, 2, 3]) };
    const img = { width: 4, height: 4, rgba: new Uint8Array(64).fill(128) };
    const ov = new HeatmapOverlay(map, img);
    const bil = ov.render(opts({ method: 'heat_map', upsampling: 'bilinear', sign: 'positive' }));
    assert.deepEqual([bil.width, bil.height, bil.gridWidth, bil.threshold], [4, 4, 4, 3]);
    const nat = ov.render(opts({ method: 'heat_map', nativeResolution: true, sign: 'positive', outlierPerc: 50 }));
    // sorted 0 1 2 3, running sums 0 1 3 6: the first to reach 50% (3) is at index 2 → threshold 2
    assert.deepEqual([nat.width, nat.gridWidth, nat.threshold], [4, 2, 2]);
    assert.deepEqual(px(nat.rgba, 0), px(nat.rgba, 5)); // one layer cell covers 2×2 image pixels
  });

  it('draws a 1-D map without the image', () => {
    const f = new HeatmapOverlay({ spatial: false, width: 3, height: 1, values: Float64Array.from([1, -1, 0]) }, image2).render(opts({ method: 'blended_heat_map' }));
    assert.deepEqual([f.width, f.height, f.method], [3, 1, 'heat_map']);
  });

  it('greyBackground autoscales the channel mean to 0..255', () => {
    const g = greyBackground({ width: 3, height: 1, rgba: Uint8Array.from([0, 0, 0, 255, 30, 30, 30, 255, 60, 60, 60, 255]) });
    assert.deepEqual(Array.from(g), [0, 128, 255]);
  });
});
