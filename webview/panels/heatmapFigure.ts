/**
 * One attribution figure: the overlay canvas (or a bar chart for non-spatial activations), its colorbar in
 * attribution units, a caption and a hover readout. Rendering is synchronous and local: display changes
 * call `render` and nothing else.
 */
import type { ErrorInfo, InputImage } from '../../src/shared/protocol';
import { h, icon, replace } from '../dom';
import { formatValue } from '../format';
import { colorAt, colormapLut, LUT_SIZE } from '../heatmap/colormap';
import { type DisplayOptions, HeatmapOverlay, type OverlayFrame } from '../heatmap/overlay';
import type { AttributionMap } from '../heatmap/tensorMap';
import { S } from '../strings';
import type { ExportPanel } from './figureExport';

export interface FigureSource {
  /** Identifies the map and image; a new key drops the cached overlay. */
  key: string;
  map: AttributionMap;
  image?: InputImage;
  title: string;
  /** The method that produced the map, with its arguments (and the convergence delta when there is one). */
  method?: string;
  /** More about it, as a tooltip (every example's delta). */
  methodTitle?: string;
  /** What one bar of a non-spatial map is ('feature' when not given). */
  barLabel?: string;
  subtitle: string;
  /** Where the target lies on the input (a detection's box, a box of an image output): x0, y0, x1, y1 as fractions. */
  outline?: [number, number, number, number];
}

const BAR_W = 640;

function spinner(): HTMLElement {
  const el = icon('loading');
  el.classList.add('codicon-modifier-spin');
  return el;
}
const BAR_H = 180;

export class HeatmapFigure {
  readonly el: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly stage: HTMLElement;
  private readonly outline: HTMLElement;
  private readonly message: HTMLElement;
  private readonly notice: HTMLElement;
  private readonly titleEl: HTMLElement;
  private readonly methodEl: HTMLElement;
  private readonly subtitleEl: HTMLElement;
  private readonly readout: HTMLElement;
  private readonly bar: HTMLCanvasElement;
  private readonly barMin: HTMLElement;
  private readonly barMid: HTMLElement;
  private readonly barMax: HTMLElement;
  private readonly barCaption: HTMLElement;
  private readonly colorbar: HTMLElement;
  private source?: FigureSource;
  private overlay?: HeatmapOverlay;
  private frame?: OverlayFrame;
  private buffer?: Uint8ClampedArray;
  private display?: DisplayOptions;
  /** Milliseconds the last `render` took. */
  lastRenderMs = 0;

  constructor(id: string, heading: string) {
    this.canvas = h('canvas', { class: 'll-canvas', width: 1, height: 1, role: 'img', 'aria-label': `${heading} attribution` });
    this.message = h('div', { class: 'll-message', role: 'status' });
    this.notice = h('div', { class: 'll-figure-notice', role: 'status' });
    this.notice.hidden = true;
    this.outline = h('div', { class: 'll-figure-outline', 'aria-hidden': 'true' });
    this.outline.hidden = true;
    this.stage = h('div', { class: 'll-stage' }, h('div', { class: 'll-canvas-box' }, this.canvas, this.outline), this.message);
    this.titleEl = h('div', { class: 'll-figure-title' });
    this.methodEl = h('div', { class: 'll-figure-method' });
    this.subtitleEl = h('div', { class: 'll-figure-subtitle ll-muted' });
    this.readout = h('div', { class: 'll-readout ll-muted', 'aria-live': 'off' }, '\u00a0');
    this.bar = h('canvas', { class: 'll-colorbar-ramp', width: LUT_SIZE, height: 1, 'aria-hidden': 'true' });
    this.barMin = h('span', { class: 'll-colorbar-min' });
    this.barMid = h('span', { class: 'll-colorbar-mid' });
    this.barMax = h('span', { class: 'll-colorbar-max' });
    this.barCaption = h('div', { class: 'll-colorbar-caption ll-muted' });
    this.colorbar = h('div', { class: 'll-colorbar', role: 'img' }, this.bar, h('div', { class: 'll-colorbar-ticks' }, this.barMin, this.barMid, this.barMax), this.barCaption);
    this.el = h('figure', { class: 'll-figure', id, 'data-role': id }, h('figcaption', {}, h('span', { class: 'll-figure-heading' }, heading), this.titleEl, this.methodEl, this.subtitleEl), this.notice, this.stage, this.readout, this.colorbar);
    this.canvas.addEventListener('mousemove', (e) => this.hover(e));
    this.canvas.addEventListener('mouseleave', () => (this.readout.textContent = '\u00a0'));
    this.setMessage(S.selectLayerPrompt, 'info');
  }

