/**
 * The JSON-RPC requests between the extension host and the engine child process (vscode-jsonrpc over Node's IPC
 * channel). Their parameter and result types are the wire types of src/shared/engineWire.ts; predictions cross as
 * the engine returns them. Imported by both sides, never imports `vscode`.
 */
import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { PredictResult } from '../engine/api';
import type {
  WireAttributeParams,
  WireChannelPlane,
  WireAttributeResult,
  WireErrorData,
  WireHelloResult,
  WireLayersParams,
  WireLayersResult,
  WireLoadInputParams,
  WireLoadInputResult,
  WireLocateLayerResult,
  WireModelInfo,
  WireModelTreeResult,
  WirePredictParams,
  WireResultChannelParams,
  WireResultTensorParams,
  WireStage,
  WireTensor,
} from '../shared/engineWire';

export const Hello = new RequestType<void, WireHelloResult, void>('layerlens/hello');
export const OpenModel = new RequestType<{ model: string }, WireModelInfo, WireErrorData>('layerlens/openModel');
export const Layers = new RequestType<WireLayersParams, WireLayersResult, WireErrorData>('layerlens/layers');
export const ModelTree = new RequestType<{ model: string }, WireModelTreeResult, WireErrorData>('layerlens/modelTree');
export const LocateLayer = new RequestType<{ model: string; id: string }, WireLocateLayerResult, WireErrorData>('layerlens/locateLayer');
export const Predict = new RequestType<WirePredictParams, PredictResult, WireErrorData>('layerlens/predict');
export const Attribute = new RequestType<WireAttributeParams, WireAttributeResult, WireErrorData>('layerlens/attribute');
/** A whole tensor of a result the engine kept (Export .npy of a result sent in its display form). */
export const ResultTensor = new RequestType<WireResultTensorParams, WireTensor, WireErrorData>('layerlens/resultTensor');
/** One channel of a kept result at full size ([height, width] and its values). */
export const ResultChannel = new RequestType<WireResultChannelParams, WireChannelPlane, WireErrorData>('layerlens/resultChannel');
export const LoadInput = new RequestType<WireLoadInputParams, WireLoadInputResult, WireErrorData>('layerlens/loadInput');
export const DisposeModel = new RequestType<{ model: string }, void, WireErrorData>('layerlens/disposeModel');
/** Engine → host: a request with a `progressId` moved to another stage. */
export const Stage = new NotificationType<WireStage>('layerlens/stage');

/** JSON-RPC error code for an error the engine reports on purpose (ServerNotInitialized..-32000 are reserved). */
export const ENGINE_ERROR = -32001;
/** JSON-RPC's RequestCancelled. */
export const REQUEST_CANCELLED = -32800;

/** A request descriptor's parameter and result types: the client's methods are typed from the descriptors alone. */
export type ParamsOf<T> = T extends RequestType<infer P, unknown, unknown> ? P : never;
export type ResultOf<T> = T extends RequestType<unknown, infer R, unknown> ? R : never;
