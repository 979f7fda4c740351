/**
 * The inspector: one webview (a panel, a restored panel, or the custom editor's) showing one model.
 * It answers the webview's requests (src/shared/protocol.ts) through the engine client. Every message from
 * the webview is validated before use; the webview is a web page and its messages are untrusted input.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EngineStage } from '../engine/api';
import { encodeNpy } from '../engine/tensor/npy';
import type { WireModelInfo } from '../shared/engineWire';
import { fromWire } from '../engineProcess/wire';
import type { HostTensor } from '../engine/tensor/hostTensor';
import {
  AttributeParams,
  AttributeResponse,
  ExportResult,
  HostEvents,
  InputInfo,
  ModelInfo,
  PROTOCOL_VERSION,
  ParamsOf,
  PredictParams,
  PredictResponse,
  ResponseMessage,
  ResultOf,
  ResultTensorRef,
  TensorPayload,
  WebviewToHostMessage,
  errorResponseOf,
  eventOf,
  responseOf,
} from '../shared/protocol';
import type { ImagePreprocess } from '../shared/preprocess';
import { settings } from './config';
import { EngineError, isCancellation } from './engineClient';
import {
  attributeResponse,
  predictResponse,
  wireTarget,
  checkWebviewMessage,
  errorInfo,
  inputInfo,
  payloadTensor,
  pngBytes,
  wireMethod,
} from './inspectorMessages';
import { INPUT_EXTENSIONS, IMAGE_EXTENSIONS, exportFolder, isInsideAny } from './paths';
import { withEngineProgress } from './progress';
import { Services, allowedRoots, isDemoModel } from './services';
import { SidecarCorruptError, readSidecar, sidecarPath, writeSidecar } from './sidecar';
import { S } from './strings';
import { inspectorHtml } from './webviewHtml';

/**
 * Request ids of this panel's results mapped to the engine's ids for their whole tensors (Export .npy, a channel at
 * full size). The engine decides how long it keeps them (keptResults.ts); this only bounds the map.
 */
const KEPT_RESULTS = 64;

export const PANEL_VIEW_TYPE = 'layerlens.inspectorPanel';

/** A user-facing failure that is not the engine's (no input yet, declined trust, a file problem…). */
class InspectorError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

interface LoadedInput {
  file: string;
  kind: 'image' | 'npy';
  info: InputInfo;
}

export function webviewOptions(s: Services): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return { enableScripts: true, localResourceRoots: [s.webviewRoot, s.mediaRoot], retainContextWhenHidden: false };
}

export class InspectorPanel implements vscode.Disposable {
  private static readonly open = new Set<InspectorPanel>();
  private static lastActive?: InspectorPanel;
  private static seq = 0;

  readonly id = ++InspectorPanel.seq;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly pending = new Map<number, vscode.CancellationTokenSource>();
  private model?: WireModelInfo;
  /** The last attributions whole, by request id (the webview may have only their display form). */
  private readonly results = new Map<number, number>();
  /** Preprocessing chosen in the inspector (overrides the model's own until the panel closes). */
  private preprocess?: ImagePreprocess;
  /** Where `preprocess` came from, in the words the inspector shows. */
  private preprocessSource?: string;
  /** One slot per graph input (most models have one). */
  private inputs: (LoadedInput | undefined)[] = [];
  /** Providers the engine would try here (for the provider badge). */
  private providers?: string[];
  /** The layer to select when the model info is (re)sent. */
  private selectLayer?: string;
  private disposed = false;
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposeEmitter.event;

  /** Opens (or reveals) the inspector for `model`, selecting `layerId` when given. */
  static show(s: Services, model: vscode.Uri, layerId?: string): InspectorPanel {
    const existing = InspectorPanel.forModel(model);
    if (existing) {
      existing.panel.reveal();
      if (layerId) existing.showLayer(layerId);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, S.panelTitle(path.basename(model.fsPath)), vscode.ViewColumn.Active, webviewOptions(s));
    return new InspectorPanel(s, panel, model, layerId);
  }

