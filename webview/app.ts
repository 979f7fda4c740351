/**
 * The inspector: wires the panels to the host protocol and keeps the view state.
 * Requests go out only for things the engine must compute (predict, attribute) or the host must do
 * (pick a file, save a file, remember preprocessing); everything about how a result looks is local.
 */
import { type AttributeParams, type AttributeResponse, type ErrorInfo, type InputImage, type InputInfo, LIMITS, type ModelInfo, type PredictResponse, type TextTarget } from '../src/shared/protocol';
import { unpackThumbnails } from '../src/shared/displayTensor';
import type { ImagePreprocess } from '../src/shared/preprocess';
import { attributionUnits, costEstimate, costUnits, describeMethod, formatDelta, type LayerDims, type MethodChoice, ablationGroups, methodSpec, takesGradientOnly, takesTarget } from './attributionMethod';
import { h, icon, select, setFullText } from './dom';
import { formatMs, formatPercent, formatShape, formatValue, safeFileName } from './format';
import type { DisplayOptions } from './heatmap/overlay';
import { type AttributionMap, type ChannelLayout, tokenGrid, channelAxisOf, channelCount, channelMap, channelVector, exampleCount, summedMap } from './heatmap/tensorMap';
import { ChannelGrid } from './panels/channelGrid';
import { DisplayControls } from './panels/displayControls';
import { renderFigurePng } from './panels/figureExport';
import { type FigureSource, HeatmapFigure } from './panels/heatmapFigure';
import { InputPanel } from './panels/inputPanel';
import { MethodPanel } from './panels/methodPanel';
import { LayerTreeView } from './panels/layerTree';
import { PredictionsPanel } from './panels/predictions';
import { StatusBar } from './panels/statusBar';
import { TargetPanel } from './panels/targetPanel';
import { WhatIfPanel } from './panels/whatIfPanel';
import { Filmstrip, type FilmstripScope } from './panels/filmstrip';
import { RequestError, RpcClient } from './rpc';
import { S } from './strings';
import { checkTarget, formatTarget, parseTarget } from './targetSpec';
import type { Detection } from '../src/shared/outputView';
import type { AttributeTarget } from '../src/shared/protocol';
import { autoTarget, detectionOf, detectionOnInput, detectionText, imageBoxOf, imageBoxText, imageGeometry, type PixelBox, type WebviewView, winsTarget } from './outputTargets';
import type { Rect } from './panels/outputPicture';
import type { Transport } from './transport';
import { forModel, restoreViewState, type ViewState } from './viewState';

/**
 * What became of the selection's attribution while the figure shows an earlier result (or none): running,
 * cancelled, or refused (by the engine, or before asking it). `wanted` names the selection in parts
 * (see `selectionParts`) so that the figure's notice can say exactly what differs from what it shows.
 */
interface SelectionOutcome {
  kind: 'busy' | 'cancelled' | 'refused';
  wanted: string[];
  message?: string;
  severity?: 'info' | 'error';
  error?: ErrorInfo;
}

/** A finished attribution, with what it was computed for. */
interface ShownResult {
  seq: number;
  /** The `attribute` request's id: the host keeps the whole result under it (Export .npy of a display-form tensor). */
  requestId: number;
  params: AttributeParams;
  response: AttributeResponse;
  image?: InputImage;
  targetText: string;
  /** Where the target lies on the input, per example (a detection's box, a box of an image output). */
  outlines?: (Rect | undefined)[];
}

export class App {
  private readonly rpc: RpcClient;
  private state: ViewState;
  private model?: ModelInfo;
  private input?: InputInfo;
  private predictions?: PredictResponse;
  private current?: ShownResult;
  private pinned?: ShownResult;
  private pendingAttribute?: number;
  private outcome?: SelectionOutcome;
  /** A notice that stays until the user's next action (a cancel), unlike the 4 s confirmations. */
  private stickyNotice = '';
  private pendingPredict?: number;
  /** Whether the last predict finished (well or not): an automatic target waits for it. */
  private predictionsSettled = false;
  /** The last predictions were refused in Restricted Mode (the user chose not to run the model). */
  private predictionsRefused = false;
  private seq = 0;

  private readonly tree: LayerTreeView;
  private readonly inputPanel: InputPanel;
  private readonly predictionsPanel: PredictionsPanel;
  private readonly targetPanel: TargetPanel;
  private readonly methodPanel: MethodPanel;
  /** Milliseconds of one forward + backward pass of this model, as last measured (for the methods' cost estimate). */
  private unitMs?: number;
  private readonly controls: DisplayControls;
  private readonly figure: HeatmapFigure;
  private readonly pinnedFigure: HeatmapFigure;
  private readonly channels: ChannelGrid;
  private readonly whatIf: WhatIfPanel;
  /** Full-size channels of display-form tensors, fetched when a tile is chosen (by request, tensor, example, channel). */
  private readonly channelPlanes = new Map<string, AttributionMap>();
  private readonly fetchingPlanes = new Set<string>();
  private readonly filmstrip: Filmstrip;
  /** The module whose children the filmstrip shows ('' = the top level). */
  private filmstripScope = '';
  /** What the filmstrip shows or is computing (scope, target, output, input…); a request goes out when it changes. */
  private filmstripKey = '';
  private pendingFilmstrip?: number;
  private filmstripResult?: { response: AttributeResponse; note: string };
  /** Counts loaded inputs (the filmstrip's key changes with each). */
  private inputSerial = 0;
  /** The what-if predict in flight. */
  private pendingWhatIf?: number;
  /** What switched-off channels hold (0 unless the user sets another value). */
  private whatIfBaseline = 0;
  private readonly status: StatusBar;
  private readonly banner: HTMLElement;
  private readonly tensorRow: HTMLElement;
  private readonly figures: HTMLElement;
  private readonly modelName: HTMLElement;
  private readonly notice: HTMLElement;

