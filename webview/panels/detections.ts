/**
 * A detector's predictions: the input with the listed detections' boxes, and the ranked list (best non-background
 * class per anchor, overlapping boxes of a class suppressed). Choosing one — its row or its box — targets that
 * anchor's score for that class, `(anchor, class)`.
 */
import type { Detection } from '../../src/shared/outputView';
import type { InputImage } from '../../src/shared/protocol';
import { h } from '../dom';
import { formatValue } from '../format';
import { type WebviewView, detectionOnInput } from '../outputTargets';
import { OutputPicture } from './outputPicture';

type DetectorView = Extract<WebviewView, { role: 'detector' }>;

export interface DetectionsContext {
  view: DetectorView;
  example: number;
  labels: readonly string[];
  /** The detection the target picks, if it is in the list. */
  chosen?: Detection;
  /** Probabilities fill the bar by value; other scores by their share of the listed range. */
  probabilities: boolean;
  image?: InputImage;
  /** The model input's size, for boxes measured in its pixels. */
  inputSize?: { width: number; height: number };
}

export class DetectionsView {
  readonly el: HTMLElement;
  private readonly picture: OutputPicture;
  private readonly list: HTMLElement;
  private shown: Detection[] = [];
  private ctx?: DetectionsContext;

  constructor(private readonly onChoose: (d: Detection) => void) {
    this.picture = new OutputPicture({ id: 'detections-picture', label: 'Input with the detected boxes', onPoint: (x, y) => this.pointAt(x, y) });
    this.list = h('div', { class: 'll-predictions', id: 'detections', role: 'list', 'aria-label': 'Detections' });
    this.el = h('div', { class: 'll-out-view ll-detections' }, this.picture.el, this.list);
  }

  show(ctx: DetectionsContext): void {
    this.ctx = ctx;
    const dets = ctx.view.detections[ctx.example] ?? ctx.view.detections[0] ?? [];
    this.shown = dets;
    const hi = dets[0]?.score ?? 0;
    const lo = Math.min(...dets.map((d) => d.score));
    const share = (s: number) => (hi === lo ? 1 : (s - lo) / (hi - lo));
    const img = ctx.image;
    const withBoxes = dets.some((d) => d.box) && !!img;
    this.picture.el.hidden = !withBoxes;
    if (img && withBoxes) {
      this.picture.setPixels(img.width, img.height, img.rgba);
      this.picture.setBoxes(
        dets.flatMap((d, rank) => {
          const rect = detectionOnInput(d, ctx.view.boxUnits, ctx.inputSize);
          const chosen = d === ctx.chosen;
          // Unlikely detections stay listed (and clickable) but their boxes are faint, so the picture shows the objects.
          const weak = !chosen && (ctx.probabilities ? d.score < 0.3 : share(d.score) < 0.5);
          return rect ? [{ rect, className: chosen ? 'chosen' : weak ? 'weak' : '', label: String(rank + 1), title: `${rank + 1}. ${this.name(d)} ${formatValue(d.score)} · anchor ${d.anchor}` }] : [];
        }),
      );
    }
    if (!dets.length) {
      this.list.replaceChildren(h('div', { class: 'll-empty' }, 'No detections: every anchor scores highest on the background.'));
      return;
    }
    const width = (s: number) => (ctx.probabilities ? s : share(s)) * 100;
    this.list.replaceChildren(
      ...dets.map((d, rank) => {
        const chosen = d === ctx.chosen;
        const name = this.name(d);
        const box = d.box ? `box ${d.box.map((v) => formatValue(v)).join(', ')}` : '';
        const label = h('span', { class: 'll-pred-label' }, name, h('span', { class: 'll-muted' }, ` · anchor ${d.anchor}`));
        const row = h(
          'button',
          {
            type: 'button',
            role: 'listitem',
            class: `ll-pred ll-det${chosen ? ' chosen' : ''}`,
            'aria-pressed': chosen ? 'true' : 'false',
            'data-anchor': d.anchor,
            'data-class': d.class,
            title: `${name} at anchor ${d.anchor}${box ? ` (${box})` : ''}: attribute its score, target (${d.anchor}, ${d.class})`,
          },
          h('span', { class: 'll-pred-rank' }, rank + 1),
          label,
          h('span', { class: 'll-pred-score' }, formatValue(d.score)),
          h('span', { class: 'll-pred-bar', 'aria-hidden': 'true' }, h('span', { style: `width:${Math.max(2, width(d.score)).toFixed(1)}%` })),
        );
        row.addEventListener('click', () => this.onChoose(d));
        return row;
      }),
    );
  }

  private name(d: Detection): string {
    return this.ctx?.labels[d.class] ?? `class ${d.class}`;
  }

  /** A click on the picture chooses the smallest listed box under it. */
  private pointAt(x: number, y: number): void {
    const ctx = this.ctx;
    if (!ctx) return;
    const fx = (x + 0.5) / this.picture.width;
    const fy = (y + 0.5) / this.picture.height;
    const hits = this.shown
      .map((d) => ({ d, r: detectionOnInput(d, ctx.view.boxUnits, ctx.inputSize) }))
      .filter(({ r }) => r && fx >= r[0] && fx <= r[2] && fy >= r[1] && fy <= r[3])
      .sort((a, b) => area(a.r!) - area(b.r!));
    if (hits.length) this.onChoose(hits[0].d);
  }
}

function area(r: [number, number, number, number]): number {
  return (r[2] - r[0]) * (r[3] - r[1]);
}
