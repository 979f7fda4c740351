/** Top-k predictions for the shown example; choosing one makes it the target. */
import { OUTPUT_KIND_LABELS } from '../../src/shared/outputKind';
import type { OutputKindInfo, Prediction, PredictResponse } from '../../src/shared/protocol';
import { h } from '../dom';
import { formatMs, formatValue } from '../format';
import { S } from '../strings';

export class PredictionsPanel {
  readonly el: HTMLElement;
  private readonly list: HTMLElement;
  private readonly note: HTMLElement;

  constructor(private readonly onChoose: (index: number) => void) {
    this.list = h('div', { class: 'll-predictions', id: 'predictions', role: 'list', 'aria-label': S.predictions });
    this.note = h('div', { class: 'll-muted ll-small', id: 'predictions-note' });
    this.el = h('section', { class: 'll-section', id: 'predictions-panel', 'aria-labelledby': 'pred-title' }, h('h2', { class: 'll-section-title', id: 'pred-title' }, S.predictions), this.list, this.note);
    this.show(undefined, [], 0, undefined, undefined);
  }

  loading(): void {
    this.list.setAttribute('aria-busy', 'true');
    this.list.classList.add('stale');
  }

  /** `kind`: what the engine read from the graph about this output; the values never decide it. */
  show(resp: PredictResponse | undefined, labels: string[], example: number, targetClass: number | undefined, kind: OutputKindInfo | undefined): void {
    this.list.removeAttribute('aria-busy');
    this.list.classList.remove('stale');
    const top: Prediction[] = resp?.top[example] ?? resp?.top[0] ?? [];
    if (!resp || !top.length) {
      this.list.replaceChildren(h('div', { class: 'll-empty' }, S.noPredictions));
      this.note.textContent = '';
      return;
    }
    // Probabilities fill the bar by value; logits and other scores by their share of the shown range.
    const probs = kind?.kind === 'probabilities' || kind?.kind === 'class-probabilities';
    const hi = top[0].score;
    const lo = Math.min(...top.map((p) => p.score));
    const width = (s: number) => (probs ? s : hi === lo ? 1 : (s - lo) / (hi - lo)) * 100;
    this.list.replaceChildren(
      ...top.map((p, rank) => {
        const label = p.label ?? labels[p.index] ?? `class ${p.index}`;
        const chosen = p.index === targetClass;
        const row = h(
          'button',
          {
            type: 'button',
            role: 'listitem',
            class: `ll-pred${chosen ? ' chosen' : ''}`,
            'aria-pressed': chosen ? 'true' : 'false',
            'data-index': p.index,
            title: `${label} #${p.index}: attribute to this class`,
          },
          h('span', { class: 'll-pred-rank' }, rank + 1),
          h('span', { class: 'll-pred-label' }, label, h('span', { class: 'll-muted' }, ` #${p.index}`)),
          h('span', { class: 'll-pred-score' }, formatValue(p.score)),
          h('span', { class: 'll-pred-bar', 'aria-hidden': 'true' }, h('span', { style: `width:${Math.max(2, width(p.score)).toFixed(1)}%` })),
        );
        row.addEventListener('click', () => this.onChoose(p.index));
        return row;
      }),
    );
    const what = OUTPUT_KIND_LABELS[kind?.kind ?? 'scores'];
    this.note.textContent = `${resp.outputName} [${resp.outputShape.join(', ')}] · ${what} · ${resp.provider} · ${formatMs(resp.timings.run)}`;
    this.note.title = kind ? `${what}: decided from the model (${kind.basis})` : '';
  }
}
