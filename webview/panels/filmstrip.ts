/**
 * The filmstrip: one heat map per child of a module (default: the model's top-level layers), from one attribution
 * request for all of them (Captum's layer-list form), as labelled thumbnails in network order. Each thumbnail is
 * on its own colour scale or all on one (the user's choice, stated in the legend); clicking one opens that layer.
 */
import { THUMB_SIDE } from '../../src/shared/displayTensor';
import { h, select } from '../dom';
import { formatShape, formatValue } from '../format';
import { gridColumns } from '../gridColumns';
import { type DisplayOptions, HeatmapOverlay } from '../heatmap/overlay';
import { type AttributionTensor, type ChannelLayout, summedMap, thumbnailMap } from '../heatmap/tensorMap';
import type { TileScale } from '../viewState';

export interface FilmstripFrame {
  layerId: string;
  label: string;
  tensor: AttributionTensor;
  /** How this layer's tensor is read (token tensors are drawn as their patch grid). */
  layout: ChannelLayout;
}

export interface FilmstripScope {
  /** '' for the model's top level, else a module id. */
  value: string;
  label: string;
}

interface Thumb {
  layerId: string;
  overlay: HeatmapOverlay;
  canvas: HTMLCanvasElement;
  el: HTMLButtonElement;
  title: string;
}

const SCALE_OPTIONS: { value: TileScale; label: string }[] = [
  { value: 'tile', label: 'Each layer its own scale' },
  { value: 'shared', label: 'One scale for all layers' },
];

export class Filmstrip {
  readonly el: HTMLElement;
  private readonly toggle: HTMLButtonElement;
  private readonly body: HTMLElement;
  private readonly strip: HTMLElement;
  private readonly legend: HTMLElement;
  private readonly scopeHost: HTMLElement;
  private readonly scaleHost: HTMLElement;
  private thumbs: Thumb[] = [];
  private on = false;
  private scale: TileScale = 'tile';
  private scope = '';

  constructor(
    private readonly handlers: {
      onOpen: (layerId: string) => void;
      onToggle: (on: boolean) => void;
      onScope: (scope: string) => void;
      onScale: () => void;
    },
  ) {
    this.toggle = h('button', { type: 'button', class: 'll-filmstrip-toggle', id: 'filmstrip-toggle', 'aria-expanded': 'false', 'aria-controls': 'filmstrip-body' }, '▸ Filmstrip: every layer at once');
    this.toggle.addEventListener('click', () => this.setOn(!this.on, true));
    this.scopeHost = h('span', { class: 'll-filmstrip-scope' });
    this.scaleHost = h('span', {});
    this.scaleHost.append(this.scaleSelect());
    this.legend = h('div', { class: 'll-muted ll-small', id: 'filmstrip-legend', 'aria-live': 'polite' });
    this.strip = h('div', { class: 'll-filmstrip-strip', id: 'filmstrip-strip', role: 'group', 'aria-label': 'Heat map of each layer' });
    this.body = h('div', { id: 'filmstrip-body' }, h('div', { class: 'll-channels-head' }, this.scopeHost, this.scaleHost), this.legend, this.strip);
    this.body.hidden = true;
    this.el = h('section', { class: 'll-filmstrip', id: 'filmstrip' }, this.toggle, this.body);
  }

  get isOn(): boolean {
    return this.on;
  }

  get scaleChoice(): TileScale {
    return this.scale;
  }

  setOn(on: boolean, fromUser = false): void {
    this.on = on;
    this.toggle.setAttribute('aria-expanded', String(on));
    this.toggle.textContent = `${on ? '▾' : '▸'} Filmstrip: every layer at once`;
    this.body.hidden = !on;
    if (fromUser) this.handlers.onToggle(on);
  }

