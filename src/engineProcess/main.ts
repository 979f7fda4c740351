/**
 * The engine child process: forked by the extension host (src/host/engineClient.ts), it answers JSON-RPC
 * requests over Node's IPC channel. A crash, an out-of-memory abort or a hung native call here never takes
 * the editor down; the host restarts this process.
 *
 * argv: --request-timeout-ms=N (0: none) --memory-limit-mb=N (informational; the ceiling itself is the
 * `--max-old-space-size` the host passes in execArgv).
 */
import { CancellationToken, IPCMessageReader, IPCMessageWriter, ResponseError, createMessageConnection } from 'vscode-jsonrpc/node';
import { LayerLensError, describeError } from '../engine/errors';
import { planProviders } from '../engine/runtime/providers';
import { EngineState } from './engineState';
import {
  Attribute,
  DisposeModel,
  ENGINE_ERROR,
  Hello,
  Layers,
  LoadInput,
  LocateLayer,
  ModelTree,
  OpenModel,
  Predict,
  REQUEST_CANCELLED,
  ResultChannel,
  ResultTensor,
  Stage,
} from './rpc';
import type { EngineStage } from '../engine/api';
import type { WireErrorData } from '../shared/engineWire';

function numberArg(name: string, fallback: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  const v = a ? Number(a.slice(name.length + 3)) : NaN;
  return Number.isFinite(v) && v >= 0 ? v : fallback;
}

const requestTimeoutMs = numberArg('request-timeout-ms', 0);
const memoryLimitMb = numberArg('memory-limit-mb', 0);

if (!process.send) {
  process.stderr.write('engine-process: must be started by the LayerLens extension (no IPC channel)\n');
  process.exit(2);
}

const state = new EngineState();
const connection = createMessageConnection(new IPCMessageReader(process), new IPCMessageWriter(process));

/** Wraps a handler: cancellation token and timeout → AbortSignal; errors → one-line JSON-RPC errors. */
function handler<P, R>(fn: (params: P, signal: AbortSignal) => Promise<R>): (params: P, token: CancellationToken) => Promise<R> {
  return async (params, token) => {
    const cancel = new AbortController();
    const sub = token.onCancellationRequested(() => cancel.abort());
    const timeout = requestTimeoutMs > 0 ? AbortSignal.timeout(requestTimeoutMs) : undefined;
    const signal = timeout ? AbortSignal.any([cancel.signal, timeout]) : cancel.signal;
    try {
      return await fn(params, signal);
    } catch (e) {
      if (token.isCancellationRequested) throw new ResponseError<WireErrorData>(REQUEST_CANCELLED, 'cancelled', { code: 'cancelled' });
      if (timeout?.aborted)
        throw new ResponseError<WireErrorData>(ENGINE_ERROR, `timed out after ${Math.round(requestTimeoutMs / 1000)} s`, { code: 'timeout' });
      if (!(e instanceof LayerLensError)) process.stderr.write(`engine-process: ${(e as Error)?.stack ?? String(e)}\n`);
      throw new ResponseError<WireErrorData>(
        ENGINE_ERROR,
        describeError(e),
        e instanceof LayerLensError ? { code: e.code, ...(e.node !== undefined ? { node: e.node } : {}), ...(e.op !== undefined ? { op: e.op } : {}) } : { code: 'internal' },
      );
    } finally {
      sub.dispose();
    }
  };
}

connection.onRequest(Hello, () => ({ pid: process.pid, node: process.version, memoryLimitMb, providers: planProviders('auto').order }));
connection.onRequest(OpenModel, handler((p) => state.openModel(p.model)));
connection.onRequest(Layers, handler((p) => state.layers(p)));
connection.onRequest(ModelTree, handler((p) => state.modelTree(p.model)));
connection.onRequest(LocateLayer, handler((p) => state.locateLayer(p.model, p.id)));
/** Stage notifications for a request that asked for them (each stage once, in order; 'transfer' before the reply). */
function stages(progressId: string | undefined): ((stage: EngineStage) => void) | undefined {
  if (!progressId) return undefined;
  let last: EngineStage | undefined;
  return (stage) => {
    if (stage === last) return;
    last = stage;
    void connection.sendNotification(Stage, { progressId, stage });
  };
}

/** A handler for a request that reports its stages; 'transfer' once the engine is done and the reply goes out. */
function staged<P extends { progressId?: string }, R>(fn: (p: P, signal: AbortSignal, onStage: ((stage: EngineStage) => void) | undefined) => Promise<R>) {
  return handler(async (p: P, signal) => {
    const onStage = stages(p.progressId);
    const res = await fn(p, signal, onStage);
    onStage?.('transfer');
    return res;
  });
}

connection.onRequest(Predict, staged((p, signal, onStage) => state.predict(p, signal, onStage)));
connection.onRequest(Attribute, staged((p, signal, onStage) => state.attribute(p, signal, onStage)));
connection.onRequest(ResultTensor, handler(async (p) => state.resultTensor(p)));
connection.onRequest(ResultChannel, handler(async (p) => state.resultChannel(p)));
connection.onRequest(LoadInput, handler((p) => state.loadInput(p)));
connection.onRequest(DisposeModel, handler((p) => state.disposeModel(p.model)));

// The host went away (closed window, crashed extension host): nothing left to serve.
process.on('disconnect', () => process.exit(0));
connection.onClose(() => process.exit(0));
process.on('unhandledRejection', (e) => process.stderr.write(`engine-process: unhandled rejection: ${(e as Error)?.stack ?? String(e)}\n`));

connection.listen();
