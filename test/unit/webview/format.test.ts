// How numbers, counts and names are shown.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatCount, formatMs, formatShape, formatValue, safeFileName } from '../../../webview/format';

describe('format', () => {
  it('shows attribution values with 3 significant digits', () => {
    assert.equal(formatValue(0), '0');
    assert.equal(formatValue(0.0676123), '0.0676');
    assert.equal(formatValue(-1.23456), '-1.23');
    assert.equal(formatValue(1.5e-5), '1.5e-5');
    assert.equal(formatValue(-2.346e-7), '-2.35e-7');
    assert.equal(formatValue(123456), '1.23e5');
    assert.equal(formatValue(Number.NaN), 'NaN');
  });

  it('shortens parameter counts', () => {
    assert.deepEqual([0, 999, 1000, 9408, 147968, 1_180_000, 11_689_512, 2.5e9].map(formatCount), ['0', '999', '1k', '9.4k', '148k', '1.2M', '12M', '2.5G']);
  });

  it('prints shapes, durations and safe file names', () => {
    assert.equal(formatShape([1, 'N', null, 7]), '[1, N, ?, 7]');
    assert.equal(formatShape(undefined), '?');
    assert.equal(formatMs(3.21), '3.2 ms');
    assert.equal(formatMs(45.6), '46 ms');
    assert.equal(formatMs(1234), '1.23 s');
    assert.equal(safeFileName('layer1.0/conv 1:x'), 'layer1.0_conv_1_x');
    assert.equal(safeFileName('///'), 'layer');
  });
});
