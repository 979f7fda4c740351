/** What to attribute: output, target (CLI syntax), example, layer input/output, gradient only. */
import type { ValueSummary } from '../../src/shared/protocol';
import { checkbox, field, h, select, setSelectValue, textfield } from '../dom';
import { S } from '../strings';

export interface TargetPanelOptions {
  onTargetText: (text: string) => void;
  onAuto: () => void;
  onOutput: (output: string) => void;
  onExample: (example: number) => void;
  onLayerInput: (on: boolean) => void;
  onGradientOnly: (on: boolean) => void;
}

export class TargetPanel {
  readonly el: HTMLElement;
  private readonly targetField: HTMLElementTagNameMap['vscode-textfield'];
  private readonly status: HTMLElement;
  private readonly autoButton: HTMLButtonElement;
  private readonly outputRow: HTMLElement;
  private readonly exampleRow: HTMLElement;
  private readonly layerInput: HTMLElementTagNameMap['vscode-checkbox'];
  private readonly gradientOnly: HTMLElementTagNameMap['vscode-checkbox'];
  private readonly noTarget: HTMLElement;
  private outputSelect?: HTMLElement;
  private exampleSelect?: HTMLElement;
  private examples = 0;
  private following: string = S.targetAuto;

  constructor(private readonly opts: TargetPanelOptions) {
    this.targetField = textfield({ label: S.target, value: '', id: 'target-field', placeholder: 'e.g. 3  or  (0, 12, 40)', onChange: (v) => opts.onTargetText(v) });
    this.targetField.addEventListener('keydown', (e: KeyboardEvent) => {
      if (e.key === 'Enter') opts.onTargetText(this.targetField.value);
    });
    this.status = h('div', { class: 'll-target-status', id: 'target-status', 'aria-live': 'polite' });
    this.autoButton = h('button', { type: 'button', class: 'll-link', id: 'target-auto' }, 'Follow top prediction');
    this.autoButton.addEventListener('click', () => opts.onAuto());
    this.noTarget = h('div', { class: 'll-muted ll-small ll-note', id: 'target-none', role: 'note' }, S.noTarget);
    this.noTarget.hidden = true;
    this.outputRow = h('div');
    this.exampleRow = h('div');
    this.layerInput = checkbox({ label: S.layerInput, checked: false, id: 'toggle-layer-input', title: S.layerInputTitle, onChange: (v) => opts.onLayerInput(v) });
    this.gradientOnly = checkbox({ label: S.gradientOnly, checked: false, id: 'toggle-gradient-only', title: S.gradientOnlyTitle, onChange: (v) => opts.onGradientOnly(v) });
    this.el = h(
      'section',
      { class: 'll-section', id: 'target-panel', 'aria-labelledby': 'target-title' },
      h('h2', { class: 'll-section-title', id: 'target-title' }, S.attribution),
      this.outputRow,
      field(S.target, this.targetField, h('div', {}, this.status, h('div', { class: 'll-muted ll-small' }, S.targetHint))),
      this.noTarget,
      this.exampleRow,
      h('div', { class: 'll-toggles' }, this.layerInput, this.gradientOnly),
    );
  }

  setOutputs(outputs: ValueSummary[], chosen: string): void {
    this.outputSelect = outputs.length > 1 ? select({ label: S.output, id: 'output-select', value: chosen, options: outputs.map((o) => ({ value: o.name, label: `${o.name} [${(o.shape ?? []).join(', ')}]` })), onChange: (v) => this.opts.onOutput(v) }) : undefined;
    this.outputRow.replaceChildren(...(this.outputSelect ? [field(S.output, this.outputSelect)] : []));
  }

  setExamples(n: number, example: number): void {
    if (n !== this.examples) {
      this.examples = n;
      this.exampleSelect = n > 1 ? select({ label: S.example, id: 'example-select', value: String(example), options: Array.from({ length: n }, (_v, i) => ({ value: String(i), label: `Example ${i}` })), onChange: (v) => this.opts.onExample(Number(v)) }) : undefined;
      this.exampleRow.replaceChildren(...(this.exampleSelect ? [field(S.example, this.exampleSelect)] : []));
    } else if (this.exampleSelect) setSelectValue(this.exampleSelect, String(example));
  }

  /** The target as text, whether it follows the top prediction, and how it reads (or what is wrong). */
  setTarget(text: string, auto: boolean, description: string, error?: string): void {
    if (this.targetField.value !== text) this.targetField.value = text;
    this.targetField.invalid = !!error;
    this.status.classList.toggle('error', !!error);
    this.status.replaceChildren(error ?? description, auto || error ? '' : ' · ', auto || error ? '' : this.autoButton);
    if (auto && !error) this.status.append(h('span', { class: 'll-muted' }, ` (${this.following})`));
  }

  /** The words of the link back to the automatic target ('Follow top detection', 'Whole output', …). */
  setAutoLabel(label: string, following: string): void {
    this.autoButton.textContent = label;
    this.following = following;
  }

  /** Activation has no target; "gradient only" (multiply_by_inputs = False) exists for LGXA and integrated gradients. */
  setMethod(opts: { target: boolean; gradientOnly: boolean }): void {
    this.targetField.disabled = !opts.target;
    this.noTarget.hidden = opts.target;
    this.gradientOnly.hidden = !opts.gradientOnly;
  }

  setToggles(layerInput: boolean, gradientOnly: boolean): void {
    this.layerInput.checked = layerInput;
    this.gradientOnly.checked = gradientOnly;
  }
}