  constructor(
    private readonly root: HTMLElement,
    private readonly transport: Transport,
  ) {
    this.rpc = new RpcClient(transport);
    this.state = restoreViewState(transport.getState());

    this.tree = new LayerTreeView({
      filter: this.state.filter,
      expanded: this.state.expanded,
      onSelect: (id) => this.selectLayer(id),
      onFilterChange: (filter) => this.update({ filter }),
      onExpandedChange: (expanded) => this.update({ expanded }),
    });
    this.inputPanel = new InputPanel({ onPick: () => this.pickInput(), onApply: (p, remember) => this.applyPreprocess(p, remember) });
    this.predictionsPanel = new PredictionsPanel({
      onClass: (index) => this.chooseClass(index),
      onTargetText: (text) => this.setTargetText(text),
      onDetection: (d) => this.chooseDetection(d),
      onWins: (cls) => this.chooseWins(cls),
      onBox: (box) => this.chooseBox(box),
      onOutput: (output) => this.setOutput(output),
    });
    this.targetPanel = new TargetPanel({
      onTargetText: (t) => this.setTargetText(t),
      onAuto: () => this.followTopPrediction(),
      onOutput: (output) => this.setOutput(output),
      onExample: (example) => this.setExample(example),
      onLayerInput: (layerInput) => this.setAttributionOption({ layerInput }),
      onGradientOnly: (gradientOnly) => this.setAttributionOption({ gradientOnly }),
    });
    this.targetPanel.setToggles(this.state.layerInput, this.state.gradientOnly);
    this.tree.setLayerInput(this.state.layerInput);
    this.methodPanel = new MethodPanel((patch) => this.setMethod(patch));
    this.controls = new DisplayControls(this.state.display, {
      onChange: (patch) => this.setDisplay(patch),
      onPin: () => this.togglePin(),
      onExportPng: () => void this.exportPng(),
      onExportNpy: () => void this.exportNpy(),
    });
    this.controls.setHasResult(false);
    this.figure = new HeatmapFigure('figure-current', S.current);
    this.pinnedFigure = new HeatmapFigure('figure-pinned', S.pinned);
    this.pinnedFigure.el.hidden = true;
    this.channels = new ChannelGrid(
      (channel) => this.setChannel(channel),
      this.state.tileScale,
      (tileScale) => {
        this.update({ tileScale });
        this.channels.setScale(tileScale);
        this.renderDisplay();
      },
      (channels) => this.runWhatIf(channels),
    );
    this.whatIf = new WhatIfPanel(
      () => this.channels.restore(),
      (baseline) => {
        this.whatIfBaseline = baseline;
        this.runWhatIf(this.channels.ablatedChannels);
      },
    );
    this.filmstrip = new Filmstrip({
      onOpen: (layerId) => this.selectLayer(layerId),
      onToggle: (on) => (on ? this.refreshFilmstrip() : this.cancelFilmstrip()),
      onScope: (scope) => {
        this.filmstripScope = scope;
        this.refreshFilmstrip();
      },
      onScale: () => this.renderDisplay(),
    });
    this.status = new StatusBar(() => this.cancelAll());
    this.banner = h('div', { class: 'll-banner', role: 'alert', id: 'banner' });
    this.banner.hidden = true;
    this.tensorRow = h('div', { class: 'll-tensor-row' });
    this.figures = h('div', { class: 'll-figures' }, this.pinnedFigure.el, this.figure.el);
    this.modelName = h('span', { class: 'll-model-name', id: 'model-name' });
    this.notice = h('span', { class: 'll-notice', role: 'status', id: 'notice' });

    root.classList.add('ll-app');
    root.replaceChildren(
      h('header', { class: 'll-header' }, h('div', { class: 'll-brand' }, icon('telescope'), h('strong', {}, S.appTitle), this.modelName), this.notice, this.status.el),
      this.banner,
      h(
        'div',
        { class: 'll-main' },
        h('aside', { class: 'll-col ll-col-left' }, this.tree.el),
        h('main', { class: 'll-col ll-col-center', 'aria-label': 'Attribution' }, this.controls.el, this.tensorRow, this.figures, this.filmstrip.el, this.channels.el, this.whatIf.el),
        h('aside', { class: 'll-col ll-col-right' }, this.inputPanel.el, this.predictionsPanel.el, this.methodPanel.el, this.targetPanel.el),
      ),
    );
    document.addEventListener('keydown', (e) => {
      const t = e.target as HTMLElement | null;
      const typing = !!t && (/^(INPUT|TEXTAREA)$/.test(t.tagName) || t.tagName.startsWith('VSCODE-TEXT'));
      if (e.key === '/' && !typing) {
        e.preventDefault();
        this.tree.focusFilter();
      } else if (e.key === 'Escape' && (this.pendingAttribute || this.pendingPredict)) this.cancelAll();
    });

    this.rpc.on('modelLoaded', (m) => this.onModelLoaded(m));
    this.rpc.on('inputLoaded', (i) => this.onInputLoaded(i));
    this.rpc.on('progress', (p) => {
      if (p.requestId === this.pendingAttribute) this.status.progress(p, `Attributing ${this.state.layerId ?? ''}`);
      else if (p.requestId === this.pendingPredict) this.status.progress(p, 'Predicting');
    });
    this.rpc.on('error', (e) => this.showBanner(e));
    this.rpc.on('providerInfo', (info) => this.status.setProvider(info));
    this.refreshTarget();
    this.refreshMethod();
  }

  start(): void {
    this.rpc.ready().catch((e: unknown) => this.showBanner(errorInfo(e)));
  }

  // ---- host events ------------------------------------------------------------------------------------

  private onModelLoaded(m: ModelInfo): void {
    this.model = m;
    this.state = forModel(this.state, m.modelKey);
    const known = new Set(m.layers.map((l) => l.id));
    if (m.initialLayer && known.has(m.initialLayer)) this.state.layerId = m.initialLayer;
    if (this.state.layerId && !known.has(this.state.layerId)) this.state.layerId = undefined;
    if (typeof this.state.output === 'string' && !m.outputs.some((o) => o.name === this.state.output)) this.state.output = undefined;
    this.modelName.textContent = m.modelName;
    this.modelName.title = `${m.modelName}\n${m.modelKey}`;
    this.tree.setModel(m);
    this.cancelFilmstrip();
    this.filmstripScope = '';
    this.filmstrip.clear();
    this.refreshFilmstripScopes();
    this.tree.setSelected(this.state.layerId);
    this.tree.setLayerInput(this.state.layerInput);
    this.targetPanel.setToggles(this.state.layerInput, this.state.gradientOnly);
    this.inputPanel.setModel(m);
    this.targetPanel.setOutputs(m.outputs, this.outputName() ?? '');
    this.current = undefined;
    this.pinned = undefined;
    this.predictions = undefined;
    this.predictionsSettled = false;
    this.unitMs = undefined;
    if (!this.pendingAttribute) this.outcome = undefined;
    this.save();
    this.showResult();
    this.refreshTarget();
    this.refreshMethod();
    if (this.input) this.predict();
  }

  private onInputLoaded(info: InputInfo): void {
    const img = info.image;
    const i = img && img.rgba.length !== img.width * img.height * 4 ? { ...info, image: undefined } : info;
    if (i !== info) this.showBanner({ message: `The input image is ${img!.width}×${img!.height} but carries ${img!.rgba.length} bytes; showing heat maps without it.` });
    this.input = i;
    this.inputSerial++;
    this.inputPanel.setInput(i);
    const n = i.tensorDims.length ? i.tensorDims[0] : 1;
    if (this.state.example >= n) this.update({ example: 0 });
    this.targetPanel.setExamples(n, this.state.example);
    this.predictions = undefined;
    this.predictionsSettled = false;
    this.refreshTarget();
    this.predict();
  }

  private showBanner(e: ErrorInfo): void {
    const where = e.node || e.op ? ` (${e.op ? `${e.op} ` : ''}node ${e.node ?? '?'})` : '';
    const close = h('button', { type: 'button', class: 'll-icon-button', 'aria-label': 'Dismiss', title: 'Dismiss' }, '×');
    close.addEventListener('click', () => (this.banner.hidden = true));
    this.banner.replaceChildren(icon('error'), h('span', {}, `${e.message}${where}`), close);
    this.banner.hidden = false;
  }

  // ---- requests ---------------------------------------------------------------------------------------

  private pickInput(): void {
    this.rpc.request('pickInput', { inputIndex: 0 }).promise.catch((e: unknown) => this.showBanner(errorInfo(e)));
  }

  private applyPreprocess(preprocess: ImagePreprocess, remember: boolean): void {
    this.rpc
      .request('setPreprocess', { preprocess, remember })
      .promise.then(() => this.flash(remember ? 'Preprocessing saved for this model.' : 'Preprocessing applied.'))
      .catch((e: unknown) => this.showBanner(errorInfo(e)));
  }