  get hasImage(): boolean {
    return !!this.frame && !this.frame.error && !this.message.textContent;
  }

  setSource(src: FigureSource | undefined): void {
    if (src?.key !== this.source?.key) {
      this.overlay = src ? new HeatmapOverlay(src.map, src.image) : undefined;
      this.buffer = undefined;
    }
    this.source = src;
    this.titleEl.textContent = src?.title ?? '';
    this.methodEl.textContent = src?.method ?? '';
    this.methodEl.title = src?.methodTitle ?? src?.method ?? '';
    this.subtitleEl.textContent = src?.subtitle ?? '';
    this.el.classList.toggle('vector', !!src && !src.map.spatial);
    const o = src?.outline;
    this.outline.hidden = !o;
    if (o) {
      this.outline.style.left = `${o[0] * 100}%`;
      this.outline.style.top = `${o[1] * 100}%`;
      this.outline.style.width = `${(o[2] - o[0]) * 100}%`;
      this.outline.style.height = `${(o[3] - o[1]) * 100}%`;
      this.outline.title = 'The target';
    }
    if (src) this.setMessage('', 'info');
  }

  /**
   * Says, above the picture, that the picture is not what the selection asks for (an attribution running,
   * cancelled or refused for another layer, output or target); the picture is dimmed while it says so.
   */
  setNotice(text: string, kind: 'busy' | 'info' | 'error' = 'info'): void {
    this.notice.hidden = !text;
    this.notice.className = `ll-figure-notice ${kind}`;
    this.notice.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    this.el.classList.toggle('outdated', !!text);
    if (!text) this.notice.replaceChildren();
    else replace(this.notice, kind === 'error' ? icon('error') : kind === 'busy' ? spinner() : icon('info'), h('span', {}, text));
  }

  /** Replaces the picture with a message (a prompt, progress, or an engine error in place). */
  setMessage(text: string, kind: 'info' | 'busy' | 'error', error?: ErrorInfo): void {
    this.message.className = `ll-message ${kind}`;
    this.el.classList.toggle('has-message', !!text);
    this.el.classList.toggle('busy', kind === 'busy' && !!text);
    if (!text) {
      this.message.replaceChildren();
      return;
    }
    const where = error && (error.node || error.op) ? h('div', { class: 'll-error-where' }, `at ${error.op ? `${error.op} ` : ''}node ${error.node ?? '?'}`) : null;
    replace(this.message, kind === 'error' ? icon('error') : kind === 'busy' ? spinner() : null, h('div', { class: 'll-message-text' }, h('div', {}, text), where));
    this.message.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  }

  /** Draws the current source with these display options; returns the time taken in ms. */
  render(display: DisplayOptions): number {
    const t0 = performance.now();
    this.display = display;
    if (!this.overlay || !this.source) return 0;
    const frame = this.overlay.render(display, this.buffer);
    this.buffer = frame.rgba;
    this.frame = frame;
    if (this.source.map.spatial) this.paintImage(frame);
    else this.paintBars(frame);
    this.paintColorbar(frame, display);
    if (frame.error) this.setMessage(frame.error, 'error');
    else if (this.message.classList.contains('error') && this.message.textContent && this.source) this.setMessage('', 'info');
    this.lastRenderMs = performance.now() - t0;
    this.el.dataset.renderMs = this.lastRenderMs.toFixed(3);
    return this.lastRenderMs;
  }

  /** What Export PNG draws for this figure: its title lines, picture and colour bar (undefined: nothing shown). */
  exportPanel(heading: string, units: string): ExportPanel | undefined {
    const frame = this.frame;
    if (!this.hasImage || !frame || !this.source) return undefined;
    const masks = frame.method === 'masked_image' || frame.method === 'alpha_scaling';
    return {
      heading,
      lines: [this.source.title, this.source.method ?? '', this.source.subtitle],
      picture: this.canvas,
      pixelated: this.canvas.classList.contains('pixelated') || !this.source.map.spatial,
      ramp: colormapLut(masks ? 'gray' : frame.colormap),
      ticks: [this.barMin.textContent ?? '', this.barMid.textContent ?? '', this.barMax.textContent ?? ''],
      caption: this.barCaption.textContent ?? '',
      units,
      ...(this.source.outline && this.source.map.spatial ? { outline: this.source.outline } : {}),
    };
  }

