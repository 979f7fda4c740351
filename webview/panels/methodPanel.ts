/** The method picker: Captum's layer methods with their arguments; each method shows only the arguments it takes. */
import type { IntegrationRule } from '../../src/shared/protocol';
import { INTEGRATION_LABELS } from '../../src/shared/protocol';
import { type MethodChoice, METHOD_INFO, METHOD_ORDER, isPathMethod, nStepsError } from '../attributionMethod';
import { checkbox, field, h, select, setFullText, setSelectValue, textfield } from '../dom';
import { S } from '../strings';

type Textfield = HTMLElementTagNameMap['vscode-textfield'];
type Checkbox = HTMLElementTagNameMap['vscode-checkbox'];

export class MethodPanel {
  readonly el: HTMLElement;
  private readonly method: HTMLElement;
  private readonly about: HTMLElement;
  private readonly steps: Textfield;
  private readonly cost: HTMLElement;
  private readonly integration: HTMLElement;
  private readonly baseline: Textfield;
  private readonly delta: Checkbox;
  private readonly relu: Checkbox;
  private readonly dimSum: Checkbox;
  private readonly grouping: HTMLElement;
  private readonly groups: HTMLElement;
  private readonly layerBaseline: Textfield;
  private readonly error: HTMLElement;
  /** Rows shown per kind of method. */
  private readonly rows: { path: HTMLElement[]; delta: HTMLElement; gradcam: HTMLElement; ablation: HTMLElement[] };
  private choice?: MethodChoice;

  constructor(private readonly onChange: (patch: Partial<MethodChoice>) => void) {
    this.method = select({
      label: S.attributionMethod,
      id: 'method-select',
      value: 'lgxa',
      options: METHOD_ORDER.map((m) => ({ value: m, label: METHOD_INFO[m].label, description: `Captum ${METHOD_INFO[m].captum}` })),
      onChange: (name) => onChange({ name }),
    });
    this.about = h('div', { class: 'll-muted ll-small ll-method-about', id: 'method-about' });
    this.steps = this.number('n_steps', 'method-steps', 'number', (v) => {
      const n = Number(v);
      const bad = v.trim() === '' ? 'n_steps is empty.' : nStepsError(n, this.choice?.integration ?? 'gausslegendre');
      return bad ?? (onChange({ nSteps: n }), undefined);
    });
    this.cost = h('span', { class: 'll-muted ll-small ll-method-cost', id: 'method-cost' });
    this.integration = select({
      label: S.integration,
      id: 'method-integration',
      value: 'gausslegendre',
      options: (Object.keys(INTEGRATION_LABELS) as IntegrationRule[]).map((r) => ({ value: r, label: INTEGRATION_LABELS[r], description: r })),
      onChange: (integration) => onChange({ integration }),
    });
    this.baseline = this.number('Baseline', 'method-baseline', 'text', (v) => {
      const x = v.trim() === '' ? 0 : Number(v.trim());
      return Number.isFinite(x) ? (onChange({ baseline: x }), undefined) : 'The baseline must be a number (0: zeros).';
    });
    this.delta = checkbox({ label: S.convergenceDelta, id: 'method-delta', checked: true, title: S.convergenceDeltaTitle, onChange: (convergenceDelta) => onChange({ convergenceDelta }) });
    this.relu = checkbox({ label: S.gradcamRelu, id: 'method-relu', checked: false, title: 'relu_attributions = True: max(·, 0) of the map', onChange: (reluAttributions) => onChange({ reluAttributions }) });
    this.dimSum = checkbox({ label: S.gradcamDimSum, id: 'method-dimsum', checked: true, title: 'attr_dim_summation: sum the weighted channels into one map (off: one map per channel)', onChange: (dimSum) => onChange({ dimSum }) });
    this.grouping = select({
      label: S.ablationGrouping,
      id: 'method-grouping',
      value: 'channel',
      options: [
        { value: 'channel', label: 'Per channel', description: 'layer mask [1, C, 1, 1]' },
        { value: 'element', label: 'Per element', description: 'one run per element: slow' },
      ],
      onChange: (grouping) => onChange({ grouping }),
    });
    this.groups = h('div', { class: 'll-small ll-method-groups', id: 'method-groups', 'aria-live': 'polite' });
    this.layerBaseline = this.number('Layer baseline', 'method-layer-baseline', 'text', (v) => {
      const x = v.trim() === '' ? 0 : Number(v.trim());
      return Number.isFinite(x) ? (onChange({ layerBaseline: x }), undefined) : 'The layer baseline must be a number.';
    });
    this.error = h('div', { class: 'll-method-error', id: 'method-error', role: 'alert' });
    this.rows = {
      path: [
        field('n_steps', this.steps, this.cost),
        field(S.integration, this.integration),
        field('Baseline', this.baseline, h('span', { class: 'll-muted ll-small' }, S.baselineHint)),
      ],
      delta: h('div', { class: 'll-toggles' }, this.delta),
      gradcam: h('div', { class: 'll-toggles' }, this.relu, this.dimSum),
      ablation: [field(S.ablationGrouping, this.grouping, this.groups), field('Baseline', this.layerBaseline, h('span', { class: 'll-muted ll-small' }, S.layerBaselineHint))],
    };
    this.el = h(
      'section',
      { class: 'll-section', id: 'method-panel', 'aria-labelledby': 'method-title' },
      h('h2', { class: 'll-section-title', id: 'method-title' }, S.attributionMethod),
      field(S.method, this.method, this.about),
      ...this.rows.path,
      this.rows.delta,
      this.rows.gradcam,
      ...this.rows.ablation,
      this.error,
    );
  }