  private predict(): void {
    if (!this.model || !this.input) return;
    if (this.pendingPredict) this.rpc.cancel(this.pendingPredict);
    this.predictionsPanel.loading();
    this.predictionsSettled = false;
    const { id, promise } = this.rpc.request('predict', { top: this.state.topK, ...(this.state.output !== undefined ? { output: this.state.output } : {}) });
    this.pendingPredict = id;
    this.status.busy('Predicting…');
    promise
      .then((resp) => {
        this.predictions = resp;
        this.predictionsSettled = true;
        if (this.state.targetAuto) this.applyAutoTarget();
        this.save();
        this.refreshPredictions();
        this.refreshTarget();
        this.attribute();
      })
      .catch((e: unknown) => {
        if (e instanceof RequestError && e.cancelled) return;
        // Without predictions the target is whatever the field says (empty: none).
        this.predictionsSettled = true;
        this.predictionsPanel.show({ labels: [], example: 0 });
        this.showBanner(errorInfo(e));
        this.attribute();
        // Refused in Restricted Mode: ask for them again with the next attribution the user starts (not this one,
        // which the same answer refuses).
        this.predictionsRefused = errorInfo(e).code === 'untrusted';
      })
      .finally(() => {
        if (this.pendingPredict === id) {
          this.pendingPredict = undefined;
          if (!this.pendingAttribute) this.status.idle();
        }
      });
  }

  /** An attribute request whose answer has its 8-bit thumbnails unpacked into floats (the tensors as tensorMap reads them). */
  private requestAttribute(params: AttributeParams): { id: number; promise: Promise<AttributeResponse> } {
    const { id, promise } = this.rpc.request('attribute', params);
    return { id, promise: promise.then(unpackAttributeResponse) };
  }

  /** Asks for an attribution when there is a layer, an input and a valid target. */
  private attribute(): void {
    const layerId = this.state.layerId;
    if (!this.model || !layerId) return;
    if (!this.input) {
      this.refuse(S.needInput, 'info');
      return;
    }
    if (this.predictionsRefused && this.predictionsSettled) {
      // The user declined to run the model before; this new action asks again, predictions first (they set the
      // automatic target and then start this attribution).
      this.predictionsRefused = false;
      this.predict();
      return;
    }
    const choice = this.state.attributionMethod;
    const method = methodSpec(choice, { gradientOnly: this.state.gradientOnly, layerDims: this.layerDims(), layout: this.layerLayout() });
    if (typeof method === 'string') {
      this.methodPanel.setError(method);
      this.refuse(method, 'error');
      return;
    }
    this.methodPanel.setError('');
    let target: AttributeTarget | string = { kind: 'none' };
    if (takesTarget(choice.name)) {
      // The target arrives with the predictions (the automatic one, or a class's winning pixels for this input).
      if ((this.state.targetAuto || this.state.targetWins !== undefined) && !this.predictionsSettled) return;
      if (this.state.targetAuto && !this.state.targetText && this.state.targetWins === undefined && (this.outputDims()?.length ?? 0) > 2) {
        this.refuse(this.role()?.role === 'boxes' ? S.boxesTargetHint(this.role()?.companion) : 'The output is dense: type a target tuple such as (class, y, x) in Attribution → Target.', 'info');
        return;
      }
      target = this.requestTarget();
      if (typeof target === 'string') {
        this.refuse(`Target: ${target}`, 'error');
        return;
      }
    }
    const params: AttributeParams = { layers: [layerId], target, layerInput: this.state.layerInput, gradientOnly: choice.name === 'lgxa' && this.state.gradientOnly };
    if (this.state.output !== undefined) params.output = this.state.output;
    if (method) params.method = method;
    if (this.pendingAttribute) this.rpc.cancel(this.pendingAttribute);
    const { id, promise } = this.requestAttribute(params);
    this.pendingAttribute = id;
    const image = this.input.image;
    const targetText = takesTarget(choice.name) ? this.targetLabel() : '';
    const outlines = typeof target !== 'string' ? this.outlinesOf(target) : undefined;
    this.status.busy(`Attributing ${layerId} · ${describeMethod(method, params.gradientOnly)}…`);
    this.clearStickyNotice();
    this.figure.el.classList.add('stale');
    const wanted = this.selectionParts();
    this.outcome = { kind: 'busy', wanted };
    this.showOutcome();
    promise
      .then((response) => {
        const received = Date.now();
        this.current = { seq: ++this.seq, requestId: id, params, response, image, targetText, ...(outlines ? { outlines } : {}) };
        if (this.pendingAttribute === id) this.outcome = undefined;
        this.status.setRun(response.provider, response.timings, response.providerNotes);
        const units = costUnits(params.method);
        if (units) this.unitMs = response.timings.run / units;
        this.refreshMethod();
        this.showResult();
        // From the engine's end to the picture on screen (the next frame after it is drawn): transfer + decode + draw.
        const doneAt = response.timings.doneAt;
        const drawn = Date.now() - received;
        if (doneAt !== undefined)
          requestAnimationFrame(() => {
            this.root.dataset.resultLagMs = String(Date.now() - doneAt);
            // Of which in this webview: decoding the tensor into maps and drawing them (the rest is the way here).
            this.root.dataset.resultDrawMs = String(drawn);
            // And on the way: engine → extension host, the host's own work, host → this webview.
            const { hostReceivedAt, hostSentAt } = response.timings;
            if (hostReceivedAt !== undefined && hostSentAt !== undefined)
              this.root.dataset.resultHops = JSON.stringify({ toHost: hostReceivedAt - doneAt, inHost: hostSentAt - hostReceivedAt, toWebview: received - hostSentAt });
          });
        this.refreshFilmstrip();
      })
      .catch((e: unknown) => {
        // Superseded by a newer request: that one owns the figure now.
        if (this.pendingAttribute !== id) return;
        if (e instanceof RequestError && e.cancelled) {
          // Cancelled elsewhere (VS Code's progress notification); the Cancel button is handled in cancelAll.
          this.outcome = { kind: 'cancelled', wanted };
          this.sayUntilNextAction('Cancelled.');
          this.showResult();
          return;
        }
        // The figure names what failed and shows no picture or channels of another selection under it.
        this.current = undefined;
        const info = errorInfo(e);
        this.outcome = { kind: 'refused', wanted, message: info.message, severity: 'error', error: info };
        this.showResult();
      })
      .finally(() => {
        if (this.pendingAttribute === id) {
          this.pendingAttribute = undefined;
          this.figure.el.classList.remove('stale');
          if (!this.pendingPredict) this.status.idle();
        }
      });
  }

  /**
   * What-if ablation: the predictions with these channels of the shown result's layer tensor set to 0 (one patched
   * forward in the engine), next to the predictions without the switch. No channels: the panel goes.
   */
  private runWhatIf(channels: number[]): void {
    if (this.pendingWhatIf) this.rpc.cancel(this.pendingWhatIf);
    this.pendingWhatIf = undefined;
    const r = this.current;
    if (!channels.length || !r) {
      this.whatIf.hide();
      return;
    }
    const tensors = r.response.layers[0]?.tensors ?? [];
    const ti = Math.min(this.state.tensorIndex, tensors.length - 1);
    const t = tensors[ti];
    const axis = t && channelAxisOf(t.dims, this.layoutFor(t.dims));
    if (axis === undefined) return;
    const p = r.params;
    const what = `${channels.length === 1 ? `channel ${channels[0]}` : `${channels.length} channels (${channels.join(', ')})`} of ${p.layers[0]} (layer ${p.layerInput ? 'input' : 'output'}${tensors.length > 1 ? ` ${t.valueName}` : ''}) set to ${formatValue(this.whatIfBaseline)}`;
    const classes = this.scoresPerExample() ?? this.state.topK;
    const { id, promise } = this.rpc.request('predict', {
      top: Math.max(1, Math.min(LIMITS.topMax, classes)),
      ...(p.output !== undefined ? { output: p.output } : {}),
      ablate: { layer: p.layers[0], layerInput: p.layerInput, value: ti, channelAxis: axis, channels, ...(this.whatIfBaseline !== 0 ? { baseline: this.whatIfBaseline } : {}) },
    });
    this.pendingWhatIf = id;
    this.whatIf.busy(what);
    promise
      .then((resp) => this.whatIf.show(what, resp, Math.min(this.state.example, resp.top.length - 1), this.model?.labels ?? []))
      .catch((e: unknown) => {
        if (e instanceof RequestError && e.cancelled) return;
        this.whatIf.error(what, errorInfo(e).message);
      })
      .finally(() => {
        if (this.pendingWhatIf === id) this.pendingWhatIf = undefined;
      });
  }

