/**
 * Every user-facing string of the extension host, in one place (the manifest's own strings live in
 * package.json). Pure: no `vscode` import, so the engine client and its unit tests use it too.
 */
export const S = {
  // Engine process lifecycle
  cancelled: 'Cancelled.',
  superseded: 'Replaced by a newer request.',
  engineDisposed: 'LayerLens is shutting down.',
  engineRestartedByRequest: 'The LayerLens engine was restarted.',
  engineHung: 'The LayerLens engine stopped responding and was restarted.',
  resultGone: 'That result is no longer kept: attribute again, then export or choose the channel.',
  timedOut: (s: number) => `The computation took longer than ${s} s (setting layerlens.requestTimeoutSeconds) and was stopped.`,
  engineStartFailed: (why: string) => `The LayerLens engine could not be started: ${why}`,
  engineStoppedDuringRequest: (reason: string) => `The LayerLens engine ${reason} during this request; it has been restarted, try again.`,
  engineCrashed: (reason: string) => `The LayerLens engine ${reason} and was restarted.`,
  engineCrashLoop: (reason: string) => `The LayerLens engine ${reason} several times in a row; it will start again with the next request.`,
  engineConnectionError: (msg: string) => `Lost the connection to the LayerLens engine (${msg}).`,
  exitOutOfMemory: (mb: number) => `ran out of memory${mb > 0 ? ` (limit ${mb} MB, setting layerlens.engineMemoryLimitMb)` : ''}`,
  exitKilledHard: 'was killed (SIGKILL; the system may be out of memory)',
  exitSignal: (sig: string) => `was stopped (${sig})`,
  exitCode: (code: number) => `exited unexpectedly (code ${code})`,
  showLog: 'Show Log',
  outputChannel: 'LayerLens',

  // Picking a model and a layer
  pickModelTitle: 'LayerLens: Explain Layer',
  pickModelPlaceholder: 'Select an ONNX model',
  browse: '$(folder-opened) Browse…',
  browseDetail: 'Choose an .onnx file anywhere on this machine',
  demoModel: '$(beaker) Demo model (Fashion-MNIST CNN)',
  demoModelDetail: 'The small CNN bundled with LayerLens',
  openModelLabel: 'Explain Layer',
  onnxFilter: 'ONNX models',
  pickLayerPlaceholder: (model: string) => `Select a layer of ${model} (type to filter by id or op type)`,
  loadingLayers: (model: string) => `LayerLens: reading ${model}…`,
  notAModel: (p: string) => `${p} is not an .onnx file.`,
  notLocal: (uri: string) => `LayerLens can only open models on this machine's file system (${uri}).`,
  modelError: (model: string, msg: string) => `LayerLens: ${model}: ${msg}`,

  // Workspace trust
  untrustedRun: 'Run this model in an untrusted workspace?',
  untrustedRunDetail:
    'LayerLens runs the model with onnxruntime on this machine. Only run models you trust. You will not be asked again until the window reloads.',
  runAnyway: 'Run Model',
  untrustedDeclined:
    'Running models is turned off in this untrusted workspace (Restricted Mode). Choose a layer or an input to be asked again, or trust the workspace.',

  // Tree view
  moreLayers: (from: number, to: number) => `[${from}…${to}]`,
  layerTooltipParams: (n: number) => `${n.toLocaleString('en-US')} parameters`,
  layerTooltipCalls: (n: number) => `called ${n} times (attributions use the last call)`,
  layerInputs: 'inputs',
  layerOutputs: 'outputs',
  treeLoadFailed: (msg: string) => `Cannot read this model: ${msg}`,

  // Inspector
  panelTitle: (model: string) => `LayerLens: ${model}`,
  pickInputTitle: 'Choose an input for the model',
  pickInputLabel: 'Use as Input',
  imagesFilter: 'Images',
  npyFilter: 'NumPy arrays',
  noInput: 'Choose an input first (an image or a .npy file).',
  noInputAt: (i: number, n: number) => `The model takes ${n} inputs; choose input ${i + 1} too.`,
  baselineDtype: (i: number, dtype: string, v: number) => `A baseline of ${v} does not fit input ${i + 1} (${dtype}); use zeros or a number of that type.`,
  noSuchInput: (i: number, n: number) => `The model has ${n} input(s); there is no input ${i + 1}.`,
  inputOutsideRoots: (p: string) => `${p} is outside the workspace and LayerLens' own files; choose it again with the file picker.`,
  modelOutsideRoots: (p: string) => `Not restoring the inspector for ${p}: it is outside the workspace.`,
  invalidMessage: (why: string) => `The inspector sent a message LayerLens cannot accept (${why}).`,
  unknownRequest: (id: number) => `No running request with id ${id}.`,
  attributeProgress: (layers: string) => `LayerLens: attributing ${layers}`,
  predictProgress: 'LayerLens: predicting',
  loadInputProgress: (name: string) => `LayerLens: loading ${name}`,
  preprocessSaved: 'saved settings',
  preprocessSidecar: 'sidecar',
  preprocessInspector: 'set in the inspector',
  sidecarCorrupt: (file: string, why: string) => `${file} is not valid (${why}); LayerLens left it unchanged. Fix or delete it, or overwrite it with the current settings.`,
  sidecarIgnored: (file: string, why: string) => `${file} is not valid (${why}) and was ignored; the model's own preprocessing is used.`,
  overwrite: 'Overwrite',
  sidecarWriteFailed: (file: string, why: string) => `Could not save the preprocessing to ${file}: ${why}`,
  exportPngTitle: 'Export the figure as PNG',
  exportNpyTitle: 'Export the attribution as .npy',
  pngFilter: 'PNG images',
  exportFailed: (file: string, why: string) => `Could not write ${file}: ${why}`,
  exported: (file: string) => `Saved ${file}.`,
  webviewScriptMissing: 'The inspector UI is not built (dist/webview/main.js is missing). Run `npm run build`.',
};
