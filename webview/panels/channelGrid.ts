/** The channels that carry the most attribution, as small heat maps; choosing one shows it alone. */
import { h } from '../dom';
import { formatPercent } from '../format';
import { type DisplayOptions, HeatmapOverlay } from '../heatmap/overlay';
import { type AttributionTensor, type ChannelLayout, channelCount, channelMap, channelTotals, summedMap, topChannels } from '../heatmap/tensorMap';
import { S } from '../strings';

const TILES = 12;

interface Tile {
  channel: number | undefined;
  overlay: HeatmapOverlay;
  canvas: HTMLCanvasElement;
  el: HTMLButtonElement;
}

export class ChannelGrid {
  readonly el: HTMLElement;
  private readonly grid: HTMLElement;
  private readonly heading: HTMLElement;
  private tiles: Tile[] = [];
  private key = '';

  constructor(private readonly onPick: (channel: number | undefined) => void) {
    this.heading = h('h3', { class: 'll-subtitle' }, S.topChannels);
    this.grid = h('div', { class: 'll-channel-grid', role: 'group', 'aria-label': S.topChannels });
    this.el = h('section', { class: 'll-channels', id: 'channels' }, this.heading, this.grid);
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
        return { channel, overlay: new HeatmapOverlay(map), canvas, el };
      };
      this.tiles = [make(undefined, S.allChannels, 'Sum over all channels (what Captum shows)'), ...top.map((c) => make(c, `#${c} · ${formatPercent(totals[c] / sum)}`, `Channel ${c}: ${formatPercent(totals[c] / sum)} of Σ|attribution|`))];
      this.grid.replaceChildren(...this.tiles.map((t) => t.el));
      this.heading.textContent = `${S.topChannels} (${top.length} of ${channels})`;
    }
    for (const t of this.tiles) {
      t.el.classList.toggle('selected', t.channel === selected);
      t.el.setAttribute('aria-pressed', String(t.channel === selected));
    }
  }

  render(display: DisplayOptions): void {
    for (const t of this.tiles) {
      const f = t.overlay.render({ ...display, method: 'heat_map', nativeResolution: true });
      t.canvas.getContext('2d')!.putImageData(new ImageData(f.rgba, f.width, f.height), 0, 0);
    }
  }
}