  /** Scores per example of the model output when it is one score vector per example ([N, K]); else undefined. */
  private scoresPerExample(): number | undefined {
    const dims = this.outputDims();
    if (!dims || dims.length > 2) return undefined;
    const k = dims.length === 2 ? dims[1] : 1;
    return typeof k === 'number' && k > 0 ? k : undefined;
  }

  /** Why the channel tiles' what-if switches are off for this result (empty: they work). */
  private whatIfUnavailable(r: ShownResult | undefined, t: { dims: readonly number[] } | undefined): string {
    if (!r || !t) return 'no result';
    if (channelAxisOf(t.dims, this.layoutFor(t.dims)) === undefined) return `this tensor's channels span several axes (${formatShape(t.dims)})`;
    if (this.scoresPerExample() === undefined) return 'the model output is not one score vector per example; what-if predictions need classes';
    return '';
  }

  private cancelAll(): void {
    if (this.pendingAttribute) this.rpc.cancel(this.pendingAttribute);
    if (this.pendingPredict) this.rpc.cancel(this.pendingPredict);
    this.pendingAttribute = this.pendingPredict = undefined;
    this.figure.el.classList.remove('stale');
    this.status.idle();
    if (this.outcome?.kind === 'busy') this.outcome = { ...this.outcome, kind: 'cancelled' };
    this.showResult();
    this.sayUntilNextAction('Cancelled.');
  }

  /** The selection cannot be attributed as it stands (no input, a bad target or argument): the figure says why. */
  private refuse(message: string, severity: 'info' | 'error'): void {
    if (this.pendingAttribute) this.rpc.cancel(this.pendingAttribute);
    this.pendingAttribute = undefined;
    this.figure.el.classList.remove('stale');
    if (!this.pendingPredict) this.status.idle();
    this.current = undefined;
    this.outcome = { kind: 'refused', wanted: this.selectionParts(), message, severity };
    this.showResult();
  }

  /** Exports the figure as shown — both panels of a comparison — with titles and the colour scale. */
  private async exportPng(): Promise<void> {
    const shown: [HeatmapFigure, ShownResult, string, boolean][] = [];
    if (this.pinned) shown.push([this.pinnedFigure, this.pinned, S.pinned, false]);
    if (this.current) shown.push([this.figure, this.current, S.current, true]);
    const panels = shown.flatMap(([figure, r, heading, withChannel]) => {
      const panel = figure.exportPanel(shown.length > 1 ? heading : '', attributionUnits(r.params.method, r.params.gradientOnly));
      return panel ? [{ panel, name: this.exportName(r, withChannel) }] : [];
    });
    if (!panels.length) return;
    try {
      const header = [this.model?.modelName, this.input?.name ? `input ${this.input.name}` : ''].filter(Boolean).join(' · ');
      const png = await renderFigurePng(header, panels.map((p) => p.panel));
      const name = `${panels.map((p) => p.name).join('_vs_').slice(0, 200)}.png`;
      const res = await this.rpc.request('exportPng', { suggestedName: name, png }, [png.buffer as ArrayBuffer]).promise;
      if (res.saved) this.flash(`Saved ${res.path ?? name}`);
    } catch (e) {
      this.showBanner(errorInfo(e));
    }
  }

  /** A default file name that tells exports apart: layer, side, method, target (and channel, sign when not the defaults). */
  private exportName(r: ShownResult, withChannel: boolean): string {
    const p = r.params;
    const method = p.method?.name ?? (p.gradientOnly ? 'lgxa-gradient-only' : 'lgxa');
    const channel = withChannel && this.state.channel !== undefined ? `ch${this.state.channel}` : '';
    const sign = this.state.display.sign === 'all' ? '' : this.state.display.sign;
    const target = p.method?.name === 'activation' ? '' : `target-${r.targetText || 'none'}`;
    return [p.layers[0], p.layerInput ? 'in' : 'out', method, target, channel, sign].filter(Boolean).map(safeFileName).join('_');
  }

  /** Channel `channel` of a display-form tensor at full size, when it has come; else it is asked for (and redrawn then). */
  private fullChannel(r: ShownResult, tensor: number, example: number, channel: number): AttributionMap | undefined {
    const key = `${r.requestId}:${tensor}:${example}:${channel}`;
    const got = this.channelPlanes.get(key);
    if (got) return got;
    if (!this.fetchingPlanes.has(key)) {
      this.fetchingPlanes.add(key);
      this.rpc
        .request('channel', { ref: { requestId: r.requestId, layer: 0, tensor }, example, channel })
        .promise.then((plane) => {
          this.channelPlanes.set(key, { spatial: true, width: plane.dims[1], height: plane.dims[0], values: Float64Array.from(plane.data) });
          while (this.channelPlanes.size > 24) this.channelPlanes.delete(this.channelPlanes.keys().next().value as string);
          if (this.current === r) this.showResult();
        })
        .catch((e: unknown) => this.showBanner(errorInfo(e)))
        .finally(() => this.fetchingPlanes.delete(key));
    }
    return undefined;
  }

  private async exportNpy(): Promise<void> {
    const r = this.current;
    if (!r) return;
    const tensors = r.response.layers[0]?.tensors ?? [];
    const t = tensors[Math.min(this.state.tensorIndex, tensors.length - 1)];
    if (!t) return;
    const suggestedName = `attr_${safeFileName(r.params.layers[0])}_${this.state.tensorIndex}.npy`;
    // A copy travels, so the shown result keeps its buffer; of a display-form tensor, the host has the whole one.
    const data = t.reduced ? undefined : new Float32Array(t.data);
    try {
      const res = await (data
        ? this.rpc.request('exportNpy', { suggestedName, tensor: { dims: [...t.dims], data } }, [data.buffer])
        : this.rpc.request('exportNpy', { suggestedName, ref: { requestId: r.requestId, layer: 0, tensor: Math.min(this.state.tensorIndex, tensors.length - 1) } })
      ).promise;
      if (res.saved) this.flash(`Saved ${res.path ?? 'attribution'}`);
    } catch (e) {
      this.showBanner(errorInfo(e));
    }
  }

  // ---- user choices -----------------------------------------------------------------------------------

  private selectLayer(id: string): void {
    this.update({ layerId: id, tensorIndex: 0, channel: undefined });
    this.tree.setSelected(id);
    this.filmstrip.setSelected(id);
    this.refreshFilmstripScopes();
    this.refreshMethod();
    this.rpc.request('selectLayer', { layerId: id }).promise.catch(() => undefined);
    this.attribute();
  }

  private chooseClass(index: number): void {
    const n = this.exampleTotal();
    let text = String(index);
    if (n > 1) {
      const cur = this.parsedTarget();
      const list = typeof cur !== 'string' && cur.kind === 'perExample' && cur.indices.length === n ? [...cur.indices] : Array.from({ length: n }, (_v, i) => this.predictions?.top[i]?.[0]?.index ?? index);
      list[this.state.example] = index;
      text = list.join(',');
    }
    this.update({ targetText: text, targetAuto: false, targetWins: undefined });
    this.refreshPredictions();
    this.refreshTarget();
    this.attribute();
  }

  private setTargetText(text: string): void {
    const parsed = parseTarget(text);
    this.update({ targetText: typeof parsed === 'string' ? text : formatTarget(parsed), targetAuto: false, targetWins: undefined });
    this.refreshPredictions();
    this.refreshTarget();
    if (typeof parsed !== 'string') this.attribute();
  }

