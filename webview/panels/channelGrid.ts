/**
 * The channels that carry the most attribution, as small heat maps; choosing one shows it alone.
 * A channel's map is often sparse and its values far below another's, so each tile is drawn on its own scale
 * by default (full colour at its own largest |value|); a shared scale, for comparing magnitudes, is one choice
 * away, and the legend says which scale is in use and its value.
 */
import { h, select } from '../dom';
import { formatPercent, formatValue } from '../format';
import { gridColumns } from '../gridColumns';
import { type DisplayOptions, HeatmapOverlay } from '../heatmap/overlay';
import { type AttributionTensor, type ChannelLayout, channelCount, channelMap, channelTotals, summedMap, topChannels } from '../heatmap/tensorMap';
import { S, TILE_SCALE_OPTIONS } from '../strings';
import type { TileScale } from '../viewState';

const TILES = 12;

interface Tile {
  channel: number | undefined;
  overlay: HeatmapOverlay;
  canvas: HTMLCanvasElement;
  el: HTMLButtonElement;
  title: string;
}

export class ChannelGrid {
  readonly el: HTMLElement;
  private readonly grid: HTMLElement;
  private readonly heading: HTMLElement;
  private readonly scaleSelect: HTMLElement;
  private readonly legend: HTMLElement;
  private tiles: Tile[] = [];
  private key = '';

  constructor(
    private readonly onPick: (channel: number | undefined) => void,
    private scale: TileScale,
    onScale: (scale: TileScale) => void,
  ) {
    this.heading = h('h3', { class: 'll-subtitle' }, S.topChannels);
    this.scaleSelect = select({ label: S.tileScale, id: 'tile-scale', value: scale, options: TILE_SCALE_OPTIONS, onChange: onScale });
    this.legend = h('div', { class: 'll-muted ll-small', id: 'tile-legend' });
    this.grid = h('div', { class: 'll-channel-grid', role: 'group', 'aria-label': S.topChannels });
    this.el = h('section', { class: 'll-channels', id: 'channels' }, h('div', { class: 'll-channels-head' }, this.heading, this.scaleSelect), this.legend, this.grid);
    this.el.hidden = true;
  }

  /** Builds tiles for one tensor and example (kept while the key is unchanged). */
  set(key: string, tensor: AttributionTensor | undefined, example: number, layout: ChannelLayout, selected: number | undefined): void {
    const channels = tensor ? channelCount(tensor.dims, layout) : 0;
    this.el.hidden = !tensor || channels < 2 || tensor.dims.length < 3;
    if (this.el.hidden || !tensor) {
      this.tiles = [];
      this.key = '';
      this.grid.replaceChildren();
      return;
    }
    if (key !== this.key) {
      this.key = key;
      const totals = channelTotals(tensor, example, layout);
      const sum = totals.reduce((a, b) => a + b, 0) || 1;
      const top = topChannels(totals, Math.min(TILES, channels));
      const make = (channel: number | undefined, label: string, title: string): Tile => {
        const map = channel === undefined ? summedMap(tensor, example, layout) : channelMap(tensor, example, channel, layout);
        const canvas = h('canvas', { class: 'll-tile-canvas pixelated', width: map.width, height: map.height, 'aria-hidden': 'true' });
        const el = h('button', { type: 'button', class: 'll-tile', title, 'data-channel': channel ?? 'sum' }, canvas, h('span', { class: 'll-tile-label' }, label));
        el.addEventListener('click', () => this.onPick(channel));
        return { channel, overlay: new HeatmapOverlay(map), canvas, el, title };
      };
      this.tiles = [make(undefined, S.allChannels, 'Sum over all channels (what Captum shows)'), ...top.map((c) => make(c, `#${c} · ${formatPercent(totals[c] / sum)}`, `Channel ${c}: ${formatPercent(totals[c] / sum)} of Σ|attribution|`))];
      this.grid.replaceChildren(...this.tiles.map((t) => t.el));
      // Through the CSSOM (a strict CSP blocks style attributes): as many columns as leave no tile alone in a row.
      this.grid.style.gridTemplateColumns = `repeat(${gridColumns(this.tiles.length)}, minmax(0, 1fr))`;
      this.heading.textContent = `${S.topChannels} (${top.length} of ${channels})`;
    }
    for (const t of this.tiles) {
      t.el.classList.toggle('selected', t.channel === selected);
      t.el.setAttribute('aria-pressed', String(t.channel === selected));
    }
  }

  setScale(scale: TileScale): void {
    this.scale = scale;
  }

  render(display: DisplayOptions): void {
    const opts: DisplayOptions = { ...display, method: 'heat_map', nativeResolution: true };
    const own = this.tiles.map((t) => t.overlay.maxValue(opts));
    // The shared scale is the channel tiles' largest magnitude; the Σ tile (far larger) keeps its own.
    const shared = own.slice(1).reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a), 0);
    this.tiles.forEach((t, i) => {
      const scale = this.scale === 'shared' && t.channel !== undefined ? shared : own[i];
      const f = t.overlay.render(opts, undefined, scale);
      t.canvas.getContext('2d')!.putImageData(new ImageData(f.rgba, f.width, f.height), 0, 0);
      t.el.title = `${t.title}\nfull colour at ${formatValue(scale)}${this.scale === 'shared' && t.channel !== undefined ? ' (shared)' : ''}`;
      t.el.dataset.scale = String(scale);
    });
    const signed = display.sign === 'all' ? '±' : '';
    this.legend.textContent = !this.tiles.length
      ? ''
      : this.scale === 'shared'
        ? `Shared scale: full colour at ${signed}${formatValue(shared)} on every channel tile (white = 0, linear); Σ at ${signed}${formatValue(own[0])}.`
        : 'Each tile on its own scale: full colour at its own largest |attribution| (white = 0, linear; the value is in its tooltip).';
  }
}
