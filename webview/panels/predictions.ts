/**
 * The model's predictions for the shown example, as the output's role calls for: a classifier's top classes, a
 * detector's ranked detections, a segmentation's class map and legend, an image output's picture, an embedding's
 * largest components. The panel says which role it read from the graph; its controls set the target.
 */
import { OUTPUT_KIND_LABELS } from '../../src/shared/outputKind';
import { OUTPUT_ROLE_LABELS, type OutputRoleInfo } from '../../src/shared/outputRole';
import type { Detection } from '../../src/shared/outputView';
import type { InputImage, OutputKindInfo, Prediction, PredictResponse, TextTarget } from '../../src/shared/protocol';
import { h, setFullText } from '../dom';
import { formatMs, formatValue } from '../format';
import { type PixelBox, type WebviewView, detectionOf, imageBoxOf } from '../outputTargets';
import { S } from '../strings';
import { DetectionsView } from './detections';
import { OutputImagePanel } from './outputImage';
import { SegmentationPanel } from './segmentation';

export interface PredictionsCallbacks {
  /** A class of a [N, K] output. */
  onClass: (index: number) => void;
  /** An element of a denser output, as SPEC text. */
  onTargetText: (text: string) => void;
  onDetection: (d: Detection) => void;
  /** "Class c where it wins". */
  onWins: (cls: number) => void;
  onBox: (box: PixelBox) => void;
  /** Show another output (from a detector's box output to its scores). */
  onOutput: (name: string) => void;
}

export interface PredictionsContext {
  resp?: PredictResponse;
  labels: readonly string[];
  example: number;
  /** What the numbers are (from the graph). */
  kind?: OutputKindInfo;
  /** What the output is for (from the graph); the predictions' own view wins when they carry one. */
  role?: OutputRoleInfo;
  /** The target as it stands (parsed), and the class of a "where it wins" target. */
  target?: TextTarget;
  wins?: number;
  image?: InputImage;
  /** The model input's width and height (for boxes in its pixels). */
  inputSize?: { width: number; height: number };
}

export class PredictionsPanel {
  readonly el: HTMLElement;
  private readonly roleEl: HTMLElement;
  private readonly body: HTMLElement;
  private readonly list: HTMLElement;
  private readonly note: HTMLElement;
  private readonly detections: DetectionsView;
  private readonly segmentation: SegmentationPanel;
  private readonly outputImage: OutputImagePanel;

  constructor(private readonly cb: PredictionsCallbacks) {
    this.roleEl = h('span', { class: 'll-role-badge', id: 'predictions-role' });
    this.list = h('div', { class: 'll-predictions', id: 'predictions', role: 'list', 'aria-label': S.predictions });
    this.detections = new DetectionsView((d) => cb.onDetection(d));
    this.segmentation = new SegmentationPanel((c) => cb.onWins(c));
    this.outputImage = new OutputImagePanel((b) => cb.onBox(b));
    this.body = h('div', { class: 'll-predictions-body' }, this.list);
    this.note = h('div', { class: 'll-muted ll-small', id: 'predictions-note' });
    this.el = h('section', { class: 'll-section', id: 'predictions-panel', 'aria-labelledby': 'pred-title' }, h('h2', { class: 'll-section-title', id: 'pred-title' }, S.predictions, ' ', this.roleEl), this.body, this.note);
    this.show({ labels: [], example: 0 });
  }

  loading(): void {
    this.body.setAttribute('aria-busy', 'true');
    this.body.classList.add('stale');
  }