  private paintImage(frame: OverlayFrame): void {
    const { width: w, height: hgt } = frame;
    if (this.canvas.width !== w || this.canvas.height !== hgt) {
      this.canvas.width = w;
      this.canvas.height = hgt;
    }
    // Small images are shown at an integer zoom with crisp pixels; large ones shrink to fit.
    const zoom = w >= 320 ? 1 : Math.ceil(320 / w);
    this.canvas.style.width = `${w * zoom}px`;
    this.canvas.style.aspectRatio = `${w} / ${hgt}`;
    this.canvas.classList.toggle('pixelated', zoom > 1);
    this.canvas.getContext('2d')!.putImageData(new ImageData(frame.rgba, w, hgt), 0, 0);
  }

  private paintBars(frame: OverlayFrame): void {
    if (this.canvas.width !== BAR_W || this.canvas.height !== BAR_H) {
      this.canvas.width = BAR_W;
      this.canvas.height = BAR_H;
    }
    this.canvas.style.width = `${BAR_W}px`;
    this.canvas.style.aspectRatio = `${BAR_W} / ${BAR_H}`;
    this.canvas.classList.remove('pixelated');
    const ctx = this.canvas.getContext('2d')!;
    ctx.clearRect(0, 0, BAR_W, BAR_H);
    const n = frame.normalized.length;
    const lut = colormapLut(frame.colormap);
    const signed = frame.vmin < 0;
    const base = signed ? BAR_H / 2 : BAR_H - 1;
    const scale = signed ? BAR_H / 2 - 2 : BAR_H - 3;
    for (let i = 0; i < n; i++) {
      const v = frame.normalized[i];
      const [r, g, b] = colorAt(lut, v, frame.vmin, frame.vmax);
      ctx.fillStyle = `rgb(${r},${g},${b})`;
      const x0 = Math.floor((i * BAR_W) / n);
      const x1 = Math.max(x0 + 1, Math.floor(((i + 1) * BAR_W) / n) - (n <= BAR_W / 4 ? 1 : 0));
      const hgt = Math.max(1, Math.abs(v) * scale);
      ctx.fillRect(x0, v >= 0 ? base - hgt : base, x1 - x0, hgt);
    }
    ctx.fillStyle = getComputedStyle(this.el).getPropertyValue('--vscode-foreground') || '#888';
    ctx.globalAlpha = 0.5;
    ctx.fillRect(0, Math.round(base), BAR_W, 1);
    ctx.globalAlpha = 1;
  }

  private paintColorbar(frame: OverlayFrame, display: DisplayOptions): void {
    const ctx = this.bar.getContext('2d')!;
    const img = ctx.createImageData(LUT_SIZE, 1);
    const masks = frame.method === 'masked_image' || frame.method === 'alpha_scaling';
    const lut = colormapLut(masks ? 'gray' : frame.colormap);
    for (let i = 0; i < LUT_SIZE; i++) img.data.set([lut[i * 3], lut[i * 3 + 1], lut[i * 3 + 2], 255], i * 4);
    ctx.putImageData(img, 0, 0);
    const t = frame.threshold;
    const degenerate = t === 0;
    const signed = display.sign === 'all';
    this.barMin.textContent = signed ? formatValue(-t) : '0';
    this.barMid.textContent = signed ? '0' : '';
    this.barMax.textContent = signed ? `+${formatValue(t)}` : formatValue(t);
    const what = { all: '|attribution|', positive: 'positive attribution', negative: 'negative attribution', absolute_value: '|attribution|' }[display.sign];
    this.barCaption.textContent = degenerate
      ? `No ${what} to show: every value is zero for this sign.`
      : `Saturates at ${signed ? '±' : ''}${formatValue(t)} — the top ${display.outlierPerc}% of ${what} mass is clipped${display.nativeResolution || !this.source?.map.spatial ? ' (layer grid)' : ` (${frame.gridWidth}×${frame.gridHeight})`}.`;
    this.colorbar.setAttribute('aria-label', `Colour scale from ${this.barMin.textContent} to ${this.barMax.textContent}`);
    this.colorbar.dataset.threshold = String(t);
  }

  private hover(e: MouseEvent): void {
    if (!this.overlay || !this.display || !this.source || !this.frame) return;
    const r = this.canvas.getBoundingClientRect();
    if (!this.source.map.spatial) {
      const n = this.frame.normalized.length;
      const i = Math.min(n - 1, Math.floor(((e.clientX - r.left) / r.width) * n));
      this.readout.textContent = `${this.source.barLabel ?? 'feature'} ${i} · ${formatValue(this.source.map.values[i])}`;
      return;
    }
    const x = Math.floor(((e.clientX - r.left) / r.width) * this.frame.width);
    const y = Math.floor(((e.clientY - r.top) / r.height) * this.frame.height);
    const v = this.overlay.valueAt(x, y, this.display);
    this.readout.textContent = v === undefined ? '\u00a0' : `x ${x}, y ${y} · attribution ${formatValue(v)}`;
  }
}
