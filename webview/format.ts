/** Numbers, shapes and counts as the inspector shows them. */

/** Attribution values: 3 significant digits, exponent notation outside 1e-3..1e4. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e4) return String(Number(v.toPrecision(3)));
  const [m, e] = v.toExponential(2).split('e');
  return `${Number(m)}e${Number(e)}`;
}

/** Parameter counts: 1234 → 1.2k, 11689512 → 11.7M. */
export function formatCount(n: number): string {
  if (n < 1000) return String(n);
  const units: [number, string][] = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [u, s] of units) if (n >= u) return `${Number((n / u).toPrecision(n / u >= 100 ? 3 : 2))}${s}`;
  return String(n);
}

export function formatShape(dims: readonly (number | string | null)[] | undefined): string {
  if (!dims) return '?';
  return `[${dims.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

export function formatPercent(x: number): string {
  return `${(x * 100).toFixed(x >= 0.1 ? 0 : 1)}%`;
}

/** A file-name-safe form of a layer id or label. */
export function safeFileName(s: string): string {
  const t = s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '');
  return (t || 'layer').slice(0, 120);
}
