/**
 * What-if ablation's answer: the predictions with the switched-off channels, next to the predictions without the
 * switch (both from the same engine request), with the change of each class's score and of the top class.
 */
import type { Prediction, PredictResponse } from '../../src/shared/protocol';
import { button, h, icon, setFullText, textfield } from '../dom';
import { formatMs, formatValue } from '../format';

/** Classes shown: the best `k` with the channels and the best `k` without them. */
const SHOWN = 5;

export class WhatIfPanel {
  readonly el: HTMLElement;
  private readonly title: HTMLElement;
  private readonly headline: HTMLElement;
  private readonly rows: HTMLElement;
  private readonly note: HTMLElement;
  private readonly baselineField: HTMLElementTagNameMap['vscode-textfield'];
  private readonly baselineError: HTMLElement;

  /** `onBaseline`: the value switched-off channels hold (Captum's `layer_baselines` as a number; default 0). */
  constructor(onRestore: () => void, onBaseline: (value: number) => void) {
    this.baselineField = textfield({ label: 'Switched-off channels hold', value: '0', id: 'whatif-baseline', type: 'text' });
    this.baselineError = h('span', { class: 'll-whatif-error ll-small', id: 'whatif-baseline-error', role: 'alert' });
    const commit = () => {
      const text = this.baselineField.value.trim();
      const v = Number(text);
      const bad = text === '' || !Number.isFinite(v) ? `not a number: '${text}'` : '';
      this.baselineField.invalid = !!bad;
      this.baselineError.textContent = bad;
      if (!bad) onBaseline(v);
    };
    this.baselineField.addEventListener('change', commit);
    this.baselineField.addEventListener('keydown', (e: KeyboardEvent) => {
      if (e.key === 'Enter') commit();
    });
    this.title = h('h3', { class: 'll-subtitle', id: 'whatif-title' });
    const restore = button({ label: [icon('debug-restart'), ' Restore all channels'], id: 'whatif-restore', secondary: true, title: 'Switch every channel back on', onClick: onRestore });
    this.headline = h('div', { id: 'whatif-headline' });
    this.rows = h('div', { class: 'll-whatif-rows', id: 'whatif-rows', role: 'table', 'aria-label': 'Predictions with and without the switched-off channels' });
    this.note = h('div', { class: 'll-muted ll-small', id: 'whatif-note' });
    const baseline = h('label', { class: 'll-whatif-baseline ll-small' }, 'Switched-off channels hold ', this.baselineField, this.baselineError);
    this.el = h('section', { class: 'll-whatif', id: 'whatif', 'aria-live': 'polite', 'aria-labelledby': 'whatif-title' }, h('div', { class: 'll-whatif-head' }, this.title, restore), baseline, this.headline, this.rows, this.note);
    this.el.hidden = true;
  }

  hide(): void {
    this.el.hidden = true;
    this.el.removeAttribute('aria-busy');
  }

  busy(what: string): void {
    this.el.hidden = false;
    this.el.setAttribute('aria-busy', 'true');
    this.rows.classList.add('stale');
    setFullText(this.title, `What-if: ${what}`);
    if (!this.rows.childElementCount) this.headline.textContent = 'Running the model without them…';
  }

  error(what: string, message: string): void {
    this.el.hidden = false;
    this.el.removeAttribute('aria-busy');
    this.rows.classList.remove('stale');
    setFullText(this.title, `What-if: ${what}`);
    this.headline.textContent = `Could not run it: ${message}`;
    this.rows.replaceChildren();
    this.note.textContent = '';
  }

  show(what: string, resp: PredictResponse, example: number, labels: readonly string[]): void {
    this.el.hidden = false;
    this.el.removeAttribute('aria-busy');
    this.rows.classList.remove('stale');
    setFullText(this.title, `What-if: ${what}`);
    const after = resp.top[example] ?? resp.top[0] ?? [];
    const before = resp.reference?.[example] ?? resp.reference?.[0] ?? [];
    const name = (p: Prediction) => p.label ?? labels[p.index] ?? `class ${p.index}`;
    const byIndex = new Map<number, { p: Prediction; before: number; after: number }>();
    after.forEach((p, i) => byIndex.set(p.index, { p, after: p.score, before: before[i]?.score ?? Number.NaN }));
    const rankBefore = [...byIndex.values()].sort((a, b) => b.before - a.before);
    const topBefore = rankBefore[0];
    const topAfter = after[0] ? byIndex.get(after[0].index) : undefined;
    if (topBefore && topAfter) {
      const d = topBefore.after - topBefore.before;
      this.headline.replaceChildren(
        topBefore.p.index === topAfter.p.index
          ? h('span', {}, 'Top class unchanged: ', h('strong', {}, name(topAfter.p)), ` ${formatValue(topBefore.before)} → ${formatValue(topBefore.after)} (${signed(d)})`)
          : h('span', {}, 'Top class changes: ', h('strong', {}, name(topBefore.p)), ' → ', h('strong', {}, name(topAfter.p)), ` (${name(topBefore.p)} ${signed(d)})`),
      );
    } else this.headline.textContent = '';
    const shown = new Set<number>([...after.slice(0, SHOWN).map((p) => p.index), ...rankBefore.slice(0, SHOWN).map((r) => r.p.index)]);
    const rows = [...shown].map((i) => byIndex.get(i)!).sort((a, b) => b.after - a.after);
    const cell = (text: string, cls = '', title = '') => h('span', { class: cls, role: 'cell', ...(title ? { title } : {}) }, text);
    this.rows.replaceChildren(
      h('div', { role: 'row', class: 'll-whatif-row' }, cell('class', 'll-whatif-colhead'), cell('before', 'll-whatif-colhead ll-num'), cell('after', 'll-whatif-colhead ll-num'), cell('change', 'll-whatif-colhead ll-num')),
      ...rows.map((r) => {
        const d = r.after - r.before;
        const label = `${name(r.p)} #${r.p.index}`;
        return h(
          'div',
          { role: 'row', class: 'll-whatif-row', 'data-index': r.p.index },
          cell(label, 'll-whatif-label', label),
          cell(formatValue(r.before), 'll-num'),
          cell(formatValue(r.after), 'll-num'),
          cell(signed(d), `ll-num ${d < 0 ? 'down' : d > 0 ? 'up' : ''}`),
        );
      }),
    );
    this.note.textContent = `${resp.outputName} · ${resp.provider} · ${formatMs(resp.timings.run)} (forward to the layer, then the rest of the network with the channels replaced)`;
  }
}

function signed(d: number): string {
  if (!Number.isFinite(d)) return '—';
  return d === 0 ? '±0' : `${d > 0 ? '+' : '−'}${formatValue(Math.abs(d))}`;
}
