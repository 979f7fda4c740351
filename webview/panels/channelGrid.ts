/**
 * The channels that carry the most attribution, as small heat maps; choosing one shows it alone.
 * A channel's map is often sparse and its values far below another's, so each tile is drawn on its own scale
 * by default (full colour at its own largest |value|); a shared scale, for comparing magnitudes, is one choice
 * away, and the legend says which scale is in use and its value.
 * What-if: each channel tile has an "off" switch; the switched-off set goes to `onAblate` (the app asks for the
 * predictions without those channels).
 */
import { THUMB_SIDE } from '../../src/shared/displayTensor';
import { h, select } from '../dom';
import { formatPercent, formatValue } from '../format';
import { gridColumns } from '../gridColumns';
import { type DisplayOptions, HeatmapOverlay } from '../heatmap/overlay';
import { type AttributionTensor, type ChannelLayout, channelCount, channelMap, channelTotals, summedMap, thumbnailMap, topChannels } from '../heatmap/tensorMap';
import { S, TILE_SCALE_OPTIONS } from '../strings';
import type { TileScale } from '../viewState';

const TILES = 12;

interface Tile {
  channel: number | undefined;
  overlay: HeatmapOverlay;
  canvas: HTMLCanvasElement;
  el: HTMLButtonElement;
  /** The what-if switch (channel tiles only). */
  off?: HTMLButtonElement;
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
  /** Channels switched off for the what-if predictions. */
  private ablated = new Set<number>();
  /** Why the what-if switches are unavailable (empty: available). */
  private whatIfUnavailable = '';

  constructor(
    private readonly onPick: (channel: number | undefined) => void,
    private scale: TileScale,
    onScale: (scale: TileScale) => void,
    private readonly onAblate: (channels: number[]) => void = () => undefined,
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
      this.clearAblation();
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
      const make = (channel: number | undefined, label: string, what: string): Tile => {
        // A tile is drawn about 72 px wide: a 224×224 map is shrunk (peaks kept) before it is coloured.
        const map = thumbnailMap(channel === undefined ? summedMap(tensor, example, layout) : channelMap(tensor, example, channel, layout), THUMB_SIDE);
        const canvas = h('canvas', { class: 'll-tile-canvas pixelated', width: map.width, height: map.height, 'aria-hidden': 'true' });
        // The label may be cut on a narrow tile: the tile's tooltip starts with it.
        const title = `${label}\n${what}`;
        const el = h('button', { type: 'button', class: 'll-tile', title, 'data-channel': channel ?? 'sum' }, canvas, h('span', { class: 'll-tile-label' }, label));
        el.addEventListener('click', () => this.onPick(channel));
        if (channel === undefined) return { channel, overlay: new HeatmapOverlay(map), canvas, el, title };
        const off = h('button', { type: 'button', class: 'll-tile-off', 'data-channel': channel, 'aria-pressed': 'false' }, 'off');
        off.addEventListener('click', () => this.toggle(channel));
        return { channel, overlay: new HeatmapOverlay(map), canvas, el, off, title };
      };
      this.tiles = [make(undefined, S.allChannels, 'Sum over all channels (what Captum shows)'), ...top.map((c) => make(c, `#${c} · ${formatPercent(totals[c] / sum)}`, `Channel ${c}: ${formatPercent(totals[c] / sum)} of Σ|attribution|`))];
      // A new tensor (layer, side, input…): every channel is back on.
      this.clearAblation();
      this.grid.replaceChildren(...this.tiles.map((t) => (t.off ? h('div', { class: 'll-tile-wrap' }, t.el, t.off) : t.el)));
      // Through the CSSOM (a strict CSP blocks style attributes): as many columns as leave no tile alone in a row.
      this.grid.style.gridTemplateColumns = `repeat(${gridColumns(this.tiles.length)}, minmax(0, 1fr))`;
      this.heading.textContent = `${S.topChannels} (${top.length} of ${channels})`;
    }
    for (const t of this.tiles) {
      t.el.classList.toggle('selected', t.channel === selected);
      t.el.setAttribute('aria-pressed', String(t.channel === selected));
    }
    this.refreshSwitches();
  }

  /** Enables the what-if switches, or disables them saying why (e.g. the output is not one score vector per example). */
  setWhatIf(unavailable: string): void {
    this.whatIfUnavailable = unavailable;
    if (unavailable && this.ablated.size) {
      this.ablated.clear();
      this.onAblate([]);
    }
    this.refreshSwitches();
  }

  /** The channels switched off, in the order of the tiles. */
  get ablatedChannels(): number[] {
    return this.tiles.flatMap((t) => (t.channel !== undefined && this.ablated.has(t.channel) ? [t.channel] : []));
  }

  /** Every channel back on (the what-if panel's Restore). */
  restore(): void {
    if (!this.ablated.size) return;
    this.ablated.clear();
    this.refreshSwitches();
    this.onAblate([]);
  }

  private clearAblation(): void {
    if (!this.ablated.size) return;
    this.ablated.clear();
    this.onAblate([]);
  }

  private toggle(channel: number): void {
    if (this.whatIfUnavailable) return;
    if (this.ablated.has(channel)) this.ablated.delete(channel);
    else this.ablated.add(channel);
    this.refreshSwitches();
    this.onAblate(this.ablatedChannels);
  }

  private refreshSwitches(): void {
    for (const t of this.tiles) {
      if (!t.off || t.channel === undefined) continue;
      const isOff = this.ablated.has(t.channel);
      t.off.setAttribute('aria-pressed', String(isOff));
      t.off.disabled = !!this.whatIfUnavailable;
      t.off.title = this.whatIfUnavailable
        ? `What-if: ${this.whatIfUnavailable}`
        : isOff
          ? `Channel ${t.channel} is switched off: switch it back on`
          : `What-if: switch channel ${t.channel} off and see the predictions without it`;
      t.off.setAttribute('aria-label', isOff ? `Switch channel ${t.channel} back on` : `Switch channel ${t.channel} off (what-if)`);
      t.el.parentElement?.classList.toggle('ablated', isOff);
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
