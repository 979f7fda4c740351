/**
 * Columns for a grid of `n` equal tiles: one row when they fit, else the column count (4 to `most`) that leaves
 * the fewest empty places in the last row — 13 tiles are 7 + 6, never 12 + an orphan.
 */
export function gridColumns(n: number, most = 7): number {
  if (n <= most) return Math.max(1, n);
  let best = most;
  let bestEmpty = Infinity;
  for (let c = most; c >= 4; c--) {
    const empty = (c - (n % c)) % c;
    if (empty < bestEmpty) {
      best = c;
      bestEmpty = empty;
    }
  }
  return best;
}