  private followTopPrediction(): void {
    this.update({ targetAuto: true });
    this.applyAutoTarget();
    this.refreshPredictions();
    this.refreshTarget();
    this.attribute();
  }

  /** A detection of the ranked list: its anchor's score for its class, `(anchor, class)` (per example in a batch). */
  private chooseDetection(d: Detection): void {
    const n = this.exampleTotal();
    const view = this.view();
    let picks: Pick<Detection, 'anchor' | 'class'>[] = [d];
    if (n > 1 && view?.role === 'detector') {
      const cur = this.parsedTarget();
      picks = Array.from({ length: n }, (_v, i) => (typeof cur !== 'string' && detectionOf(cur, view.detections[i] ?? [], i)) || view.detections[i]?.[0] || d);
      picks[this.state.example] = d;
    }
    this.setTargetText(detectionText(picks));
  }

  /** "Class `cls` where it wins": the sum of its logits over the pixels where it is the argmax (a mask target). */
  private chooseWins(cls: number): void {
    this.update({ targetWins: cls, targetText: '', targetAuto: false });
    this.refreshPredictions();
    this.refreshTarget();
    this.attribute();
  }

  /** A box (or a pixel) of an image output: the sum of the output over it. */
  private chooseBox(box: PixelBox): void {
    const view = this.view();
    if (view?.role !== 'image' || !this.predictions) return;
    this.setTargetText(imageBoxText(this.predictions.outputShape, view.layout, box));
  }

  /** Sets the target the output's role starts from (top class, top detection, largest class where it wins, whole image). */
  private applyAutoTarget(): void {
    const auto = autoTarget(this.role()?.role, this.predictions, this.view(), this.model?.labels ?? [], this.exampleTotal());
    this.state = { ...this.state, targetText: auto && 'text' in auto ? auto.text : '', targetWins: auto && 'wins' in auto ? auto.wins : undefined };
    this.save();
  }

  /** The target as the figure, the notices and export names call it. */
  private targetLabel(): string {
    const w = this.state.targetWins;
    if (w === undefined) return this.state.targetText;
    return `${this.model?.labels?.[w] ?? `class ${w}`} where it wins`;
  }

  /** The target to send: the field's SPEC, or the mask of a class's winning pixels in this input. */
  private requestTarget(): AttributeTarget | string {
    const w = this.state.targetWins;
    if (w === undefined) return this.parsedTarget();
    const view = this.view();
    const shape = this.predictions?.outputShape;
    if (view?.role !== 'segmentation' || !shape) return `${this.targetLabel()} needs the class map of a segmentation output`;
    const classes = view.layout === 'channels-first' ? shape[1] : shape[shape.length - 1];
    if (w >= classes) return `class ${w} is out of range (the output has ${classes} classes)`;
    const { mask, pixels } = winsTarget(view, w, classes);
    if (pixels.every((p) => p === 0)) return `${this.targetLabel().replace(/ where it wins$/, '')} wins no pixel of this input`;
    return { kind: 'mask', mask };
  }

  /** Where a target lies on the input image, per example, as fractions (for the heat map's outline). */
  private outlinesOf(target: AttributeTarget): (Rect | undefined)[] | undefined {
    const view = this.view();
    const shape = this.predictions?.outputShape;
    if (!view || !shape || target.kind === 'mask') return undefined;
    const n = this.exampleTotal();
    if (view.role === 'detector') {
      const size = this.modelInputSize();
      return Array.from({ length: n }, (_v, i) => {
        const d = detectionOf(target, view.detections[i] ?? [], i);
        return d && detectionOnInput(d, view.boxUnits, size);
      });
    }
    if (view.role === 'image') {
      const box = imageBoxOf(target, shape, view.layout);
      const { height, width } = imageGeometry(shape, view.layout);
      if (!box || (box.y0 === 0 && box.x0 === 0 && box.y1 === height && box.x1 === width)) return undefined;
      const rect: Rect = [box.x0 / width, box.y0 / height, box.x1 / width, box.y1 / height];
      return Array.from({ length: n }, () => rect);
    }
    return undefined;
  }

  /** What the shown output is for: from its predictions when they came, else from the model's description. */
  private role() {
    return this.predictions?.role ?? this.model?.outputs.find((o) => o.name === this.outputName())?.role;
  }

  private view(): WebviewView | undefined {
    return this.predictions?.view;
  }

  /** The model input's height and width, when it is an image (for boxes measured in its pixels). */
  private modelInputSize(): { width: number; height: number } | undefined {
    const d = this.input?.tensorDims;
    if (!d || d.length !== 4) return undefined;
    return this.model?.preprocess.layout === 'nhwc' ? { height: d[1], width: d[2] } : { height: d[2], width: d[3] };
  }

  private setOutput(output: string): void {
    this.update({ output, targetAuto: true, targetText: '', targetWins: undefined });
    this.predictions = undefined;
    this.predictionsSettled = false;
    this.refreshTarget();
    // The figure shows the old output's attribution until the new one arrives (predictions come first): say so.
    if (this.state.layerId) {
      this.outcome = { kind: 'busy', wanted: this.selectionParts() };
      this.figure.el.classList.add('stale');
      this.showOutcome();
    }
    this.predict();
  }

  private setExample(example: number): void {
    this.update({ example, channel: undefined });
    this.refreshPredictions();
    this.refreshTarget();
    this.showResult();
    this.showFilmstrip();
  }

  // ---- filmstrip --------------------------------------------------------------------------------------

  /** Modules the filmstrip can show the children of: the top level, the selected layer's ancestors, the layer itself. */
  private refreshFilmstripScopes(): void {
    const byId = new Map((this.model?.layers ?? []).map((l) => [l.id, l]));
    const top = (this.model?.layers ?? []).filter((l) => !l.parent && l.outputs.length);
    const scopes: FilmstripScope[] = [{ value: '', label: `Top-level layers (${top.length})` }];
    const chain: string[] = [];
    for (let id = this.state.layerId; id; id = byId.get(id)?.parent) chain.unshift(id);
    for (const id of chain) {
      const e = byId.get(id);
      const n = e?.children.filter((c) => byId.get(c)?.outputs.length).length ?? 0;
      if (e && e.kind === 'module' && n > 0) scopes.push({ value: id, label: `Children of ${id} (${n})` });
    }
    this.filmstrip.setScopes(scopes, this.filmstripScope);
  }

  private filmstripLayers(scope: string): string[] {
    const layers = this.model?.layers ?? [];
    const byId = new Map(layers.map((l) => [l.id, l]));
    const ids = scope ? (byId.get(scope)?.children ?? []) : layers.filter((l) => !l.parent).map((l) => l.id);
    return ids.filter((id) => byId.get(id)?.outputs.length).slice(0, LIMITS.layersMax);
  }

  private cancelFilmstrip(): void {
    if (this.pendingFilmstrip) this.rpc.cancel(this.pendingFilmstrip);
    this.pendingFilmstrip = undefined;
    this.filmstripKey = '';
  }