  /** The custom editor's webview, or a panel VS Code restored after a reload. */
  static attach(s: Services, panel: vscode.WebviewPanel, model: vscode.Uri): InspectorPanel {
    panel.webview.options = webviewOptions(s);
    return new InspectorPanel(s, panel, model, undefined);
  }

  static forModel(model: vscode.Uri): InspectorPanel | undefined {
    return [...InspectorPanel.open].find((p) => p.modelUri.fsPath === model.fsPath);
  }

  /** The inspector the user looked at last (for "Explain Layer" without a model argument). */
  static get active(): InspectorPanel | undefined {
    const a = InspectorPanel.lastActive;
    return a && !a.disposed ? a : undefined;
  }

  static get all(): readonly InspectorPanel[] {
    return [...InspectorPanel.open];
  }

  private constructor(
    private readonly s: Services,
    readonly panel: vscode.WebviewPanel,
    readonly modelUri: vscode.Uri,
    layerId: string | undefined,
  ) {
    this.selectLayer = layerId;
    InspectorPanel.open.add(this);
    InspectorPanel.lastActive = this;
    const iconPath = vscode.Uri.joinPath(s.mediaRoot, 'icon.png');
    if (fs.existsSync(iconPath.fsPath)) panel.iconPath = iconPath;
    panel.webview.html = this.html();
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)),
      panel.onDidChangeViewState((e) => {
        if (e.webviewPanel.active) InspectorPanel.lastActive = this;
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  get modelPath(): string {
    return this.modelUri.fsPath;
  }

  /** The layer the inspector should show; sent with the next model info (now, if the webview is up). */
  showLayer(layerId: string): void {
    this.selectLayer = layerId;
    if (this.model) void this.sendModel();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const cts of this.pending.values()) cts.cancel();
    this.pending.clear();
    InspectorPanel.open.delete(this);
    if (InspectorPanel.lastActive === this) InspectorPanel.lastActive = undefined;
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
    this.disposeEmitter.fire();
    this.disposeEmitter.dispose();
  }

  private html(): string {
    const web = this.panel.webview;
    const script = vscode.Uri.joinPath(this.s.webviewRoot, 'main.js');
    const styles = [
      { file: 'codicon.css', id: 'vscode-codicon-stylesheet' },
      { file: 'main.css', id: undefined },
    ]
      .map(({ file, id }) => ({ uri: vscode.Uri.joinPath(this.s.webviewRoot, file), id }))
      .filter(({ uri }) => fs.existsSync(uri.fsPath))
      .map(({ uri, id }) => ({ href: web.asWebviewUri(uri).toString(), id }));
    if (!fs.existsSync(script.fsPath)) this.s.log.error(S.webviewScriptMissing);
    return inspectorHtml({
      cspSource: web.cspSource,
      scriptUri: web.asWebviewUri(script).toString(),
      styles,
      title: S.panelTitle(path.basename(this.modelPath)),
    });
  }

  private post(msg: unknown): void {
    if (!this.disposed) void this.panel.webview.postMessage(msg);
  }

  private event<E extends keyof HostEvents>(name: E, payload: HostEvents[E]): void {
    this.post(eventOf(name, payload));
  }

  // ---------------------------------------------------------------------------------------------------
  // Requests from the webview

  private onMessage(raw: unknown): void {
    void this.receive(raw);
  }

  /**
   * Handles one message exactly as if the webview had sent it, and returns the reply it posted (the
   * extension-host tests drive the inspector through here).
   */
  async receive(raw: unknown): Promise<ResponseMessage | undefined> {
    const checked = checkWebviewMessage(raw);
    if (!checked.ok) {
      this.s.log.warn(`inspector: refused a message: ${checked.reason}`);
      if (checked.reply) this.post(checked.reply);
      return checked.reply;
    }
    const msg = checked.message;
    let reply: ResponseMessage;
    try {
      const result = await this.dispatch(msg);
      reply = responseOf(msg.id, msg.method, result as never);
    } catch (e) {
      const info = errorInfo(e);
      if (!isCancellation(e)) this.s.log.warn(`inspector: ${msg.method} failed: ${info.message}`);
      reply = errorResponseOf(msg.id, info);
    }
    this.post(reply);
    if (msg.method === 'ready' && !reply.error) await this.afterReady();
    return reply;
  }

  private async dispatch(msg: WebviewToHostMessage): Promise<ResultOf<typeof msg.method>> {
    switch (msg.method) {
      case 'ready':
        return { protocolVersion: PROTOCOL_VERSION };
      case 'selectLayer':
        this.s.revealLayer?.(this.modelUri, msg.params.layerId);
        return null;
      case 'pickInput':
        return this.pickInput(msg.params);
      case 'setPreprocess':
        return this.setPreprocess(msg.params);
      case 'attribute':
        return this.attribute(msg.id, msg.params);
      case 'predict':
        return this.predict(msg.id, msg.params);
      case 'cancel':
        this.pending.get(msg.params.requestId)?.cancel();
        return null;
      case 'exportPng':
        return this.exportFile(msg.params.suggestedName, 'png', pngBytes(msg.params.png));
      case 'exportNpy':
        return this.exportFile(msg.params.suggestedName, 'npy', encodeNpy(await this.npyTensor(msg.params)));
      case 'channel': {
        // The engine kept the whole result and cuts the channel out there.
        const { ref, example, channel } = msg.params;
        const kept = this.keptId(ref);
        return this.s.engine.resultChannel({ kept, layer: ref.layer, tensor: ref.tensor, example, channel, channelsLast: this.channelsLast }).catch(this.keptGone);
      }
    }
  }

  /** After `ready`: the model, then the input (the one in use, the one remembered, or the demo's sample). */
  private async afterReady(): Promise<void> {
    if (!(await this.sendModel())) return;
    const loaded = this.inputs.filter((x): x is LoadedInput => x !== undefined);
    if (loaded.length) {
      for (const x of loaded) this.event('inputLoaded', x.info);
      return;
    }
    const file = this.defaultInput();
    if (!file) return;
    try {
      await this.loadInput(file);
    } catch (e) {
      if (!isCancellation(e)) this.event('error', errorInfo(e));
    }
  }

  /** (Re)sends the model info; false when the model cannot be read (the error is shown in the inspector). */
  private async sendModel(): Promise<boolean> {
    try {
      const [info, tree] = await Promise.all([this.s.engine.openModel(this.modelPath), this.s.engine.modelTree(this.modelPath)]);
      this.model = info;
      if (this.preprocess === undefined) {
        this.preprocess = this.rememberedPreprocess();
        if (this.preprocess) this.preprocessSource = S.preprocessSaved;
      }
      const payload: ModelInfo = {
        modelKey: this.modelUri.toString(),
        modelName: path.basename(this.modelPath),
        layers: tree.layers,
        roots: tree.roots,
        values: tree.values,
        inputs: info.inputs,
        outputs: info.outputs,
        preprocess: this.preprocess ?? info.preprocess,
        preprocessSource: (this.preprocess && this.preprocessSource) || info.preprocessSource,
        labels: info.labels,
        labelsSource: info.labelsSource,
        initialLayer: this.selectLayer,
      };
      this.selectLayer = undefined;
      this.event('modelLoaded', payload);
      const side = await readSidecar(sidecarPath(this.modelPath));
      if (side.status === 'corrupt') this.event('error', { message: S.sidecarIgnored(path.basename(sidecarPath(this.modelPath)), side.reason), code: 'sidecar-corrupt' });
      return true;
    } catch (e) {
      this.event('error', errorInfo(e));
      return false;
    }
  }

  private currentPreprocess(): ImagePreprocess {
    return this.preprocess ?? this.model?.preprocess ?? {};
  }

  private async pickInput(p: ParamsOf<'pickInput'>): Promise<ResultOf<'pickInput'>> {
    const count = this.model?.inputs.length ?? 1;
    if (p.inputIndex >= count) throw new InspectorError(S.noSuchInput(p.inputIndex, count), 'invalid-argument');
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false,
      canSelectFolders: false,
      title: S.pickInputTitle,
      openLabel: S.pickInputLabel,
      defaultUri: this.inputFolder(p.inputIndex),
      filters: { [S.imagesFilter]: IMAGE_EXTENSIONS, [S.npyFilter]: ['npy'] },
    });
    const uri = picked?.[0];
    if (!uri) return { picked: false };
    if (uri.scheme !== 'file') throw new InspectorError(S.notLocal(uri.toString()), 'not-local');
    await this.loadInput(uri.fsPath, p.inputIndex);
    return { picked: true };
  }

  /** Loads an input file through the engine and shows it; the file was chosen by the user or checked by the caller. */
  async loadInput(file: string, inputIndex = 0): Promise<InputInfo> {
    const kind = path.extname(file).toLowerCase() === '.npy' ? 'npy' : 'image';
    const res = await this.s.engine.loadInput(
      { file, model: this.modelPath, inputIndex, preprocess: kind === 'image' ? this.currentPreprocess() : undefined, previewMaxSide: 512 },
      { supersedeKey: `${this.id}:input:${inputIndex}` },
    );
    const info = inputInfo(path.basename(file), kind, res);
    this.inputs[inputIndex] = { file, kind, info };
    if (inputIndex === 0) void this.s.context.workspaceState.update(inputKey(this.modelPath), file);
    this.event('inputLoaded', info);
    return info;
  }

  private defaultInput(): string | undefined {
    const remembered = this.s.context.workspaceState.get<string>(inputKey(this.modelPath));
    // The remembered path came from this extension's storage, but it is checked like any path we did not just pick.
    if (remembered && isInsideAny(remembered, allowedRoots(this.s)) && fs.existsSync(remembered) && INPUT_EXTENSIONS.includes(path.extname(remembered).slice(1).toLowerCase()))
      return remembered;
    if (isDemoModel(this.s, this.modelUri)) {
      const dir = path.join(path.dirname(this.modelPath), 'samples');
      const first = safeReaddir(dir).filter((f) => f.endsWith('.png')).sort()[0];
      return first ? path.join(dir, first) : undefined;
    }
    return undefined;
  }

  private inputFolder(inputIndex: number): vscode.Uri | undefined {
    const current = this.inputs[inputIndex] ?? this.inputs.find((x) => x);
    if (current) return vscode.Uri.file(path.dirname(current.file));
    if (isDemoModel(this.s, this.modelUri)) return vscode.Uri.file(path.join(path.dirname(this.modelPath), 'samples'));
    return vscode.Uri.file(path.dirname(this.modelPath));
  }

  private async setPreprocess(p: ParamsOf<'setPreprocess'>): Promise<ResultOf<'setPreprocess'>> {
    const pre = p.preprocess;
    if (p.remember) await this.savePreprocess(pre);
    this.preprocess = pre;
    this.preprocessSource = !p.remember ? S.preprocessInspector : isDemoModel(this.s, this.modelUri) ? S.preprocessSaved : S.preprocessSidecar;
    await this.reloadImages();
    return { preprocess: pre };
  }

  /** Models in the workspace get a sidecar file; LayerLens' own demo model keeps its settings in extension storage. */
  private async savePreprocess(pre: ImagePreprocess): Promise<void> {
    if (isDemoModel(this.s, this.modelUri)) {
      await this.s.context.globalState.update(preprocessKey(this.modelPath), pre);
      return;
    }
    try {
      await writeSidecar(this.modelPath, pre);
    } catch (e) {
      if (!(e instanceof SidecarCorruptError)) throw new InspectorError(S.sidecarWriteFailed(sidecarPath(this.modelPath), (e as Error).message), 'sidecar-write');
      // Reported, never silently replaced: the request fails, and a notification offers to overwrite.
      const message = S.sidecarCorrupt(path.basename(e.file), e.reason);
      void vscode.window.showWarningMessage(message, S.overwrite).then(async (choice) => {
        if (choice !== S.overwrite || this.disposed) return;
        try {
          await writeSidecar(this.modelPath, pre, { overwriteCorrupt: true });
          this.preprocess = pre;
          this.preprocessSource = S.preprocessSidecar;
          await this.sendModel(); // shows the saved preprocessing
          await this.reloadImages();
        } catch (err) {
          void vscode.window.showErrorMessage(S.sidecarWriteFailed(e.file, (err as Error).message));
        }
      });
      throw new InspectorError(message, 'sidecar-corrupt');
    }
  }

  private rememberedPreprocess(): ImagePreprocess | undefined {
    if (!isDemoModel(this.s, this.modelUri)) return undefined; // others: the sidecar, which the engine reads
    return this.s.context.globalState.get<ImagePreprocess>(preprocessKey(this.modelPath));
  }

  /** Image inputs again, with the current preprocessing. */
  private async reloadImages(): Promise<void> {
    for (const [i, x] of this.inputs.entries()) if (x?.kind === 'image') await this.loadInput(x.file, i);
  }

  private inputRefs(): { file: string; preprocess?: ImagePreprocess }[] {
    const count = Math.max(1, this.model?.inputs.length ?? 1);
    const refs: { file: string; preprocess?: ImagePreprocess }[] = [];
    for (let i = 0; i < count; i++) {
      const x = this.inputs[i];
      if (!x) throw new InspectorError(count > 1 ? S.noInputAt(i, count) : S.noInput, 'no-input');
      refs.push({ file: x.file, preprocess: x.kind === 'image' ? this.currentPreprocess() : undefined });
    }
    return refs;
  }

  private async attribute(requestId: number, p: AttributeParams): Promise<AttributeResponse> {
    if (!(await this.s.gate.allowRun())) throw new InspectorError(S.untrustedDeclined, 'untrusted');
    const inputs = this.inputRefs();
    const cfg = settings();
    const method = p.method && wireMethod(p.method, this.inputs.map((x) => ({ dims: x?.info.tensorDims ?? [], dtype: x?.info.dtype ?? 'float32' })));
    const res = await this.tracked(requestId, S.attributeProgress(p.layers.join(', ')), (token, onStage) =>
      this.s.engine.attribute(
        {
          model: this.modelPath,
          layers: p.layers,
          inputs,
          target: wireTarget(p.target),
          layerInput: p.layerInput,
          gradientOnly: p.gradientOnly,
          output: p.output,
          ...(method ? { method } : {}),
          provider: cfg.executionProvider,
          threads: cfg.threads,
          // What the webview draws, not the whole tensors (the engine keeps those for export and full-size channels).
          display: { channelsLast: this.channelsLast },
        },
        // The figure's and the filmstrip's requests run side by side: each supersedes only its own kind.
        { token, onStage, supersedeKey: `${this.id}:attribute:${p.purpose ?? 'figure'}` },
      ),
    );
    const hostReceivedAt = Date.now();
    this.providers ??= await this.s.engine.hello().then(
      (h) => h.providers,
      () => undefined,
    );
    this.event('providerInfo', { requested: cfg.executionProvider, used: res.provider, available: this.providers ?? [res.provider], notes: res.providerNotes });
    // The engine's id for the whole tensors: Export .npy and full-size channels ask it for them.
    if (res.kept !== undefined) this.results.set(requestId, res.kept);
    while (this.results.size > KEPT_RESULTS) this.results.delete(this.results.keys().next().value as number);
    const response = attributeResponse(p.layers, res);
    response.timings = { ...response.timings, hostReceivedAt, hostSentAt: Date.now() };
    return response;
  }

  private async predict(requestId: number, p: PredictParams): Promise<PredictResponse> {
    if (!(await this.s.gate.allowRun())) throw new InspectorError(S.untrustedDeclined, 'untrusted');
    const inputs = this.inputRefs();
    const cfg = settings();
    const res = await this.tracked(requestId, S.predictProgress, (token, onStage) =>
      this.s.engine.predict(
        { model: this.modelPath, inputs, top: p.top ?? cfg.topK, output: p.output, provider: cfg.executionProvider, threads: cfg.threads, ...(p.ablate ? { ablate: p.ablate } : {}) },
        // A what-if run and the plain predictions are shown side by side: neither supersedes the other.
        { token, onStage, supersedeKey: `${this.id}:${p.ablate ? 'predict-ablated' : 'predict'}` },
      ),
    );
    return predictResponse(res);
  }

  /** Runs engine work that the webview (`cancel`) or the progress notification can cancel. */
  private async tracked<T>(requestId: number, title: string, run: (token: vscode.CancellationToken, onStage: (stage: EngineStage) => void) => Promise<T>): Promise<T> {
    const cts = new vscode.CancellationTokenSource();
    this.pending.set(requestId, cts);
    // The engine says when it compiles, runs and sends the result back; until then it is reading model and input.
    this.event('progress', { requestId, stage: 'prepare' });
    const onStage = (stage: EngineStage) => this.event('progress', { requestId, stage });
    try {
      return await withEngineProgress(title, cts, () => run(cts.token, onStage));
    } finally {
      this.pending.delete(requestId);
      cts.dispose();
    }
  }

  /** Whether layer tensors are [N, H, W, C]: the layout the webview reads them in (the model info it was sent). */
  private get channelsLast(): boolean {
    return (this.preprocess ?? this.model?.preprocess)?.layout === 'nhwc';
  }

  /** The tensor to export: sent whole by the webview, or one of a result sent in its display form (the engine kept it). */
  private async npyTensor(p: { tensor?: TensorPayload; ref?: ResultTensorRef }): Promise<HostTensor> {
    if (p.tensor) return payloadTensor(p.tensor);
    const ref = p.ref!;
    const w = await this.s.engine.resultTensor({ kept: this.keptId(ref), layer: ref.layer, tensor: ref.tensor }).catch(this.keptGone);
    return fromWire(w);
  }

  /** The engine's id for the whole tensors of a result this panel was sent. */
  private keptId(ref: ResultTensorRef): number {
    const kept = this.results.get(ref.requestId);
    if (kept === undefined) throw new InspectorError(S.resultGone, 'invalid-argument');
    return kept;
  }

  /** The engine no longer keeps a result (evicted, or the engine restarted): the same words as when this panel forgot it. */
  private readonly keptGone = (e: unknown): never => {
    throw e instanceof EngineError && e.code === 'invalid-argument' && /no longer kept/.test(e.message) ? new InspectorError(S.resultGone, 'invalid-argument') : e;
  };

  private async exportFile(suggestedName: string, ext: 'png' | 'npy', bytes: Uint8Array): Promise<ExportResult> {
    const name = suggestedName.toLowerCase().endsWith(`.${ext}`) ? suggestedName : `${suggestedName}.${ext}`;
    const target = await vscode.window.showSaveDialog({
      title: ext === 'png' ? S.exportPngTitle : S.exportNpyTitle,
      defaultUri: vscode.Uri.joinPath(this.exportFolder(), name),
      filters: ext === 'png' ? { [S.pngFilter]: ['png'] } : { [S.npyFilter]: ['npy'] },
    });
    if (!target) return { saved: false };
    try {
      await vscode.workspace.fs.writeFile(target, bytes);
    } catch (e) {
      throw new InspectorError(S.exportFailed(target.fsPath, (e as Error).message), 'export-failed');
    }
    if (target.scheme === 'file') void this.s.context.workspaceState.update(EXPORT_FOLDER_KEY, path.dirname(target.fsPath));
    return { saved: true, path: target.fsPath };
  }

  private exportFolder(): vscode.Uri {
    const folder = exportFolder({
      lastExport: this.s.context.workspaceState.get<string>(EXPORT_FOLDER_KEY),
      modelPath: this.modelPath,
      modelWorkspaceFolder: vscode.workspace.getWorkspaceFolder(this.modelUri)?.uri.fsPath,
      firstWorkspaceFolder: vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath,
      isDemo: isDemoModel(this.s, this.modelUri),
      home: os.homedir(),
    });
    return vscode.Uri.file(folder);
  }

  /** For tests and the tree: what the inspector currently holds. */
  get state(): { model?: string; input?: string; preprocess?: ImagePreprocess } {
    return { model: this.model?.path, input: this.inputs[0]?.file, preprocess: this.preprocess };
  }
}

/** The folder of the last export (any model), so that the next save dialog opens there. */
const EXPORT_FOLDER_KEY = 'layerlens.exportFolder';

function inputKey(modelPath: string): string {
  return `layerlens.input:${modelPath}`;
}

function preprocessKey(modelPath: string): string {
  return `layerlens.preprocess:${modelPath}`;
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

