import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gridColumns } from '../../../webview/gridColumns';

describe('gridColumns', () => {
  it('leaves no single tile alone in the last row', () => {
    for (let n = 2; n <= 60; n++) {
      const c = gridColumns(n);
      const last = n % c || c;
      assert.ok(last >= 2, `${n} tiles in ${c} columns leave ${last} in the last row`);
      assert.ok(c <= 7);
    }
  });

  it('13 tiles (12 channels and the sum) are 7 + 6; 12 are two rows of 6', () => {
    assert.equal(gridColumns(13), 7);
    assert.equal(gridColumns(12), 6);
    assert.equal(gridColumns(5), 5);
  });
});