  /**
   * One attribution request for every layer of the filmstrip's scope (Layer Gradient × Activation of each layer's
   * output, the figure's target and model output): about one forward and one backward to the earliest layer.
   */
  private refreshFilmstrip(): void {
    if (!this.filmstrip.isOn || !this.model) return;
    if (!this.input) {
      this.cancelFilmstrip();
      this.filmstrip.clear(S.needInput);
      return;
    }
    const layers = this.filmstripLayers(this.filmstripScope);
    if (!layers.length) {
      this.cancelFilmstrip();
      this.filmstrip.clear('This module has no child layers with float outputs.');
      return;
    }
    // The figure's target, "class c where it wins" included (its mask is this input's, so the input names it in the key).
    if (this.state.targetWins !== undefined && !this.predictionsSettled) return;
    const target = this.requestTarget();
    if (typeof target === 'string') {
      this.cancelFilmstrip();
      this.filmstrip.clear(`Target: ${target}`);
      return;
    }
    const gradientOnly = this.state.attributionMethod.name === 'lgxa' && this.state.gradientOnly;
    const key = JSON.stringify([layers, target.kind === 'mask' ? this.targetLabel() : target, this.state.output ?? null, gradientOnly, this.inputSerial]);
    if (key === this.filmstripKey) return;
    this.cancelFilmstrip();
    this.filmstripKey = key;
    const params: AttributeParams = { layers, target, layerInput: false, gradientOnly, purpose: 'filmstrip' };
    if (this.state.output !== undefined) params.output = this.state.output;
    const { id, promise } = this.requestAttribute(params);
    this.pendingFilmstrip = id;
    const scopeName = this.filmstripScope ? `the children of ${this.filmstripScope}` : 'the top-level layers';
    this.filmstrip.busy(`Attributing ${scopeName} (${layers.length}) in one request…`);
    promise
      .then((response) => {
        const t = response.timings;
        const what = `${gradientOnly ? 'Gradient' : 'Layer Gradient × Activation'} · target ${this.targetLabel() || 'none'} · layer outputs`;
        this.filmstripResult = { response, note: `${what} · ${layers.length} layers in one request, ${formatMs(t.compile + t.run)}${t.compile >= 1 ? ` (compile ${formatMs(t.compile)})` : ''}.` };
        this.showFilmstrip();
      })
      .catch((e: unknown) => {
        if (e instanceof RequestError && e.cancelled) return;
        if (this.pendingFilmstrip !== id) return;
        this.filmstripKey = '';
        this.filmstrip.error(`The filmstrip could not be computed: ${errorInfo(e).message}`);
      })
      .finally(() => {
        if (this.pendingFilmstrip === id) this.pendingFilmstrip = undefined;
      });
  }

  private showFilmstrip(): void {
    const r = this.filmstripResult;
    if (!r || !this.filmstrip.isOn) return;
    const byId = new Map((this.model?.layers ?? []).map((l) => [l.id, l]));
    const frames = r.response.layers.flatMap((l) => {
      const t = l.tensors[0];
      return t ? [{ layerId: l.layerId, label: byId.get(l.layerId)?.label ?? l.layerId, tensor: t, layout: this.layoutFor(t.dims) }] : [];
    });
    this.filmstrip.show(frames, this.state.example, r.note);
    this.filmstrip.setSelected(this.state.layerId);
    this.filmstrip.render(this.state.display);
  }

  private setAttributionOption(patch: Partial<Pick<ViewState, 'layerInput' | 'gradientOnly'>>): void {
    this.update(patch);
    if (patch.layerInput !== undefined) this.tree.setLayerInput(patch.layerInput);
    this.refreshMethod();
    this.attribute();
  }

  private setMethod(patch: Partial<MethodChoice>): void {
    const next = { ...this.state.attributionMethod, ...patch };
    if (JSON.stringify(next) === JSON.stringify(this.state.attributionMethod)) return;
    this.update({ attributionMethod: next, channel: undefined });
    this.refreshMethod();
    this.refreshTarget();
    this.attribute();
  }

  private setDisplay(patch: Partial<DisplayOptions>): void {
    this.update({ display: { ...this.state.display, ...patch } });
    this.controls.set(this.state.display);
    this.renderDisplay();
  }

  private setChannel(channel: number | undefined): void {
    this.update({ channel });
    this.showResult();
  }

  private setTensorIndex(tensorIndex: number): void {
    this.update({ tensorIndex, channel: undefined });
    this.showResult();
  }

  private togglePin(): void {
    if (this.pinned) this.pinned = undefined;
    else if (this.current) this.pinned = this.current;
    this.showResult();
  }

  // ---- view updates -----------------------------------------------------------------------------------

  private update(patch: Partial<ViewState>): void {
    this.state = { ...this.state, ...patch };
    this.clearStickyNotice();
    this.save();
  }

  private save(): void {
    this.transport.setState(this.state);
  }

  private sayUntilNextAction(text: string): void {
    this.stickyNotice = text;
    setFullText(this.notice, text);
  }

  private clearStickyNotice(): void {
    if (this.stickyNotice && this.notice.textContent === this.stickyNotice) setFullText(this.notice, '');
    this.stickyNotice = '';
  }

  private flash(text: string): void {
    this.stickyNotice = '';
    setFullText(this.notice, text);
    window.setTimeout(() => {
      if (this.notice.textContent === text) setFullText(this.notice, '');
    }, 4000);
  }

  private outputName(): string | undefined {
    const o = this.state.output;
    const outs = this.model?.outputs ?? [];
    return typeof o === 'string' ? o : outs[o ?? 0]?.name;
  }

  private outputDims(): (number | string | null)[] | undefined {
    if (this.predictions) return this.predictions.outputShape;
    return this.model?.outputs.find((o) => o.name === this.outputName())?.shape;
  }

  private exampleTotal(): number {
    const d = this.input?.tensorDims;
    return d && d.length ? d[0] : 1;
  }

  private parsedTarget(): TextTarget | string {
    const t = parseTarget(this.state.targetText);
    if (typeof t === 'string') return t;
    return checkTarget(t, this.outputDims(), this.exampleTotal()) ?? t;
  }

  private refreshPredictions(): void {
    const t = parseTarget(this.state.targetText);
    const out = this.model?.outputs.find((o) => o.name === (this.predictions?.outputName ?? this.outputName()));
    this.predictionsPanel.show({
      resp: this.predictions,
      labels: this.model?.labels ?? [],
      example: this.state.example,
      kind: out?.kind,
      role: out?.role,
      target: typeof t === 'string' ? undefined : t,
      wins: this.state.targetWins,
      image: this.input?.image,
      inputSize: this.modelInputSize(),
    });
  }

  private refreshTarget(): void {
    const parsed = this.parsedTarget();
    const labels = this.model?.labels ?? [];
    let description = 'none: the output must be one number per example';
    let error: string | undefined;
    if (typeof parsed === 'string') error = parsed;
    else if (parsed.kind === 'index') description = `class ${parsed.index}${labels[parsed.index] ? ` · ${labels[parsed.index]}` : ''}`;
    else if (parsed.kind === 'perExample') description = `one class per example (${parsed.indices.length})`;
    else if (parsed.kind === 'tuple') description = `output element (${parsed.tuple.join(', ')}) for every example`;
    else if (parsed.kind === 'tuples') description = `one output element per example (${parsed.tuples.length})`;
    else if (parsed.kind === 'box') description = `the sum over the box ${formatTarget(parsed)} for every example`;
    else if (parsed.kind === 'boxes') description = `one box per example (${parsed.boxes.length}), each summed`;
    const role = this.role()?.role;
    const roleWords = this.describeRoleTarget(parsed);
    if (roleWords) description = roleWords;
    if (this.state.targetAuto && !this.state.targetText && this.state.targetWins === undefined && (this.outputDims()?.length ?? 0) > 2)
      description = role === 'boxes' ? S.boxesTargetHint(this.role()?.companion) : 'dense output: give an index tuple such as (class, y, x)';
    if (this.state.targetWins !== undefined) {
      const r = this.requestTarget();
      if (typeof r === 'string' && this.predictionsSettled) error = r;
    }
    this.targetPanel.setAutoLabel(S.followAuto[role ?? 'classifier'], S.followingAuto[role ?? 'classifier']);
    this.targetPanel.setTarget(this.state.targetText, this.state.targetAuto, description, error);
  }