  /** The modules whose children can be shown; the chosen one stays when it is still offered. */
  setScopes(scopes: FilmstripScope[], chosen: string): void {
    this.scope = scopes.some((s) => s.value === chosen) ? chosen : '';
    this.scopeHost.replaceChildren(
      select({ label: 'Layers', id: 'filmstrip-scope', value: this.scope, options: scopes.map((s) => ({ value: s.value, label: s.label })), onChange: (v) => this.handlers.onScope(v) }),
    );
  }

  busy(text: string): void {
    this.strip.classList.add('stale');
    this.legend.textContent = text;
  }

  error(text: string): void {
    this.strip.classList.remove('stale');
    this.thumbs = [];
    this.strip.replaceChildren();
    this.legend.textContent = text;
  }

  clear(text = ''): void {
    this.error(text);
  }

  /** New frames (one per layer), drawn at their own resolution; `selected` is highlighted. */
  show(frames: FilmstripFrame[], example: number, note: string): void {
    this.strip.classList.remove('stale');
    this.thumbs = frames.map((f) => {
      const map = thumbnailMap(summedMap(f.tensor, Math.min(example, Math.max(0, (f.tensor.dims.length >= 2 ? f.tensor.dims[0] : 1) - 1)), f.layout), THUMB_SIDE);
      const canvas = h('canvas', { class: 'll-tile-canvas pixelated', width: map.width, height: map.height, 'aria-hidden': 'true' });
      const title = `${f.layerId} ${formatShape(f.tensor.dims)}${map.spatial ? '' : ' (one bar per feature)'}: open this layer`;
      const el = h('button', { type: 'button', class: 'll-tile ll-film', 'data-layer': f.layerId, title }, canvas, h('span', { class: 'll-tile-label' }, f.label), h('span', { class: 'll-film-shape ll-muted' }, formatShape(f.tensor.dims)));
      el.addEventListener('click', () => this.handlers.onOpen(f.layerId));
      return { layerId: f.layerId, overlay: new HeatmapOverlay(map), canvas, el, title };
    });
    this.strip.replaceChildren(...this.thumbs.map((t) => t.el));
    this.strip.style.gridTemplateColumns = `repeat(${gridColumns(Math.max(1, this.thumbs.length))}, minmax(0, 1fr))`;
    this.legend.dataset.note = note;
  }

  setSelected(layerId: string | undefined): void {
    for (const t of this.thumbs) {
      t.el.classList.toggle('selected', t.layerId === layerId);
      t.el.setAttribute('aria-current', String(t.layerId === layerId));
    }
  }

  render(display: DisplayOptions): void {
    if (!this.thumbs.length) return;
    const opts: DisplayOptions = { ...display, method: 'heat_map', nativeResolution: true };
    const own = this.thumbs.map((t) => t.overlay.maxValue(opts));
    const shared = own.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a), 0);
    this.thumbs.forEach((t, i) => {
      const scale = this.scale === 'shared' ? shared : own[i];
      const f = t.overlay.render(opts, undefined, scale);
      t.canvas.getContext('2d')!.putImageData(new ImageData(f.rgba, f.width, f.height), 0, 0);
      t.el.title = `${t.title}\nfull colour at ${formatValue(scale)}${this.scale === 'shared' ? ' (shared)' : ''}`;
      t.el.dataset.scale = String(scale);
    });
    const signed = display.sign === 'all' ? '±' : '';
    const scaleText =
      this.scale === 'shared'
        ? `One scale: full colour at ${signed}${formatValue(shared)} on every layer (white = 0, linear).`
        : 'Each layer on its own scale: full colour at its own largest |attribution| (the value is in its tooltip).';
    this.legend.textContent = [this.legend.dataset.note, scaleText].filter(Boolean).join(' ');
  }

  private scaleSelect(): HTMLElement {
    return select({
      label: 'Filmstrip colour scale',
      id: 'filmstrip-scale',
      value: this.scale,
      options: SCALE_OPTIONS,
      onChange: (v) => {
        this.scale = v as TileScale;
        this.handlers.onScale();
      },
    });
  }
}
