/**
 * Export PNG renders a figure, not the bare overlay: a header (model), then per panel its title lines (layer,
 * side, method, target), the picture, and the colour bar with its numeric scale, units and clipping note. A
 * comparison puts both panels side by side. Drawn on a white page so the file reads the same outside VS Code.
 */

export interface ExportPanel {
  /** 'Pinned' / 'Current' in a comparison; empty for one panel. */
  heading: string;
  /** Title lines, the first in bold. */
  lines: string[];
  picture: HTMLCanvasElement;
  /** Draw the picture with crisp (nearest) pixels when it is enlarged. */
  pixelated: boolean;
  /** The colour ramp as 256 RGB entries. */
  ramp: Uint8Array;
  ticks: [string, string, string];
  caption: string;
  units: string;
  /** The target's place on the picture (x0, y0, x1, y1 as fractions), outlined. */
  outline?: [number, number, number, number];
}

const PAD = 16;
const GAP = 28;
const MIN_PICTURE = 320;
const MAX_PICTURE = 640;
const FONT = 'system-ui, -apple-system, "Segoe UI", Ubuntu, sans-serif';
const INK = '#1f1f1f';
const MUTED = '#5a5a5a';

/** PNG bytes of the figure. */
export async function renderFigurePng(header: string, panels: ExportPanel[]): Promise<Uint8Array> {
  const canvas = drawFigure(header, panels);
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('the figure could not be encoded as PNG');
  return new Uint8Array(await blob.arrayBuffer());
}

interface Layout {
  panel: ExportPanel;
  width: number;
  picW: number;
  picH: number;
  lines: { text: string; font: string; color: string }[];
  caption: string[];
}

export function drawFigure(header: string, panels: ExportPanel[]): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d')!;
  const layouts: Layout[] = panels.map((panel) => {
    const p = panel.picture;
    // Small maps at an integer zoom (crisp cells), large ones shrunk to fit.
    const zoom = p.width >= MIN_PICTURE ? Math.min(1, MAX_PICTURE / p.width) : Math.ceil(MIN_PICTURE / p.width);
    const picW = Math.round(p.width * zoom);
    const picH = Math.round(p.height * zoom);
    const width = Math.max(picW, 360);
    const lines = [
      ...(panel.heading ? [{ text: panel.heading.toUpperCase(), font: `600 11px ${FONT}`, color: MUTED }] : []),
      ...panel.lines.filter(Boolean).flatMap((text, i) => wrap(ctx, text, i === 0 ? `600 14px ${FONT}` : `13px ${FONT}`, width).map((t) => ({ text: t, font: i === 0 ? `600 14px ${FONT}` : `13px ${FONT}`, color: i === 0 ? INK : MUTED }))),
    ];
    const caption = [...wrap(ctx, panel.caption, `12px ${FONT}`, width), ...wrap(ctx, panel.units, `12px ${FONT}`, width)];
    return { panel, width, picW, picH, lines, caption };
  });
  const lineH = (font: string) => (font.includes('14px') ? 19 : font.includes('11px') ? 16 : 17);
  const panelHeight = (l: Layout) => l.lines.reduce((a, x) => a + lineH(x.font), 0) + 8 + l.picH + 12 + 14 + 4 + 17 + 4 + l.caption.length * 16;
  const headerH = header ? 26 : 0;
  const width = PAD * 2 + layouts.reduce((a, l) => a + l.width, 0) + GAP * (layouts.length - 1);
  const height = PAD * 2 + headerH + Math.max(...layouts.map(panelHeight));
  canvas.width = width;
  canvas.height = height;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.textBaseline = 'top';
  if (header) {
    ctx.font = `600 16px ${FONT}`;
    ctx.fillStyle = INK;
    ctx.fillText(header, PAD, PAD, width - 2 * PAD);
  }
  let x = PAD;
  for (const l of layouts) {
    let y = PAD + headerH;
    for (const line of l.lines) {
      ctx.font = line.font;
      ctx.fillStyle = line.color;
      ctx.fillText(line.text, x, y, l.width);
      y += lineH(line.font);
    }
    y += 8;
    ctx.imageSmoothingEnabled = !l.panel.pixelated;
    const px = x + Math.floor((l.width - l.picW) / 2);
    ctx.drawImage(l.panel.picture, px, y, l.picW, l.picH);
    ctx.imageSmoothingEnabled = true;
    if (l.panel.outline) drawOutline(ctx, l.panel.outline, px, y, l.picW, l.picH);
    y += l.picH + 12;
    drawRamp(ctx, l.panel.ramp, x, y, l.width, 14);
    y += 14 + 4;
    ctx.font = `12px ui-monospace, "Cascadia Mono", Menlo, monospace`;
    ctx.fillStyle = INK;
    const [lo, mid, hi] = l.panel.ticks;
    ctx.textAlign = 'left';
    ctx.fillText(lo, x, y);
    ctx.textAlign = 'center';
    if (mid) ctx.fillText(mid, x + l.width / 2, y);
    ctx.textAlign = 'right';
    ctx.fillText(hi, x + l.width, y);
    ctx.textAlign = 'left';
    y += 17 + 4;
    ctx.font = `12px ${FONT}`;
    ctx.fillStyle = MUTED;
    for (const c of l.caption) {
      ctx.fillText(c, x, y, l.width);
      y += 16;
    }
    x += l.width + GAP;
  }
  return canvas;
}

/** The target's box over the picture: a dark and a light line, visible on any heat map. */
function drawOutline(ctx: CanvasRenderingContext2D, [x0, y0, x1, y1]: [number, number, number, number], x: number, y: number, w: number, h: number): void {
  const r = [x + x0 * w, y + y0 * h, (x1 - x0) * w, (y1 - y0) * h] as const;
  ctx.lineWidth = 3;
  ctx.strokeStyle = 'rgba(0,0,0,0.75)';
  ctx.strokeRect(...r);
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = '#ffd400';
  ctx.strokeRect(...r);
}

function drawRamp(ctx: CanvasRenderingContext2D, ramp: Uint8Array, x: number, y: number, w: number, h: number): void {
  const n = ramp.length / 3;
  for (let i = 0; i < w; i++) {
    const k = Math.min(n - 1, Math.floor((i / w) * n));
    ctx.fillStyle = `rgb(${ramp[k * 3]},${ramp[k * 3 + 1]},${ramp[k * 3 + 2]})`;
    ctx.fillRect(x + i, y, 1, h);
  }
  ctx.strokeStyle = '#9a9a9a';
  ctx.lineWidth = 1;
  ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
}

/** Splits text into lines no wider than `width` in `font` (words; a word too long for a line is kept whole). */
function wrap(ctx: CanvasRenderingContext2D, text: string, font: string, width: number): string[] {
  if (!text) return [];
  ctx.font = font;
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    const next = line ? `${line} ${word}` : word;
    if (line && ctx.measureText(next).width > width) {
      out.push(line);
      line = word;
    } else line = next;
  }
  if (line) out.push(line);
  return out;
}