  /** How the target reads for the output's role: a class's winning pixels, a detection by name, a region of the output image. */
  private describeRoleTarget(parsed: TextTarget | string): string | undefined {
    const labels = this.model?.labels ?? [];
    const view = this.view();
    const w = this.state.targetWins;
    if (w !== undefined) {
      const px = view?.role === 'segmentation' ? view.pixels[Math.min(this.state.example, view.pixels.length - 1)]?.[w] : undefined;
      return `${this.targetLabel()}: the sum of class ${w}'s logits over the pixels where it is the top class${px !== undefined ? ` (${px.toLocaleString('en-US')} in this example)` : ''}`;
    }
    if (typeof parsed === 'string' || !view || !this.predictions) return undefined;
    if (view.role === 'detector') {
      const d = detectionOf(parsed, view.detections[this.state.example] ?? [], this.state.example);
      return d ? `detection: ${labels[d.class] ?? `class ${d.class}`} at anchor ${d.anchor} (score ${formatValue(d.score)})` : undefined;
    }
    if (view.role === 'image') {
      const box = imageBoxOf(parsed, this.predictions.outputShape, view.layout);
      const { height, width } = imageGeometry(this.predictions.outputShape, view.layout);
      if (!box) return undefined;
      if (box.y0 === 0 && box.x0 === 0 && box.y1 === height && box.x1 === width) return 'the whole output image, summed (drag a box on it to narrow the target)';
      if (box.y1 - box.y0 === 1 && box.x1 - box.x0 === 1) return `output pixel y ${box.y0}, x ${box.x0}`;
      return `output rows ${box.y0}–${box.y1 - 1}, columns ${box.x0}–${box.x1 - 1}, summed`;
    }
    return undefined;
  }

  /** The method picker as the current layer and method make it: visible arguments, cost, ablation runs, target. */
  private refreshMethod(): void {
    const c = this.state.attributionMethod;
    this.methodPanel.set(c);
    this.methodPanel.setCost(costEstimate(c, this.unitMs));
    const dims = this.layerDims();
    const groups = ablationGroups(dims, c.grouping, this.layerLayout());
    const runs = groups === undefined ? 'one forward pass per group' : `${groups.toLocaleString('en-US')} group${groups === 1 ? '' : 's'}: ${groups.toLocaleString('en-US')} ablated forward passes`;
    const slow = c.grouping === 'element' && (groups === undefined || groups > 256);
    this.methodPanel.setGroups(slow ? `⚠ ${runs} (one per element of ${formatShape(dims)}) — slow; per channel is ${ablationGroups(dims, 'channel', this.layerLayout()) ?? '?'}.` : runs, slow);
    this.targetPanel.setMethod({ target: takesTarget(c.name), gradientOnly: takesGradientOnly(c.name) });
  }

  /** Shape of the selected layer's (first) value on the attributed side, from the model info. */
  private layerDims(): LayerDims | undefined {
    const e = this.model?.layers.find((l) => l.id === this.state.layerId);
    const name = e && (this.state.layerInput ? e.inputs : e.outputs)[0];
    return name === undefined ? undefined : this.model?.values.find((v) => v.name === name)?.shape;
  }

  /** The selected layer's layout (feature ablation's channel mask follows what the tiles call channels). */
  private layerLayout(): ChannelLayout {
    // The batch axis may be symbolic: only the others decide.
    const dims = this.layerDims()?.map((d, i) => (i === 0 ? 1 : d));
    return dims && dims.every((d) => typeof d === 'number') ? this.layoutFor(dims as number[]) : this.layout();
  }

  /** How to read this tensor: a vision transformer's tokens as their patch grid, else the model's layout. */
  private layoutFor(dims: readonly number[]): ChannelLayout {
    return tokenGrid(dims, this.input?.image) ? 'tokens' : this.layout();
  }

  private layout(): ChannelLayout {
    return this.model?.preprocess.layout === 'nhwc' ? 'channels-last' : 'channels-first';
  }

  /** The figure for a result under the current tensor / example / channel choice. */
  private sourceFor(r: ShownResult, withChannel: boolean): FigureSource | string {
    const tensors = r.response.layers[0]?.tensors ?? [];
    if (!tensors.length) return 'The engine returned no tensors for this layer.';
    const ti = Math.min(this.state.tensorIndex, tensors.length - 1);
    const t = tensors[ti];
    const elements = t.dims.reduce((a, b) => a * b, 1);
    // A display-form tensor holds only its top channels ([N, K, positions]).
    const expected = t.reduced ? exampleCount(t.dims) * t.reduced.channels.length * t.reduced.thumb.width * t.reduced.thumb.height : elements;
    if (t.data.length !== expected) return `The engine returned ${t.data.length} values for shape ${formatShape(t.dims)} (${expected} expected).`;
    if (elements === 0) return `The attribution for ${t.valueName} is empty (shape ${formatShape(t.dims)}).`;
    const n = exampleCount(t.dims);
    const example = Math.min(this.state.example, n - 1);
    const layout = this.layoutFor(t.dims);
    const channel = withChannel && this.state.channel !== undefined && this.state.channel < channelCount(t.dims, layout) ? this.state.channel : undefined;
    // Feature ablation per channel gives one number per channel: bars say it; a summed map would be flat.
    const perChannel = r.params.method?.name === 'feature-ablation' && !!r.params.method.layerMask && channel === undefined && t.dims.length >= 3;
    // A display-form tensor's channels are thumbnails: the full-size one is fetched, the thumbnail shown until then.
    const full = channel !== undefined && t.reduced ? this.fullChannel(r, ti, example, channel) : undefined;
    const map = perChannel ? channelVector(t, example, layout) : channel === undefined ? summedMap(t, example, layout) : (full ?? channelMap(t, example, channel, layout));
    // The host sends one picture: the first example's.
    const image = example === 0 ? r.image : undefined;
    const p = r.params;
    const title = `${p.layers[0]}${tensors.length > 1 ? ` · ${t.valueName}` : ''}${channel !== undefined ? ` · channel ${channel}` : ''}`;
    const deltas = r.response.delta?.data;
    const delta = deltas && deltas.length ? deltas[Math.min(example, deltas.length - 1)] : undefined;
    const method = [describeMethod(p.method, p.gradientOnly), delta !== undefined ? formatDelta(delta) : ''].filter(Boolean).join(' · ');
    const methodTitle = deltas && deltas.length > 1 ? `${method}\nconvergence delta per example: ${Array.from(deltas, (d, i) => `${i}: ${d.toExponential(2)}`).join(', ')}` : method;
    const subtitle = [
      p.method?.name === 'activation' ? 'no target' : `target ${r.targetText || 'none'}`,
      p.layerInput ? 'layer input' : 'layer output',
      this.manyOutputs() ? `model output '${r.response.output.name}'` : '',
      formatShape(t.dims),
      n > 1 ? `example ${example}` : '',
      perChannel ? S.perChannelBars : layout === 'tokens' ? tokenNote(t, example, map.width * map.height) : map.spatial ? '' : S.nonSpatial,
    ]
      .filter(Boolean)
      .join(' · ');
    const outline = map.spatial ? r.outlines?.[example] : undefined;
    return { key: `${r.seq}:${ti}:${example}:${channel ?? 'sum'}${full ? ':full' : ''}:${image ? 'img' : 'no'}`, map, image, title, method, methodTitle, subtitle, ...(perChannel ? { barLabel: 'channel' } : {}), ...(outline ? { outline } : {}) };
  }

