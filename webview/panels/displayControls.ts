/** Display options (Captum's visualisation arguments): changing them never asks the host for anything. */
import { type Attrs, button, checkbox, h, icon, select, setSelectValue } from '../dom';
import type { DisplayOptions } from '../heatmap/overlay';
import { COLORMAP_OPTIONS, METHOD_OPTIONS, S, SIGN_OPTIONS, UPSAMPLING_OPTIONS } from '../strings';

export interface DisplayControlsOptions {
  onChange: (patch: Partial<DisplayOptions>) => void;
  onPin: () => void;
  onExportPng: () => void;
  onExportNpy: () => void;
}

function slider(id: string, label: string, min: number, max: number, step: number, onInput: (v: number) => void): { wrap: HTMLElement; input: HTMLInputElement; out: HTMLOutputElement } {
  const input = h('input', { type: 'range', id, min, max, step, 'aria-label': label } as Attrs);
  const out = h('output', { for: id, class: 'll-slider-value' });
  input.addEventListener('input', () => onInput(Number(input.value)));
  return { wrap: h('label', { class: 'll-slider' }, h('span', { class: 'll-control-label' }, label), input, out), input, out };
}

export class DisplayControls {
  readonly el: HTMLElement;
  private readonly method: HTMLElement;
  private readonly sign: HTMLElement;
  private readonly colormap: HTMLElement;
  private readonly upsampling: HTMLElement;
  private readonly native: HTMLElementTagNameMap['vscode-checkbox'];
  private readonly opacity: ReturnType<typeof slider>;
  private readonly clip: ReturnType<typeof slider>;
  private readonly pinButton: HTMLElementTagNameMap['vscode-button'];
  private readonly exportButtons: HTMLElementTagNameMap['vscode-button'][];

  constructor(display: DisplayOptions, opts: DisplayControlsOptions) {
    const labelled = (label: string, control: HTMLElement) => h('div', { class: 'll-control' }, h('span', { class: 'll-control-label' }, label), control);
    this.method = select({ label: S.method, id: 'display-method', value: display.method, options: METHOD_OPTIONS, onChange: (method) => opts.onChange({ method }) });
    this.sign = select({ label: S.sign, id: 'display-sign', value: display.sign, options: SIGN_OPTIONS, onChange: (sign) => opts.onChange({ sign }) });
    this.colormap = select({ label: S.colormap, id: 'display-colormap', value: display.colormap, options: COLORMAP_OPTIONS, onChange: (colormap) => opts.onChange({ colormap }) });
    this.upsampling = select({ label: S.upsampling, id: 'display-upsampling', value: display.upsampling, options: UPSAMPLING_OPTIONS, onChange: (upsampling) => opts.onChange({ upsampling }) });
    this.native = checkbox({ label: S.nativeResolution, id: 'display-native', checked: display.nativeResolution, title: S.nativeResolutionTitle, onChange: (nativeResolution) => opts.onChange({ nativeResolution }) });
    this.opacity = slider('display-opacity', S.opacity, 0, 1, 0.05, (opacity) => {
      this.opacity.out.value = opacity.toFixed(2);
      opts.onChange({ opacity });
    });
    this.clip = slider('display-clip', S.clip, 0, 20, 0.5, (outlierPerc) => {
      this.clip.out.value = `${outlierPerc}%`;
      opts.onChange({ outlierPerc });
    });
    this.clip.wrap.title = "Captum's outlier_perc: the top share of attribution mass that saturates the colour scale";
    this.pinButton = button({ label: [icon('pin'), ' ', S.pin], id: 'pin-button', secondary: true, onClick: () => opts.onPin() });
    this.exportButtons = [
      button({ label: [icon('file-media'), ' ', S.exportPng], id: 'export-png', secondary: true, onClick: () => opts.onExportPng() }),
      button({ label: [icon('save'), ' ', S.exportNpy], id: 'export-npy', secondary: true, onClick: () => opts.onExportNpy() }),
    ];
    this.el = h(
      'div',
      { class: 'll-toolbar', role: 'toolbar', 'aria-label': 'Display' },
      h('div', { class: 'll-toolbar-row ll-toolbar-selects' }, labelled(S.method, this.method), labelled(S.sign, this.sign), labelled(S.colormap, this.colormap), labelled(S.upsampling, this.upsampling)),
      h('div', { class: 'll-toolbar-row' }, this.opacity.wrap, this.clip.wrap, this.native, h('span', { class: 'll-spacer' }), this.pinButton, ...this.exportButtons),
    );
    this.set(display);
  }

  set(d: DisplayOptions): void {
    setSelectValue(this.method, d.method);
    setSelectValue(this.sign, d.sign);
    setSelectValue(this.colormap, d.colormap);
    setSelectValue(this.upsampling, d.upsampling);
    this.native.checked = d.nativeResolution;
    this.opacity.input.value = String(d.opacity);
    this.opacity.out.value = d.opacity.toFixed(2);
    this.clip.input.value = String(d.outlierPerc);
    this.clip.out.value = `${d.outlierPerc}%`;
    // Opacity only means something when the heat map is blended over the image.
    this.opacity.input.disabled = d.method !== 'blended_heat_map';
    (this.upsampling as HTMLElementTagNameMap['vscode-single-select']).disabled = d.nativeResolution;
  }

  setPinned(pinned: boolean): void {
    this.pinButton.replaceChildren(icon(pinned ? 'pinned' : 'pin'), ' ', pinned ? S.unpin : S.pin);
    this.pinButton.setAttribute('aria-pressed', String(pinned));
  }

  setHasResult(has: boolean): void {
    for (const b of [this.pinButton, ...this.exportButtons]) b.disabled = !has;
  }
}
