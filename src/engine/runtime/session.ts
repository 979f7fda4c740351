/** onnxruntime sessions with provider fallback and the session options the engine uses everywhere. */
import * as ort from 'onnxruntime-node';
import type { ProviderName } from '../api';
import { LayerLensError } from '../errors';
import { type ExternalDatum, SessionModel } from '../onnx/sessionModel';
import { ConcreteProvider, ProviderProbes, planProviders, shortProviderError } from './providers';

export interface SessionRequest {
  provider?: ProviderName;
  threads?: number;
}

export interface OpenedSession {
  session: ort.InferenceSession;
  provider: ConcreteProvider;
  /** Why providers before the one that ran were not used. */
  notes: string[];
}

export interface SessionExtras {
  /** Folder that external-data locations are relative to (the model's own folder). */
  externalDataDir?: string;
  /** Graph optimisation level (default 'all'). */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Tensors the model names as in-memory external data (sessionModel.ts). */
  externalData?: ExternalDatum[];
  /** Weights the model takes as inputs (sessionModel.ts): openSession feeds them on every run. */
  weightFeeds?: Record<string, ort.Tensor>;
}

/**
 * onnxruntime's optimisers scan the graph outputs per node, so session creation grows with nodes × outputs
 * (8,000 outputs: 12 s at 'all', 1 s with optimisation off). Sessions that expose many intermediates trade
 * some run speed for a bounded start-up.
 */
export function optimizationFor(outputs: number): NonNullable<SessionExtras['optimization']> {
  if (outputs <= 400) return 'all';
  if (outputs <= 1500) return 'basic';
  return 'disabled';
}

// The environment's own warnings (onnxruntime 1.30: "Failed to persist telemetry device ID" when the cache folder is
// read-only) would land on the user's stderr; it takes its level from here when the first session is created.
ort.env.logLevel = 'error';

export type SessionFactory = (bytes: Uint8Array, provider: ConcreteProvider, threads: number | undefined, extras?: SessionExtras) => Promise<ort.InferenceSession>;

export const createOrtSession: SessionFactory = (bytes, provider, threads, extras = {}) => {
  const opts: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: extras.optimization ?? 'all',
    // No per-session memory arena: the engine holds dozens of sessions (one or two per segment of a split model),
    // each arena kept its run's peak for the session's life. Without: ResNet-50's first click 496–524 → 410–429 ms
    // and its process 843 → 650–669 MB; ResNet-18's 237 → 216 ms, 429 → 363 MB; later runs as fast (this machine).
    enableCpuMemArena: false,
    // Warnings (e.g. "initializer appears in graph inputs") are for model authors, not for our users' terminals.
    logSeverityLevel: 3,
    // Spinning worker threads burn a core while the editor idles; the engine's runs are short and bursty.
    extra: {
      session: {
        'intra_op.allow_spinning': '0',
        'inter_op.allow_spinning': '0',
        // Weights in external files are read by onnxruntime itself, never copied through JS.
        ...(extras.externalDataDir ? { model_external_initializers_file_folder_path: extras.externalDataDir } : {}),
      },
    },
  };
  if (extras.externalData?.length) opts.externalData = extras.externalData;
  if (threads && threads > 0) {
    opts.intraOpNumThreads = threads;
    opts.interOpNumThreads = 1;
  }
  return ort.InferenceSession.create(bytes, opts);
};

export interface SessionRequest {
  externalDataDir?: string;
  optimization?: SessionExtras['optimization'];
  /** Overrides the library checks and the child-process probe that decide which providers are worth trying (tests, diagnostics). */
  probes?: ProviderProbes;
}

/** `session` with `weights` added to every run's feeds. */
function feedingWeights(session: ort.InferenceSession, weights: Record<string, ort.Tensor>): ort.InferenceSession {
  return new Proxy(session, {
    get(target, prop) {
      if (prop === 'run') return (feeds: ort.InferenceSession.FeedsType, ...rest: unknown[]) => (target.run as (...a: unknown[]) => unknown)({ ...weights, ...feeds }, ...rest);
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

export async function openSession(model: Uint8Array | SessionModel, req: SessionRequest, factory: SessionFactory = createOrtSession): Promise<OpenedSession> {
  const plan = planProviders(req.provider ?? 'auto', process.platform, req.probes);
  const notes = [...plan.skipped];
  if (!plan.order.length)
    throw new LayerLensError(`execution provider '${req.provider}' is not available here: ${plan.skipped[0].replace(/^\w+: /, '')}`, 'provider-unavailable');
  let lastError: unknown;
  for (const provider of plan.order) {
    try {
      const { bytes, externalData, weightFeeds } = model instanceof SessionModel ? model.encode(provider) : { bytes: model, externalData: [], weightFeeds: {} };
      const session = await factory(bytes, provider, req.threads, { externalDataDir: req.externalDataDir, optimization: req.optimization, externalData, weightFeeds });
      return { session: Object.keys(weightFeeds).length ? feedingWeights(session, weightFeeds) : session, provider, notes };
    } catch (e) {
      lastError = e;
      notes.push(`${provider}: ${shortProviderError(e)}`);
    }
  }
  if (req.provider && req.provider !== 'auto') {
    const reason = shortProviderError(lastError);
    const isProviderProblem = /adapter|shared library|backend not found|provider/i.test(reason);
    if (isProviderProblem)
      throw new LayerLensError(`execution provider '${req.provider}' is not available here: ${reason}`, 'provider-unavailable');
  }
  throw new LayerLensError(`onnxruntime could not load the model: ${shortProviderError(lastError)}`, 'model-invalid');
}
