/** User-facing words, in one place. */
import type { ColormapChoice } from './heatmap/colormap';
import { COLORMAPS } from './heatmap/colormap';
import type { Sign } from './heatmap/normalize';
import type { Method } from './heatmap/overlay';
import type { Option } from './dom';

export const METHOD_OPTIONS: Option<Method>[] = [
  { value: 'blended_heat_map', label: 'Blended heat map' },
  { value: 'heat_map', label: 'Heat map' },
  { value: 'masked_image', label: 'Masked image' },
  { value: 'alpha_scaling', label: 'Alpha scaling' },
];

export const SIGN_OPTIONS: Option<Sign>[] = [
  { value: 'all', label: 'All (±)' },
  { value: 'positive', label: 'Positive' },
  { value: 'negative', label: 'Negative' },
  { value: 'absolute_value', label: 'Absolute value' },
];

export const COLORMAP_OPTIONS: Option<ColormapChoice>[] = [
  { value: 'default', label: 'Default for sign', description: 'Captum: RdWhGn, Greens, Reds or Blues' },
  ...COLORMAPS.map((c) => ({ value: c, label: c })),
];

export const UPSAMPLING_OPTIONS: Option<'bilinear' | 'nearest'>[] = [
  { value: 'bilinear', label: 'Bilinear' },
  { value: 'nearest', label: 'Nearest' },
];

export const TILE_SCALE_OPTIONS: Option<'tile' | 'shared'>[] = [
  { value: 'tile', label: 'Each tile its own scale' },
  { value: 'shared', label: 'Shared scale' },
];

export const S = {
  appTitle: 'LayerLens',
  layers: 'Layers',
  filterLayers: 'Filter layers',
  filterPlaceholder: 'Filter by name or op type  ( / )',
  noLayers: 'No model loaded yet.',
  noMatches: 'No layer matches the filter.',
  input: 'Input',
  pickInput: 'Pick input…',
  noInput: 'No input yet. Pick an image or a .npy file.',
  preprocessing: 'Preprocessing',
  apply: 'Apply',
  remember: 'Remember for this model',
  predictions: 'Predictions',
  noPredictions: 'Predictions appear once an input is loaded.',
  target: 'Target',
  targetHint: 'Class 3 · per example 3,1 · dense (c,y,x) · box (c, y0:y1, x0:x1), summed · per example (c,y,x),(c,y,x) · empty: none',
  targetAuto: 'follows the top prediction',
  attribution: 'Attribution',
  layerInput: 'Attribute to the layer input',
  layerInputTitle: "Captum's attribute_to_layer_input: use the tensors the layer reads instead of the ones it returns",
  gradientOnly: 'Gradient only',
  gradientOnlyTitle: 'multiply_by_inputs = False: show ∂target/∂activation without multiplying by the activation',
  output: 'Output',
  attributionMethod: 'Attribution method',
  integration: 'Integration',
  baselineHint: "0 = zeros (Captum's default); one value for every input element",
  layerBaselineHint: 'the value an ablated group takes (layer_baselines)',
  convergenceDelta: 'Convergence delta',
  convergenceDeltaTitle: 'return_convergence_delta: Σ attribution − (F(x) − F(baseline)) per example, shown with the result',
  gradcamRelu: 'ReLU',
  gradcamDimSum: 'Sum over channels',
  ablationGrouping: 'Groups',
  noTarget: 'Activation has no target: the picture is A(x) itself.',
  example: 'Example',
  tensor: 'Tensor',
  method: 'Method',
  sign: 'Sign',
  colormap: 'Colormap',
  opacity: 'Opacity',
  clip: 'Clip top',
  upsampling: 'Upsampling',
  nativeResolution: 'Native resolution',
  nativeResolutionTitle: "Normalise and draw on the layer's own grid instead of upsampling to the image",
  pin: 'Pin for compare',
  unpin: 'Unpin',
  exportPng: 'Export PNG',
  exportNpy: 'Export .npy',
  cancel: 'Cancel',
  selectLayerPrompt: 'Select a layer to see its attribution.',
  needInput: 'Pick an input to attribute.',
  topChannels: 'Top channels by Σ|attribution|',
  tileScale: 'Tile colour scale',
  allChannels: 'Σ all channels',
  pinned: 'Pinned',
  current: 'Current',
  nonSpatial: 'Non-spatial activation: one bar per feature (summed over channels).',
  perChannelBars: 'one bar per channel: F(x) − F(x with that channel at the layer baseline)',
  /** The link that goes back to the automatic target, by output role. */
  followAuto: {
    classifier: 'Follow top prediction',
    detector: 'Follow top detection',
    boxes: 'Follow top prediction',
    segmentation: 'Follow the largest class',
    image: 'Whole output',
    embedding: 'Follow top prediction',
    other: 'Follow top prediction',
  },
  /** What an automatic target follows, by output role. */
  followingAuto: {
    classifier: 'follows the top prediction',
    detector: 'follows the top detection',
    boxes: 'follows the top prediction',
    segmentation: 'follows the largest class',
    image: 'until you drag a box on the output',
    embedding: 'follows the largest component',
    other: 'follows the top prediction',
  },
  boxesTargetHint: (scores: string | undefined) =>
    `This output holds the detections' box coordinates: switch Output to ${scores ? `'${scores}'` : 'the score output'} for the ranked detections, or type (anchor, coordinate).`,
} as const;

export const STAGE_WORDS: Record<string, string> = {
  prepare: 'Reading model and input',
  load: 'Loading model',
  compile: 'Compiling (graphs and sessions)',
  run: 'Running',
  transfer: 'Receiving the result',
  predict: 'Predicting',
};
