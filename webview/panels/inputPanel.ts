/** The input the model sees (picked by the host's file dialog) and how images are preprocessed. */
import { IMAGE_PRESETS, type ImagePreprocess } from '../../src/shared/preprocess';
import { type InputInfo, type ModelInfo, PARAM_CHECKERS } from '../../src/shared/protocol';
import { button, checkbox, field, h, icon, replace, select, setSelectValue, textfield } from '../dom';
import { formatShape } from '../format';
import { S } from '../strings';
import { modelPixels } from '../imageShape';

export interface InputPanelOptions {
  onPick: () => void;
  onApply: (spec: ImagePreprocess, remember: boolean) => void;
}

/** The CLI's presets: ImageNet, [0, 1], [−1, 1]. */
const PRESETS: { label: string; title: string; spec: Pick<ImagePreprocess, 'range' | 'mean' | 'std'> }[] = [
  { label: 'ImageNet', title: 'RGB in [0, 1], then mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225)', spec: IMAGE_PRESETS.imagenet },
  { label: '[0, 1]', title: 'Pixels scaled to [0, 1]', spec: IMAGE_PRESETS.unit },
  { label: '[−1, 1]', title: 'Pixels scaled to [−1, 1]', spec: IMAGE_PRESETS.symmetric },
];

type ColourMode = 'rgb' | 'bgr' | 'gray';

export class InputPanel {
  readonly el: HTMLElement;
  private readonly thumb: HTMLCanvasElement;
  private readonly meta: HTMLElement;
  private readonly formError: HTMLElement;
  private readonly sourceEl: HTMLElement;
  private readonly f: {
    height: HTMLElementTagNameMap['vscode-textfield'];
    width: HTMLElementTagNameMap['vscode-textfield'];
    lo: HTMLElementTagNameMap['vscode-textfield'];
    hi: HTMLElementTagNameMap['vscode-textfield'];
    mean: HTMLElementTagNameMap['vscode-textfield'];
    std: HTMLElementTagNameMap['vscode-textfield'];
    resize: HTMLElement;
    colour: HTMLElement;
    layout: HTMLElement;
    remember: HTMLElementTagNameMap['vscode-checkbox'];
  };
  private resize: 'stretch' | 'center-crop' = 'stretch';
  private colour: ColourMode = 'rgb';
  private layout: 'nchw' | 'nhwc' = 'nchw';

  constructor(private readonly opts: InputPanelOptions) {
    this.thumb = h('canvas', { class: 'll-thumb', width: 1, height: 1, role: 'img', 'aria-label': 'Input image' });
    this.meta = h('div', { class: 'll-input-meta' }, S.noInput);
    const num = (label: string, id: string) => textfield({ label, value: '', id, type: 'number' });
    const txt = (label: string, id: string, placeholder: string) => textfield({ label, value: '', id, placeholder });
    this.f = {
      height: num('Height', 'pp-height'),
      width: num('Width', 'pp-width'),
      lo: num('Range low', 'pp-lo'),
      hi: num('Range high', 'pp-hi'),
      mean: txt('Mean', 'pp-mean', 'e.g. 0.485, 0.456, 0.406'),
      std: txt('Std', 'pp-std', 'e.g. 0.229, 0.224, 0.225'),
      resize: select({ label: 'Resize', id: 'pp-resize', value: 'stretch', options: [{ value: 'stretch', label: 'Stretch to size' }, { value: 'center-crop', label: 'Centre crop (keep aspect)' }], onChange: (v) => (this.resize = v) }),
      colour: select<ColourMode>({ label: 'Channels', id: 'pp-colour', value: 'rgb', options: [{ value: 'rgb', label: 'RGB' }, { value: 'bgr', label: 'BGR' }, { value: 'gray', label: 'Grey (1 channel)' }], onChange: (v) => (this.colour = v) }),
      layout: select({ label: 'Layout', id: 'pp-layout', value: 'nchw', options: [{ value: 'nchw', label: 'NCHW (channels first)' }, { value: 'nhwc', label: 'NHWC (channels last)' }], onChange: (v) => (this.layout = v) }),
      remember: checkbox({ label: S.remember, checked: true, onChange: () => undefined, id: 'pp-remember', title: 'Saved next to the model as <model>.onnx.layerlens.json' }),
    };
    this.formError = h('div', { class: 'll-form-error', role: 'alert' });
    this.sourceEl = h('span', { class: 'll-muted' });
    const presets = h(
      'div',
      { class: 'll-presets', role: 'group', 'aria-label': 'Presets' },
      ...PRESETS.map((p) => button({ label: p.label, title: p.title, secondary: true, onClick: () => this.applyPreset(p.spec) })),
    );
    const pair = (a: HTMLElement, sep: string, b: HTMLElement) => h('div', { class: 'll-pair' }, a, h('span', { class: 'll-muted' }, sep), b);
    const form = h(
      'details',
      { class: 'll-preprocess', id: 'preprocess' },
      h('summary', {}, S.preprocessing, ' ', this.sourceEl),
      h('div', { class: 'll-form' }, field('Presets', presets), field('Size (H × W)', pair(this.f.height, '×', this.f.width)), field('Resize', this.f.resize), field('Channels', this.f.colour), field('Range', pair(this.f.lo, '…', this.f.hi)), field('Mean', this.f.mean), field('Std', this.f.std), field('Layout', this.f.layout), this.f.remember, this.formError, h('div', { class: 'll-actions' }, button({ label: S.apply, id: 'pp-apply', onClick: () => this.apply() }))),
    );
    this.el = h(
      'section',
      { class: 'll-section', id: 'input-panel', 'aria-labelledby': 'input-title' },
      h('h2', { class: 'll-section-title', id: 'input-title' }, S.input),
      h('div', { class: 'll-input' }, h('div', { class: 'll-thumb-wrap' }, this.thumb), h('div', { class: 'll-input-side' }, this.meta, button({ label: [icon('folder-opened'), ' ', S.pickInput], id: 'pick-input', onClick: () => opts.onPick() }))),
      form,
    );
  }