  /** A number field that reports a bad value in place instead of sending it. */
  private number(label: string, id: string, type: 'number' | 'text', apply: (v: string) => string | undefined): Textfield {
    // Baselines are any real number: a text field (a number field would flag 0.5 against its step of 1).
    const el = textfield({ label, value: '', id, type });
    const commit = () => {
      const bad = apply(el.value);
      el.invalid = !!bad;
      this.error.textContent = bad ?? '';
    };
    el.addEventListener('change', commit);
    el.addEventListener('keydown', (e: KeyboardEvent) => {
      if (e.key === 'Enter') commit();
    });
    return el;
  }

  /** Shows the choice: the method, the arguments it takes, their values. */
  set(c: MethodChoice): void {
    this.choice = c;
    setSelectValue(this.method, c.name);
    setFullText(this.about, METHOD_INFO[c.name].about);
    const path = isPathMethod(c.name);
    for (const r of this.rows.path) r.hidden = !path;
    this.rows.delta.hidden = c.name !== 'conductance' && c.name !== 'integrated-gradients';
    this.rows.gradcam.hidden = c.name !== 'gradcam';
    for (const r of this.rows.ablation) r.hidden = c.name !== 'feature-ablation';
    // A field the user is typing in keeps what they typed (a result arriving meanwhile refreshes the panel).
    const put = (el: Textfield, v: number) => {
      if (!el.invalid && !el.matches(':focus-within') && (el.value.trim() === '' || Number(el.value) !== v)) el.value = String(v);
    };
    put(this.steps, c.nSteps);
    put(this.baseline, c.baseline);
    put(this.layerBaseline, c.layerBaseline);
    setSelectValue(this.integration, c.integration);
    setSelectValue(this.grouping, c.grouping);
    this.delta.checked = c.convergenceDelta;
    this.relu.checked = c.reluAttributions;
    this.dimSum.checked = c.dimSum;
  }

  /** "≈ 50 × one attribution ≈ 0.6 s" next to n_steps. */
  setCost(text: string): void {
    setFullText(this.cost, text);
  }

  /** What feature ablation will run for this layer (a warning when it is many runs). */
  setGroups(text: string, warn: boolean): void {
    setFullText(this.groups, text);
    this.groups.classList.toggle('ll-warning', warn);
  }

  /** A problem with the choice for this layer (the request is not sent). */
  setError(text: string): void {
    if (!this.steps.invalid && !this.baseline.invalid && !this.layerBaseline.invalid) this.error.textContent = text;
  }
}
