// The target field's syntax (the CLI's): parse, format, check against the output shape.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkTarget, classOf, formatTarget, parseTarget } from '../../../webview/targetSpec';

describe('parseTarget / formatTarget', () => {
  const cases: [string, unknown][] = [
    ['', { kind: 'none' }],
    ['3', { kind: 'index', index: 3 }],
    ['-1', { kind: 'index', index: -1 }],
    ['3,1, 2', { kind: 'perExample', indices: [3, 1, 2] }],
    ['(0,1,1)', { kind: 'tuple', tuple: [0, 1, 1] }],
    ['(0, 1, 1), (1,1,0)', { kind: 'tuples', tuples: [[0, 1, 1], [1, 1, 0]] }],
  ];
  for (const [text, spec] of cases)
    it(`reads '${text}'`, () => {
      assert.deepEqual(parseTarget(text), spec);
      assert.deepEqual(parseTarget(formatTarget(spec as never)), spec);
    });

  it('explains what it cannot read', () => {
    for (const bad of ['a', '1,,2', '(1,2', '(1,2),', '(1,2),(3)', '1.5', '99999999999'])
      assert.equal(typeof parseTarget(bad), 'string', bad);
  });
});

describe('checkTarget', () => {
  it('checks classes against a [N, K] output', () => {
    assert.equal(checkTarget({ kind: 'index', index: 9 }, [1, 10], 1), null);
    assert.match(checkTarget({ kind: 'index', index: 10 }, [1, 10], 1) ?? '', /out of range/);
    assert.equal(checkTarget({ kind: 'index', index: -10 }, [1, 10], 1), null);
    assert.match(checkTarget({ kind: 'perExample', indices: [1] }, [2, 10], 2) ?? '', /1 targets for 2 examples/);
  });

  it('asks for a tuple on dense outputs and checks each axis', () => {
    assert.match(checkTarget({ kind: 'index', index: 1 }, [1, 3, 8, 8], 1) ?? '', /index tuple/);
    assert.equal(checkTarget({ kind: 'tuple', tuple: [2, 7, 0] }, [1, 3, 8, 8], 1), null);
    assert.match(checkTarget({ kind: 'tuple', tuple: [2, 8, 0] }, [1, 3, 8, 8], 1) ?? '', /axis 2/);
    assert.match(checkTarget({ kind: 'tuple', tuple: [2, 0] }, [1, 3, 8, 8], 1) ?? '', /needs 3 indices/);
  });

  it('skips symbolic dims', () => {
    assert.equal(checkTarget({ kind: 'index', index: 500 }, ['batch', 'classes'], 1), null);
  });

  it('names the class a target picks per example', () => {
    assert.equal(classOf({ kind: 'index', index: 4 }, 0), 4);
    assert.equal(classOf({ kind: 'perExample', indices: [4, 7] }, 1), 7);
    assert.equal(classOf({ kind: 'none' }, 0), undefined);
  });
});
