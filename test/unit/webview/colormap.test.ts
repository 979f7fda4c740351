// Colormap endpoints, Captum's defaults per sign, matplotlib's lookup rule.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { colorAt, colormapLut, COLORMAPS, defaultColormap, lutIndex, parseColor, resolveColormap, valueRange } from '../../../webview/heatmap/colormap';

const hex = (lut: Uint8Array, i: number) => '#' + Array.from(lut.subarray(i * 3, i * 3 + 3), (c) => c.toString(16).padStart(2, '0')).join('');

describe('colormaps', () => {
  it('has ColorBrewer / matplotlib endpoints', () => {
    const ends: Record<string, [string, string]> = {
      Greens: ['#f7fcf5', '#00441b'],
      Reds: ['#fff5f0', '#67000d'],
      Blues: ['#f7fbff', '#08306b'],
      viridis: ['#440154', '#fde725'],
      magma: ['#000004', '#fcfdbf'],
      RdBu: ['#67001f', '#053061'],
      RdYlGn: ['#a50026', '#006837'],
      gray: ['#000000', '#ffffff'],
      RdWhGn: ['#ff0000', '#008000'],
    };
    for (const [name, [lo, hi]] of Object.entries(ends)) {
      const lut = colormapLut(name as never);
      assert.equal(hex(lut, 0), lo, `${name}(0)`);
      assert.equal(hex(lut, 255), hi, `${name}(1)`);
    }
  });

  it("Captum's RdWhGn is white in the middle", () => {
    const lut = colormapLut('RdWhGn');
    // entries 127 and 128 straddle the white stop at 0.5: red side, then green side
    assert.deepEqual(Array.from(lut.subarray(127 * 3, 128 * 3)), [255, 254, 254]);
    assert.deepEqual(Array.from(lut.subarray(128 * 3, 129 * 3)), [254, 255, 254]);
  });

  it('every colormap builds 256 RGB entries', () => {
    for (const name of COLORMAPS) assert.equal(colormapLut(name).length, 768, name);
  });

  it("uses Captum's default per sign and its value range", () => {
    assert.equal(defaultColormap('all'), 'RdWhGn');
    assert.equal(defaultColormap('positive'), 'Greens');
    assert.equal(defaultColormap('negative'), 'Reds');
    assert.equal(defaultColormap('absolute_value'), 'Blues');
    assert.equal(resolveColormap('viridis', 'all'), 'viridis');
    assert.equal(resolveColormap('default', 'negative'), 'Reds');
    assert.deepEqual(valueRange('all'), [-1, 1]);
    assert.deepEqual(valueRange('positive'), [0, 1]);
  });

  it("looks up like matplotlib: floor(t·256), 1.0 → last, below 0 and NaN → first", () => {
    assert.equal(lutIndex(0), 0);
    assert.equal(lutIndex(1), 255);
    assert.equal(lutIndex(0.5), 128);
    assert.equal(lutIndex(0.999), 255);
    assert.equal(lutIndex(-0.2), 0);
    assert.equal(lutIndex(1.7), 255);
    assert.equal(lutIndex(Number.NaN), 0);
    const lut = colormapLut('RdWhGn');
    assert.deepEqual(colorAt(lut, -1, -1, 1), [255, 0, 0]);
    assert.deepEqual(colorAt(lut, 1, -1, 1), [0, 128, 0]);
  });

  it("parses d3's colour strings", () => {
    assert.deepEqual(parseColor('#0a0b0c'), [10, 11, 12]);
    assert.deepEqual(parseColor('rgb(1, 2, 3)'), [1, 2, 3]);
    assert.throws(() => parseColor('hsl(1,2,3)'));
  });
});
