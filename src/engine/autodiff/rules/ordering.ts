/**
 * VJP rules: TopK (values route back to the indices they came from), CumSum (the adjoint of a running sum is
 * the running sum in the other direction) and Trilu (a fixed mask, so its own adjoint).
 */
import { normAxis, singleInput } from './common';

// TopK's values are gathered from X along `axis` at the Indices output: scatter-add dy back there.
singleInput('TopK', {}, (c, dy) => {
  const dims = c.inShape(0);
  const axis = normAxis(c, c.attr('axis', -1), dims.length);
  return c.op('ScatterElements', [c.zeros(dims), c.y(1), dy], { axis, reduction: 'add' });
});

singleInput('CumSum', { since: 11 }, (c, dy) => {
  // y_i = Σ_{j≤i} x_j (or j<i when exclusive): ∂/∂x_j collects dy_i for every i that includes j, which is the
  // cumulative sum of dy taken from the other end with the same exclusivity.
  const reverse = c.attr('reverse', 0);
  const exclusive = c.attr('exclusive', 0);
  const axis = c.values(1)[0];
  return c.op('CumSum', [dy, c.i64([axis])], { exclusive, reverse: reverse ? 0 : 1 });
});

singleInput('Trilu', { since: 14 }, (c, dy) => {
  const upper = c.attr('upper', 1);
  const k = c.maybeValues(1);
  return c.op('Trilu', k ? [dy, c.i64([k[0]])] : [dy], { upper });
});