  show(ctx: PredictionsContext): void {
    this.body.removeAttribute('aria-busy');
    this.body.classList.remove('stale');
    const resp = ctx.resp;
    const view = resp?.view as WebviewView | undefined;
    const role = view?.role ?? resp?.role?.role ?? ctx.role?.role;
    const basis = resp?.role?.basis ?? ctx.role?.basis;
    setFullText(this.roleEl, role ? OUTPUT_ROLE_LABELS[role] : '');
    if (basis) this.roleEl.title = `${role ? OUTPUT_ROLE_LABELS[role] : ''}: read from the model (${basis})`;
    this.roleEl.dataset.role = role ?? '';
    const top: Prediction[] = resp?.top[ctx.example] ?? resp?.top[0] ?? [];
    if (!resp || (!top.length && !view)) {
      this.body.replaceChildren(this.list);
      this.list.replaceChildren(h('div', { class: 'll-empty' }, S.noPredictions));
      this.note.textContent = '';
      return;
    }
    const kindWords = OUTPUT_KIND_LABELS[ctx.kind?.kind ?? 'scores'];
    const probabilities = ctx.kind?.kind === 'probabilities' || ctx.kind?.kind === 'class-probabilities';
    const shape = `${resp.outputName} [${resp.outputShape.join(', ')}]`;
    const run = `${resp.provider} · ${formatMs(resp.timings.run)}`;
    if (view?.role === 'detector') {
      const chosen = ctx.target ? detectionOf(ctx.target, view.detections[ctx.example] ?? [], ctx.example) : undefined;
      this.detections.show({ view, example: ctx.example, labels: ctx.labels, chosen, probabilities, image: ctx.image, inputSize: ctx.inputSize });
      this.body.replaceChildren(this.detections.el);
      const boxes = resp.role?.companion ? ` + boxes '${resp.role.companion}'` : '';
      const suppressed = view.detections.some((l) => l.some((d) => d.box)) ? ` · overlapping boxes of a class (IoU > ${view.iou}) suppressed` : '';
      this.setNote(`${shape}${boxes} · ${kindWords} · best class per anchor${view.background !== undefined ? ` except '${ctx.labels[view.background] ?? `class ${view.background}`}'` : ''}${suppressed} · click one to target (anchor, class) · ${run}`);
      return;
    }
    if (view?.role === 'segmentation') {
      const classes = view.layout === 'channels-first' ? resp.outputShape[1] : resp.outputShape[resp.outputShape.length - 1];
      this.segmentation.show({ view, example: ctx.example, labels: ctx.labels, classes, chosen: ctx.wins });
      this.body.replaceChildren(this.segmentation.el);
      this.setNote(`${shape} · ${kindWords} · ${classes} classes · click a class (or the map) to target it where it wins · ${run}`);
      return;
    }
    if (view?.role === 'image') {
      const box = ctx.target ? imageBoxOf(ctx.target, resp.outputShape, view.layout) : undefined;
      this.outputImage.show(view, ctx.example, box);
      this.body.replaceChildren(this.outputImage.el);
      this.setNote(`${shape} · image · ${run}`);
      return;
    }
    if (role === 'boxes') {
      const scores = resp.role?.companion ?? ctx.role?.companion;
      const link = h('button', { type: 'button', class: 'll-link', id: 'show-detections' }, `Show the detections ('${scores}')`);
      if (scores) link.addEventListener('click', () => this.cb.onOutput(scores));
      this.body.replaceChildren(h('div', { class: 'll-note ll-small' }, `Box coordinates per anchor. The detections are ranked on the score output${scores ? ` '${scores}'` : ''}; a target here is (anchor, coordinate).`, scores ? h('div', {}, link) : null));
      this.setNote(`${shape} · ${run}`);
      return;
    }
    this.body.replaceChildren(this.list);
    this.showList(top, resp, ctx, probabilities);
    const norm = view?.role === 'embedding' ? ` · ‖v‖ = ${formatValue(view.norms[ctx.example] ?? view.norms[0])} · largest components` : '';
    this.setNote(`${shape} · ${kindWords}${norm} · ${run}`, ctx.kind ? `${kindWords}: decided from the model (${ctx.kind.basis})` : '');
  }

  private setNote(text: string, title = ''): void {
    this.note.textContent = text;
    this.note.title = title || text;
  }

  /** Top values: class indices of a [N, K] output, index tuples of a denser one. */
  private showList(top: Prediction[], resp: PredictResponse, ctx: PredictionsContext, probabilities: boolean): void {
    const rest = resp.outputShape.slice(1);
    const tupleOf = (flat: number) => rest.map((_, d) => Math.floor(flat / rest.slice(d + 1).reduce((a, b) => a * b, 1)) % rest[d]);
    const dense = rest.length > 1;
    const targetTuple = ctx.target?.kind === 'tuple' ? ctx.target.tuple.join(',') : undefined;
    const targetClass = ctx.target?.kind === 'index' ? ctx.target.index : ctx.target?.kind === 'perExample' ? ctx.target.indices[ctx.example] : undefined;
    const hi = top[0].score;
    const lo = Math.min(...top.map((p) => p.score));
    const width = (s: number) => (probabilities ? s : hi === lo ? 1 : (s - lo) / (hi - lo)) * 100;
    this.list.replaceChildren(
      ...top.map((p, rank) => {
        const tuple = dense ? tupleOf(p.index) : undefined;
        const label = tuple ? `(${tuple.join(', ')})` : (p.label ?? ctx.labels[p.index] ?? `class ${p.index}`);
        const chosen = tuple ? tuple.join(',') === targetTuple : p.index === targetClass;
        const row = h(
          'button',
          {
            type: 'button',
            role: 'listitem',
            class: `ll-pred${chosen ? ' chosen' : ''}`,
            'aria-pressed': chosen ? 'true' : 'false',
            'data-index': p.index,
            title: tuple ? `output element ${label}: attribute to it` : `${label} #${p.index}: attribute to this class`,
          },
          h('span', { class: 'll-pred-rank' }, rank + 1),
          h('span', { class: 'll-pred-label' }, label, tuple ? null : h('span', { class: 'll-muted' }, ` #${p.index}`)),
          h('span', { class: 'll-pred-score' }, formatValue(p.score)),
          h('span', { class: 'll-pred-bar', 'aria-hidden': 'true' }, h('span', { style: `width:${Math.max(2, width(p.score)).toFixed(1)}%` })),
        );
        row.addEventListener('click', () => (tuple ? this.cb.onTargetText(`(${tuple.join(',')})`) : this.cb.onClass(p.index)));
        return row;
      }),
    );
  }
}