  setModel(model: ModelInfo): void {
    this.fill(model.preprocess);
    this.sourceEl.textContent = model.preprocessSource ? `· from ${model.preprocessSource}` : '';
  }

  setInput(info: InputInfo): void {
    const img = info.image;
    this.thumb.hidden = !img;
    if (img) {
      this.thumb.width = img.width;
      this.thumb.height = img.height;
      const data = new ImageData(new Uint8ClampedArray(img.rgba.buffer, img.rgba.byteOffset, img.width * img.height * 4), img.width, img.height);
      this.thumb.getContext('2d')!.putImageData(data, 0, 0);
      this.thumb.classList.toggle('pixelated', img.width < 128);
    }
    if (info.preprocess) this.fill(info.preprocess);
    const seen = img ? modelPixels(info.tensorDims, info.preprocess?.layout ?? this.layout) : undefined;
    const sizeText = seen ? `${seen[1]} × ${seen[0]} px as the model sees it${img && (img.width !== seen[1] || img.height !== seen[0]) ? ` (preview ${img.width} × ${img.height})` : ''}` : img ? `${img.width} × ${img.height} px preview` : '';
    replace(this.meta, h('div', { class: 'll-input-name', title: info.name }, info.name), h('div', { class: 'll-muted' }, `${formatShape(info.tensorDims)} · ${info.dtype}`), sizeText ? h('div', { class: 'll-muted' }, sizeText) : null);
  }

  private fill(p: ImagePreprocess): void {
    const set = (el: HTMLElementTagNameMap['vscode-textfield'], v: string) => (el.value = v);
    set(this.f.height, p.size ? String(p.size[0]) : '');
    set(this.f.width, p.size ? String(p.size[1]) : '');
    set(this.f.lo, String(p.range?.[0] ?? 0));
    set(this.f.hi, String(p.range?.[1] ?? 1));
    set(this.f.mean, p.mean?.join(', ') ?? '');
    set(this.f.std, p.std?.join(', ') ?? '');
    this.resize = p.resize ?? 'stretch';
    this.colour = p.channels === 1 ? 'gray' : p.channelOrder === 'bgr' ? 'bgr' : 'rgb';
    this.layout = p.layout ?? 'nchw';
    setSelectValue(this.f.resize, this.resize);
    setSelectValue(this.f.colour, this.colour);
    setSelectValue(this.f.layout, this.layout);
  }

  private applyPreset(spec: Pick<ImagePreprocess, 'range' | 'mean' | 'std'>): void {
    this.f.lo.value = String(spec.range?.[0] ?? 0);
    this.f.hi.value = String(spec.range?.[1] ?? 1);
    this.f.mean.value = spec.mean?.join(', ') ?? '';
    this.f.std.value = spec.std?.join(', ') ?? '';
  }

  /** The form as a spec, or a message saying what is wrong. */
  readForm(): ImagePreprocess | string {
    const numbers = (s: string) => (s.trim() === '' ? undefined : s.split(/[\s,]+/).filter(Boolean).map(Number));
    const spec: ImagePreprocess = { resize: this.resize, layout: this.layout, channels: this.colour === 'gray' ? 1 : 3 };
    if (this.colour !== 'gray') spec.channelOrder = this.colour;
    const hgt = this.f.height.value.trim();
    const wid = this.f.width.value.trim();
    if (hgt || wid) spec.size = [Number(hgt), Number(wid)];
    spec.range = [Number(this.f.lo.value), Number(this.f.hi.value)];
    const mean = numbers(this.f.mean.value);
    const std = numbers(this.f.std.value);
    if (mean) spec.mean = mean;
    if (std) spec.std = std;
    const err = PARAM_CHECKERS.setPreprocess({ preprocess: spec, remember: true }, 'preprocessing');
    return err ? err.replace(/^preprocessing\.params\.preprocess\.?|^preprocessing\.preprocess\.?/, '') : spec;
  }

  private apply(): void {
    const r = this.readForm();
    this.formError.textContent = typeof r === 'string' ? r : '';
    if (typeof r !== 'string') this.opts.onApply(r, this.f.remember.checked);
  }
}