  private showResult(): void {
    const r = this.current;
    const tensors = r?.response.layers[0]?.tensors ?? [];
    // Tensor choice when the layer returns several.
    if (tensors.length > 1) {
      const sel = select({ label: S.tensor, id: 'tensor-select', value: String(Math.min(this.state.tensorIndex, tensors.length - 1)), options: tensors.map((t, i) => ({ value: String(i), label: `${t.valueName} ${formatShape(t.dims)}` })), onChange: (v) => this.setTensorIndex(Number(v)) });
      this.tensorRow.replaceChildren(h('span', { class: 'll-control-label' }, S.tensor), sel);
    } else this.tensorRow.replaceChildren();
    if (r) {
      const src = this.sourceFor(r, true);
      if (typeof src === 'string') {
        this.channels.set('', undefined, 0, this.layout(), undefined);
        this.figure.setSource(undefined);
        this.figure.setMessage(src, 'error');
      } else this.figure.setSource(src);
      const ti = Math.min(this.state.tensorIndex, Math.max(0, tensors.length - 1));
      const t = typeof src === 'string' ? undefined : tensors[ti];
      // Per-channel bars already show every channel (and its tiles would be flat squares).
      if (t && typeof src !== 'string' && src.barLabel === 'channel') this.channels.set('', undefined, 0, this.layout(), undefined);
      else if (t) {
        const example = Math.min(this.state.example, exampleCount(t.dims) - 1);
        this.channels.set(`${r.seq}:${ti}:${example}`, t, example, this.layoutFor(t.dims), this.state.channel);
        this.channels.setWhatIf(this.whatIfUnavailable(r, t));
      }
    } else {
      this.figure.setSource(undefined);
      this.channels.set('', undefined, 0, this.layout(), undefined);
      this.figure.setMessage(!this.state.layerId ? S.selectLayerPrompt : !this.input ? S.needInput : '', 'info');
    }
    this.showOutcome();
    const p = this.pinned;
    this.pinnedFigure.el.hidden = !p;
    this.figures.classList.toggle('compare', !!p);
    if (p) {
      const src = this.sourceFor(p, false);
      this.pinnedFigure.setSource(typeof src === 'string' ? undefined : src);
    }
    this.controls.setPinned(!!p);
    this.controls.setHasResult(!!r || !!p);
    this.renderDisplay();
  }

  /** The selection as the figure's notice names it: layer and side, model output, method, target. */
  private selectionParts(): string[] {
    const s = this.state;
    const choice = s.attributionMethod;
    const spec = methodSpec(choice, { gradientOnly: s.gradientOnly, layerDims: this.layerDims(), layout: this.layerLayout() });
    const method = typeof spec === 'string' ? describeMethod({ name: choice.name }, false) : describeMethod(spec, choice.name === 'lgxa' && s.gradientOnly);
    return describeParts(s.layerId ?? '?', s.layerInput, this.manyOutputs() ? this.outputName() : undefined, method, takesTarget(choice.name) ? this.targetLabel() : undefined);
  }

  private manyOutputs(): boolean {
    return (this.model?.outputs.length ?? 1) > 1;
  }

  private resultParts(r: ShownResult): string[] {
    const p = r.params;
    return describeParts(p.layers[0], p.layerInput, this.manyOutputs() ? r.response.output.name : undefined, describeMethod(p.method, p.gradientOnly), p.method?.name === 'activation' ? undefined : r.targetText);
  }

  /**
   * Makes the figure say what it shows when that is not the selection's attribution: a notice over the dimmed
   * earlier picture (running, cancelled), or the reason in place of a picture (refused, failed). The channel
   * tiles belong to the picture: they go when the picture is outdated by a cancel or a refusal.
   */
  private showOutcome(): void {
    const o = this.outcome;
    const r = this.current;
    if (!o) {
      this.figure.setNotice('');
      return;
    }
    if (!r) {
      this.figure.setNotice('');
      const wanted = o.wanted.filter(Boolean).join(' · ');
      if (o.kind === 'busy') this.figure.setMessage(`Attributing ${wanted}…`, 'busy');
      else if (o.kind === 'cancelled') this.figure.setMessage(`The attribution of ${wanted} was cancelled.`, 'info');
      else this.figure.setMessage(`${wanted}: ${o.message ?? ''}`, o.severity ?? 'error', o.error);
      this.controls.setHasResult(!!this.pinned);
      return;
    }
    const [shown, wanted] = difference(this.resultParts(r), o.wanted);
    const same = shown === wanted;
    if (o.kind === 'busy') {
      // The same selection again (a new input or preprocessing): the dimmed picture says enough.
      this.figure.setNotice(same ? '' : `Showing ${shown} — attributing ${wanted}…`, 'busy');
      return;
    }
    this.channels.set('', undefined, 0, this.layout(), undefined);
    if (o.kind === 'cancelled') this.figure.setNotice(same ? `Showing the earlier result for ${shown} — the new attribution was cancelled.` : `Showing ${shown} — ${wanted} was cancelled.`, 'info');
    else this.figure.setNotice(`Showing ${shown} — ${wanted}: ${o.message ?? ''}`, o.severity ?? 'error');
  }

  /** Re-draws every figure from cached maps: the path every display option takes. */
  private renderDisplay(): void {
    const t0 = performance.now();
    const d = this.state.display;
    const ms = this.current ? this.figure.render(d) : 0;
    if (this.pinned) this.pinnedFigure.render(d);
    this.channels.render(d);
    this.filmstrip.render(d);
    this.root.dataset.renderMs = ms.toFixed(3);
    this.root.dataset.displayMs = (performance.now() - t0).toFixed(3);
  }
}

/**
 * What a token grid shows and leaves out: a class token's share is said in numbers, since after the last block it
 * holds everything (the head reads only it) and the grid is blank.
 */
function tokenNote(t: { dims: readonly number[]; data: Float32Array }, example: number, patches: number): string {
  const [, tokens, d] = t.dims;
  const grid = `tokens as their ${Math.sqrt(patches)}×${Math.sqrt(patches)} patch grid`;
  if (tokens === patches) return grid;
  let cls = 0;
  let clsAbs = 0;
  let all = 0;
  const base = example * tokens * d;
  for (let i = 0; i < tokens * d; i++) {
    const v = t.data[base + i];
    all += Math.abs(v);
    if (i < d) {
      cls += v;
      clsAbs += Math.abs(v);
    }
  }
  return `${grid}; class token left out: Σ ${formatValue(cls)} (${formatPercent(all ? clsAbs / all : 0)} of Σ|attribution|)`;
}

/** The parts that name an attribution; the first always shows, the others where two attributions differ. */
function describeParts(layer: string, layerInput: boolean, output: string | undefined, method: string, target: string | undefined): string[] {
  return [`${layer} (layer ${layerInput ? 'input' : 'output'})`, output ? `model output '${output}'` : '', method, target === undefined ? 'no target' : `target ${target || 'none'}`];
}

/** Shown and wanted, each as its layer plus whatever differs from the other. */
function difference(shown: string[], wanted: string[]): [string, string] {
  const keep = (list: string[]) => list.filter((p, i) => p && (i === 0 || shown[i] !== wanted[i])).join(' · ');
  return [keep(shown), keep(wanted)];
}

function errorInfo(e: unknown): ErrorInfo {
  if (e instanceof RequestError) return e.info;
  return { message: e instanceof Error ? e.message : String(e) };
}

/** Restores a response's packed thumbnails (displayTensor.ts packThumbnails) as the float `data` the maps read. */
function unpackAttributeResponse(r: AttributeResponse): AttributeResponse {
  for (const layer of r.layers)
    for (const t of layer.tensors) {
      const packed = t.reduced?.packed;
      if (!packed || !t.reduced) continue;
      t.data = unpackThumbnails(packed);
      t.reduced = { ...t.reduced, packed: undefined };
    }
  return r;
}
