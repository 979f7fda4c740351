/**
 * What the inspector remembers across reloads (VS Code's `getState`/`setState`), and how a stored value is
 * read back: anything missing, stale or malformed falls back to the default, field by field.
 */
import { DEFAULT_METHOD, type MethodChoice, restoreMethodChoice } from './attributionMethod';
import { type ColormapChoice, isColormapName } from './heatmap/colormap';
import type { Sign } from './heatmap/normalize';
import { DEFAULT_DISPLAY, type DisplayOptions, type Method, METHODS } from './heatmap/overlay';
import { SIGNS } from './heatmap/normalize';

export const VIEW_STATE_VERSION = 1;

export type TileScale = 'tile' | 'shared';

export interface ViewState {
  version: number;
  /** The model this state belongs to; layer and target are dropped when another model loads. */
  modelKey?: string;
  layerId?: string;
  /** Which tensor of the layer's tuple is shown. */
  tensorIndex: number;
  example: number;
  /** The target field's text (CLI syntax). */
  targetText: string;
  /** The target follows the top prediction until the user sets one. */
  targetAuto: boolean;
  /** A segmentation target: "this class where it wins" (its winning pixels in the current input); replaces the text. */
  targetWins?: number;
  output?: string | number;
  layerInput: boolean;
  gradientOnly: boolean;
  /** Captum's layer method and its arguments. */
  attributionMethod: MethodChoice;
  display: DisplayOptions;
  /** The channel tiles' colour scale: each tile its own largest |value|, or one scale shared by the channel tiles. */
  tileScale: TileScale;
  /** Channel shown alone in the main view; undefined: the sum over channels. */
  channel?: number;
  filter: string;
  expanded: string[];
  topK: number;
}

export function defaultViewState(): ViewState {
  return {
    version: VIEW_STATE_VERSION,
    tensorIndex: 0,
    example: 0,
    targetText: '',
    targetAuto: true,
    layerInput: false,
    gradientOnly: false,
    attributionMethod: { ...DEFAULT_METHOD },
    display: { ...DEFAULT_DISPLAY },
    tileScale: 'tile',
    filter: '',
    expanded: [],
    topK: 5,
  };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, lo: number, hi: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
const isNum = (v: unknown, lo: number, hi: number): v is number => typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi;
const isStr = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;

export function restoreDisplay(raw: unknown): DisplayOptions {
  const d = { ...DEFAULT_DISPLAY };
  if (!isObj(raw)) return d;
  if (METHODS.includes(raw.method as Method)) d.method = raw.method as Method;
  if (SIGNS.includes(raw.sign as Sign)) d.sign = raw.sign as Sign;
  if (raw.colormap === 'default' || isColormapName(raw.colormap)) d.colormap = raw.colormap as ColormapChoice;
  if (isNum(raw.opacity, 0, 1)) d.opacity = raw.opacity;
  if (isNum(raw.outlierPerc, 0, 50)) d.outlierPerc = raw.outlierPerc;
  if (raw.upsampling === 'nearest' || raw.upsampling === 'bilinear') d.upsampling = raw.upsampling;
  if (typeof raw.nativeResolution === 'boolean') d.nativeResolution = raw.nativeResolution;
  return d;
}

/** Reads a stored state; never throws. */
export function restoreViewState(raw: unknown): ViewState {
  const s = defaultViewState();
  if (!isObj(raw) || raw.version !== VIEW_STATE_VERSION) return s;
  if (isStr(raw.modelKey, 4096)) s.modelKey = raw.modelKey;
  if (isStr(raw.layerId, 4096) && raw.layerId) s.layerId = raw.layerId;
  if (isInt(raw.tensorIndex, 0, 1024)) s.tensorIndex = raw.tensorIndex;
  if (isInt(raw.example, 0, 65535)) s.example = raw.example;
  if (isStr(raw.targetText, 10000)) s.targetText = raw.targetText;
  if (typeof raw.targetAuto === 'boolean') s.targetAuto = raw.targetAuto;
  if (isInt(raw.targetWins, 0, 1 << 20)) s.targetWins = raw.targetWins;
  if (isStr(raw.output, 4096) || isInt(raw.output, 0, 4096)) s.output = raw.output;
  if (typeof raw.layerInput === 'boolean') s.layerInput = raw.layerInput;
  if (typeof raw.gradientOnly === 'boolean') s.gradientOnly = raw.gradientOnly;
  s.attributionMethod = restoreMethodChoice(raw.attributionMethod);
  s.display = restoreDisplay(raw.display);
  if (raw.tileScale === 'tile' || raw.tileScale === 'shared') s.tileScale = raw.tileScale;
  if (isInt(raw.channel, 0, 1 << 20)) s.channel = raw.channel;
  if (isStr(raw.filter, 500)) s.filter = raw.filter;
  if (Array.isArray(raw.expanded)) s.expanded = raw.expanded.filter((x): x is string => isStr(x, 4096)).slice(0, 5000);
  if (isInt(raw.topK, 1, 100)) s.topK = raw.topK;
  return s;
}

/** The state for a newly loaded model: keeps display preferences, drops what belongs to another model. */
export function forModel(s: ViewState, modelKey: string): ViewState {
  if (s.modelKey === modelKey) return s;
  const d = defaultViewState();
  return { ...d, modelKey, display: s.display, tileScale: s.tileScale, topK: s.topK, layerInput: s.layerInput, gradientOnly: s.gradientOnly, attributionMethod: s.attributionMethod };
}
