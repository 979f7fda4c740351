/**
 * A segmentation output: its class map (the winning class per pixel, one colour per class) and a legend of the
 * classes with their share of the pixels. One click on a legend entry, or on the map, makes the target "class c
 * where it wins": the sum of class c's logits over the pixels where it is the argmax (Captum's segmentation
 * tutorial's target).
 */
import { schemeTableau10 } from 'd3-scale-chromatic';
import { h } from '../dom';
import { formatPercent } from '../format';
import type { WebviewView } from '../outputTargets';
import { OutputPicture } from './outputPicture';

type SegmentationView = Extract<WebviewView, { role: 'segmentation' }>;

const BACKGROUND_RGB: [number, number, number] = [64, 64, 64];
const BACKGROUND = /^(background|__background__|bg|void|unlabeled|unlabelled|none)$/i;

function hexRgb(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** Class colours: dark grey for a class labelled background, Tableau 10 for the others (cycling). */
export function classColour(c: number, labels: readonly string[]): [number, number, number] {
  if (BACKGROUND.test(labels[c]?.trim() ?? '')) return BACKGROUND_RGB;
  return hexRgb(schemeTableau10[c % schemeTableau10.length]);
}

export interface SegmentationContext {
  view: SegmentationView;
  example: number;
  labels: readonly string[];
  classes: number;
  /** The class of the current "where it wins" target. */
  chosen?: number;
}

export class SegmentationPanel {
  readonly el: HTMLElement;
  private readonly picture: OutputPicture;
  private readonly legend: HTMLElement;
  private ctx?: SegmentationContext;

  constructor(private readonly onWins: (cls: number) => void) {
    this.picture = new OutputPicture({ id: 'class-map', label: 'Class map: the winning class at each pixel', onPoint: (x, y) => this.pointAt(x, y) });
    this.legend = h('div', { class: 'll-legend', id: 'class-legend', role: 'list', 'aria-label': 'Classes' });
    this.el = h('div', { class: 'll-out-view ll-segmentation' }, this.picture.el, this.legend);
  }

  show(ctx: SegmentationContext): void {
    this.ctx = ctx;
    const { view, labels } = ctx;
    const ex = Math.min(ctx.example, view.classMap.dims[0] - 1);
    const [height, width] = view.classMap.dims.length === 3 ? view.classMap.dims.slice(1) : [1, view.classMap.dims.slice(1).reduce((a, b) => a * b, 1)];
    const plane = height * width;
    const rgba = new Uint8Array(plane * 4);
    const colours = Array.from({ length: ctx.classes }, (_, c) => classColour(c, labels));
    for (let p = 0; p < plane; p++) {
      const c = view.classMap.data[ex * plane + p];
      const [r, g, b] = colours[c] ?? BACKGROUND_RGB;
      // The chosen class stands out: the others are faded towards grey.
      const fade = ctx.chosen !== undefined && c !== ctx.chosen ? 0.35 : 1;
      rgba.set([Math.round(r * fade + 40 * (1 - fade)), Math.round(g * fade + 40 * (1 - fade)), Math.round(b * fade + 40 * (1 - fade)), 255], p * 4);
    }
    this.picture.setPixels(width, height, rgba);
    const pixels = view.pixels[ex] ?? [];
    const total = pixels.reduce((a, b) => a + b, 0) || 1;
    const order = pixels.map((n, c) => ({ n, c })).sort((a, b) => b.n - a.n || a.c - b.c);
    const present = order.filter((x) => x.n > 0);
    const absent = order.length - present.length;
    this.legend.replaceChildren(
      ...present.map(({ n, c }) => {
        const name = labels[c] ?? `class ${c}`;
        const chosen = c === ctx.chosen;
        const swatch = h('span', { class: 'll-swatch', 'aria-hidden': 'true' });
        swatch.style.background = `rgb(${colours[c].join(',')})`;
        const row = h(
          'button',
          {
            type: 'button',
            role: 'listitem',
            class: `ll-legend-item${chosen ? ' chosen' : ''}`,
            'aria-pressed': chosen ? 'true' : 'false',
            'data-class': c,
            title: `${name} where it wins: attribute the sum of its logits over its ${n.toLocaleString('en-US')} pixels`,
          },
          swatch,
          h('span', { class: 'll-legend-label' }, name, h('span', { class: 'll-muted' }, ` #${c}`)),
          h('span', { class: 'll-legend-share' }, formatPercent(n / total)),
        );
        row.addEventListener('click', () => this.onWins(c));
        return row;
      }),
      ...(absent ? [h('div', { class: 'll-muted ll-small' }, `${absent} more class${absent === 1 ? '' : 'es'} win${absent === 1 ? 's' : ''} no pixel here.`)] : []),
    );
  }

  /** A click on the map chooses the class winning that pixel. */
  private pointAt(x: number, y: number): void {
    const ctx = this.ctx;
    if (!ctx) return;
    const ex = Math.min(ctx.example, ctx.view.classMap.dims[0] - 1);
    const plane = this.picture.width * this.picture.height;
    const c = ctx.view.classMap.data[ex * plane + y * this.picture.width + x];
    if (c !== undefined) this.onWins(c);
  }
}
