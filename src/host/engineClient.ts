/**
 * The extension host's handle on the engine child process: starts it on demand, restarts it after a
 * crash, an out-of-memory abort or a hang, rejects the requests a dead process took with it, and lets
 * only the latest of rapid-fire requests with the same key run (earlier ones are cancelled).
 *
 * Pure Node (no `vscode` import): notices and settings come in through options, so the restart and
 * supersede logic is unit-tested with a fake launcher.
 */
import { ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CancellationToken, CancellationTokenSource, Emitter, Event, RequestType, ResponseError } from 'vscode-jsonrpc';
import { IPCMessageReader, IPCMessageWriter, createMessageConnection } from 'vscode-jsonrpc/node';
import type { EngineStage } from '../engine/api';
import {
  Attribute,
  DisposeModel,
  Hello,
  Layers,
  LoadInput,
  LocateLayer,
  ModelTree,
  OpenModel,
  type ParamsOf,
  Predict,
  REQUEST_CANCELLED,
  type ResultOf,
  ResultChannel,
  ResultTensor,
  Stage,
} from '../engineProcess/rpc';
import type { WireErrorData, WireStage } from '../shared/engineWire';
import { S } from './strings';

export type EngineErrorCode =
  /** The engine's own categories (LayerLensErrorCode): invalid-argument, model-invalid, unknown-layer, … */
  | string
  | 'cancelled'
  | 'superseded'
  | 'timeout'
  | 'engine-stopped'
  | 'engine-disposed';

/** Every failure of an engine request: a one-line message for the user and a stable code. */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly code: EngineErrorCode,
    /** Where in the model, as the engine reported it. */
    readonly where: { node?: string; op?: string } = {},
  ) {
    super(message.replace(/\s*\n\s*/g, ' '));
    this.name = 'EngineError';
  }
}

/** Cancellation the user asked for (or a newer request replaced this one): not worth an error message. */
export function isCancellation(e: unknown): boolean {
  return e instanceof EngineError && (e.code === 'cancelled' || e.code === 'superseded');
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last few KB the process wrote to stderr. */
  stderrTail: string;
}

/** One running engine process, as the client sees it. */
export interface EngineConnection {
  readonly pid: number | undefined;
  sendRequest<P, R>(type: RequestType<P, R, unknown>, params: P, token: CancellationToken): Promise<R>;
  /** Called once, when the process is gone. */
  onExit(listener: (info: ExitInfo) => void): void;
  /** Stage notifications of requests that carry a progressId (a launcher without them never calls it). */
  onStage?(listener: (s: WireStage) => void): void;
  kill(): void;
}

export interface LaunchOptions {
  memoryLimitMb: number;
  requestTimeoutMs: number;
}

export type EngineLauncher = (opts: LaunchOptions) => EngineConnection;

export interface EngineNotice {
  kind: 'crashed' | 'hung' | 'restarting-paused';
  message: string;
}

export interface EngineClientOptions {
  launcher: EngineLauncher;
  memoryLimitMb: () => number;
  requestTimeoutMs: () => number;
  /** After a request times out, how long the process gets to answer its cancellation before it is restarted. */
  hangGraceMs?: number;
  /** More than this many crashes within `crashWindowMs` stop eager restarts (the next request still starts one). */
  maxCrashes?: number;
  crashWindowMs?: number;
  onNotice?: (n: EngineNotice) => void;
  log?: (line: string) => void;
  now?: () => number;
}

export interface RequestOptions {
  token?: CancellationToken;
  /** Overrides the configured timeout (0: none). */
  timeoutMs?: number;
  /** Requests with the same key supersede each other: starting one cancels the one still running. */
  supersedeKey?: string;
  /** Told each stage the engine reaches for this request (attribute and predict): compile, run, transfer. */
  onStage?: (stage: EngineStage) => void;
}

interface InFlight {
  conn: EngineConnection;
  abort(err: EngineError): void;
}

export class EngineClient {
  private conn?: EngineConnection;
  private readonly inflight = new Set<InFlight>();
  private readonly latest = new Map<string, InFlight>();
  /** Stage listeners of requests in flight, by progressId. */
  private readonly stageListeners = new Map<string, (stage: EngineStage) => void>();
  private progressSeq = 0;
  /** Connections we stopped on purpose: their exit is not a crash. */
  private readonly stopping = new WeakSet<EngineConnection>();
  private crashTimes: number[] = [];
  private disposed = false;
  private starts = 0;
  private readonly startEmitter = new Emitter<{ pid: number | undefined; generation: number }>();
  private readonly stopEmitter = new Emitter<ExitInfo & { crashed: boolean; reason: string }>();

  readonly onDidStart: Event<{ pid: number | undefined; generation: number }> = this.startEmitter.event;
  readonly onDidStop: Event<ExitInfo & { crashed: boolean; reason: string }> = this.stopEmitter.event;

  constructor(private readonly opts: EngineClientOptions) {}

  /** The running process's id (undefined when none is running). */
  get pid(): number | undefined {
    return this.conn?.pid;
  }

  get running(): boolean {
    return this.conn !== undefined;
  }

  /** How many processes this client has started. */
  get generation(): number {
    return this.starts;
  }

  get pendingCount(): number {
    return this.inflight.size;
  }

  /** Starts the process now (requests start it anyway) and waits until it answers. */
  async start(): Promise<ResultOf<typeof Hello>> {
    return this.request(Hello, undefined, { timeoutMs: 30_000 });
  }

  /** Stops the running process (its requests fail with engine-stopped); the next request starts a fresh one. */
  restart(): void {
    const c = this.conn;
    if (!c) return;
    this.stop(c, S.engineRestartedByRequest);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const f of [...this.inflight]) f.abort(new EngineError(S.engineDisposed, 'engine-disposed'));
    if (this.conn) this.stop(this.conn, S.engineDisposed);
    this.startEmitter.dispose();
    this.stopEmitter.dispose();
  }

  // Each method's types come from its request descriptor (src/engineProcess/rpc.ts).
  hello(opts?: RequestOptions): Promise<ResultOf<typeof Hello>> {
    return this.request(Hello, undefined, opts);
  }
  openModel(model: string, opts?: RequestOptions): Promise<ResultOf<typeof OpenModel>> {
    return this.request(OpenModel, { model }, opts);
  }
  layers(p: ParamsOf<typeof Layers>, opts?: RequestOptions): Promise<ResultOf<typeof Layers>> {
    return this.request(Layers, p, opts);
  }
  modelTree(model: string, opts?: RequestOptions): Promise<ResultOf<typeof ModelTree>> {
    return this.request(ModelTree, { model }, opts);
  }
  locateLayer(model: string, id: string, opts?: RequestOptions): Promise<ResultOf<typeof LocateLayer>> {
    return this.request(LocateLayer, { model, id }, opts);
  }
  predict(p: ParamsOf<typeof Predict>, opts?: RequestOptions): Promise<ResultOf<typeof Predict>> {
    return this.request(Predict, p, opts);
  }
  attribute(p: ParamsOf<typeof Attribute>, opts?: RequestOptions): Promise<ResultOf<typeof Attribute>> {
    return this.request(Attribute, p, opts);
  }
  /** A whole tensor of a result the engine answered in its display form and kept. */
  resultTensor(p: ParamsOf<typeof ResultTensor>, opts?: RequestOptions): Promise<ResultOf<typeof ResultTensor>> {
    return this.request(ResultTensor, p, opts);
  }
  /** One channel of a kept result at full size. */
  resultChannel(p: ParamsOf<typeof ResultChannel>, opts?: RequestOptions): Promise<ResultOf<typeof ResultChannel>> {
    return this.request(ResultChannel, p, opts);
  }
  loadInput(p: ParamsOf<typeof LoadInput>, opts?: RequestOptions): Promise<ResultOf<typeof LoadInput>> {
    return this.request(LoadInput, p, opts);
  }
  async disposeModel(model: string): Promise<void> {
    if (!this.conn) return; // nothing is open in a process that is not running
    await this.request(DisposeModel, { model }, { timeoutMs: 10_000 });
  }

  /** Sends one request; never blocks, always settles (result, engine error, cancellation, timeout or crash). */
  request<P, R>(type: RequestType<P, R, unknown>, params: P, opts: RequestOptions = {}): Promise<R> {
    if (this.disposed) return Promise.reject(new EngineError(S.engineDisposed, 'engine-disposed'));
    if (opts.token?.isCancellationRequested) return Promise.reject(new EngineError(S.cancelled, 'cancelled'));
    let conn: EngineConnection;
    try {
      conn = this.ensureRunning();
    } catch (e) {
      return Promise.reject(new EngineError(S.engineStartFailed((e as Error).message), 'engine-stopped'));
    }
    const source = new CancellationTokenSource();
    const timeoutMs = opts.timeoutMs ?? this.opts.requestTimeoutMs();
    // Stage notifications come back under this id (only attribute and predict send them).
    const progressId = opts.onStage ? `p${++this.progressSeq}` : undefined;
    if (progressId) this.stageListeners.set(progressId, opts.onStage!);
    return new Promise<R>((resolve, reject) => {
      let settled = false;
      let answered = false;
      let timer: NodeJS.Timeout | undefined;
      let hangTimer: NodeJS.Timeout | undefined;
      const entry: InFlight = {
        conn,
        abort: (err) => {
          if (!answered) source.cancel();
          finish(err);
        },
      };
      const finish = (err: EngineError | undefined, value?: R): void => {
        if (settled) return;
        settled = true;
        if (progressId) this.stageListeners.delete(progressId);
        if (timer) clearTimeout(timer);
        sub?.dispose();
        this.inflight.delete(entry);
        if (opts.supersedeKey && this.latest.get(opts.supersedeKey) === entry) this.latest.delete(opts.supersedeKey);
        if (err) reject(err);
        else resolve(value as R);
      };
      this.inflight.add(entry);
      if (opts.supersedeKey) {
        this.latest.get(opts.supersedeKey)?.abort(new EngineError(S.superseded, 'superseded'));
        this.latest.set(opts.supersedeKey, entry);
      }
      const sub = opts.token?.onCancellationRequested(() => entry.abort(new EngineError(S.cancelled, 'cancelled')));
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          entry.abort(new EngineError(S.timedOut(Math.round(timeoutMs / 1000)), 'timeout'));
          // A process that cannot even answer a cancellation is stuck in native code: replace it.
          hangTimer = setTimeout(() => {
            if (!answered && this.conn === conn) this.stop(conn, S.engineHung, 'hung');
          }, this.opts.hangGraceMs ?? 5000);
        }, timeoutMs);
      }
      let sent: Promise<R>;
      try {
        sent = conn.sendRequest(type, progressId ? { ...params, progressId } : params, source.token);
      } catch (e) {
        sent = Promise.reject(e);
      }
      sent.then(
        (value) => {
          answered = true;
          if (hangTimer) clearTimeout(hangTimer);
          finish(undefined, value);
        },
        (e: unknown) => {
          answered = true;
          if (hangTimer) clearTimeout(hangTimer);
          finish(toEngineError(e));
        },
      );
    });
  }

  private ensureRunning(): EngineConnection {
    if (this.conn) return this.conn;
    const conn = this.opts.launcher({ memoryLimitMb: this.opts.memoryLimitMb(), requestTimeoutMs: this.opts.requestTimeoutMs() });
    this.conn = conn;
    this.starts++;
    this.opts.log?.(`engine started (pid ${conn.pid ?? '?'})`);
    conn.onExit((info) => this.exited(conn, info));
    conn.onStage?.((s) => this.stageListeners.get(s.progressId)?.(s.stage));
    this.startEmitter.fire({ pid: conn.pid, generation: this.starts });
    return conn;
  }

  private stop(conn: EngineConnection, reason: string, notice?: 'hung'): void {
    this.stopping.add(conn);
    if (this.conn === conn) this.conn = undefined;
    this.failRequestsOf(conn, new EngineError(reason, 'engine-stopped'));
    if (notice) this.opts.onNotice?.({ kind: notice, message: reason });
    conn.kill();
  }

  private exited(conn: EngineConnection, info: ExitInfo): void {
    const expected = this.stopping.has(conn);
    if (this.conn === conn) this.conn = undefined;
    const reason = describeExit(info, this.opts.memoryLimitMb());
    this.opts.log?.(`engine (pid ${conn.pid ?? '?'}) ${reason}${info.stderrTail ? `; stderr: ${info.stderrTail.trim().split('\n').slice(-5).join(' | ')}` : ''}`);
    this.stopEmitter.fire({ ...info, crashed: !expected, reason });
    if (expected || this.disposed) return;
    this.failRequestsOf(conn, new EngineError(S.engineStoppedDuringRequest(reason), 'engine-stopped'));
    const now = (this.opts.now ?? Date.now)();
    const window = this.opts.crashWindowMs ?? 60_000;
    this.crashTimes = [...this.crashTimes.filter((t) => now - t < window), now];
    if (this.crashTimes.length > (this.opts.maxCrashes ?? 3)) {
      this.opts.onNotice?.({ kind: 'restarting-paused', message: S.engineCrashLoop(reason) });
      return; // the next request starts it again
    }
    this.opts.onNotice?.({ kind: 'crashed', message: S.engineCrashed(reason) });
    try {
      this.ensureRunning();
    } catch (e) {
      this.opts.log?.(`engine restart failed: ${(e as Error).message}`);
    }
  }

  private failRequestsOf(conn: EngineConnection, err: EngineError): void {
    for (const f of [...this.inflight]) if (f.conn === conn) f.abort(err);
  }
}

/** Why a process ended, in the user's words. */
export function describeExit(info: ExitInfo, memoryLimitMb: number): string {
  if (/heap out of memory|Allocation failed|out of memory|std::bad_alloc/i.test(info.stderrTail)) return S.exitOutOfMemory(memoryLimitMb);
  if (info.signal === 'SIGKILL') return S.exitKilledHard;
  if (info.signal) return S.exitSignal(info.signal);
  return S.exitCode(info.code ?? -1);
}

function toEngineError(e: unknown): EngineError {
  if (e instanceof EngineError) return e;
  if (e instanceof ResponseError) {
    const data = e.data as WireErrorData | undefined;
    if (e.code === REQUEST_CANCELLED) return new EngineError(S.cancelled, 'cancelled');
    const where = { ...(typeof data?.node === 'string' ? { node: data.node } : {}), ...(typeof data?.op === 'string' ? { op: data.op } : {}) };
    return new EngineError(e.message, typeof data?.code === 'string' ? data.code : 'internal', where);
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new EngineError(S.engineConnectionError(msg.split('\n')[0]), 'engine-stopped');
}

/**
 * The real launcher: forks `enginePath` (dist/engine-process.js) with a V8 heap ceiling. Under desktop VS
 * Code `process.execPath` is Electron, hence ELECTRON_RUN_AS_NODE; in a remote/server host it is Node.
 */
export function forkLauncher(enginePath: string, log?: (line: string) => void): EngineLauncher {
  return (opts) => {
    if (!existsSync(enginePath)) throw new Error(`${enginePath} is missing (run \`npm run build\`)`);
    const execArgv = opts.memoryLimitMb > 0 ? [`--max-old-space-size=${Math.floor(opts.memoryLimitMb)}`] : [];
    const child: ChildProcess = fork(enginePath, [`--request-timeout-ms=${Math.floor(opts.requestTimeoutMs)}`, `--memory-limit-mb=${Math.floor(opts.memoryLimitMb)}`], {
      execArgv,
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // Structured clone: tensors cross as bytes (a 12.8 MB heat map was ~17 MB of base64 text before).
      serialization: 'advanced',
    });
    let stderrTail = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-8192);
      for (const line of chunk.split('\n')) if (line.trim()) log?.(`[engine] ${line}`);
    });
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim()) log?.(`[engine stdout] ${line}`);
    });
    const connection = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    connection.onError(([err]) => log?.(`engine connection error: ${err.message}`));
    connection.listen();
    const exitListeners: ((info: ExitInfo) => void)[] = [];
    let exitInfo: ExitInfo | undefined;
    const onGone = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (exitInfo) return;
      exitInfo = { code, signal, stderrTail };
      connection.dispose();
      for (const l of exitListeners) l(exitInfo);
    };
    // 'exit' may come before stderr is drained; 'close' comes after. Wait for close, with exit as a fallback.
    child.on('close', (code, signal) => onGone(code, signal));
    child.on('exit', (code, signal) => setTimeout(() => onGone(code, signal), 500).unref());
    child.on('error', (err) => {
      stderrTail += `\n${err.message}`;
      if (child.exitCode === null && child.signalCode === null && child.pid === undefined) onGone(null, null);
    });
    return {
      get pid() {
        return child.pid;
      },
      sendRequest: (type, params, token) => connection.sendRequest(type, params, token),
      onStage: (l) => connection.onNotification(Stage, l),
      onExit: (l) => {
        if (exitInfo) l(exitInfo);
        else exitListeners.push(l);
      },
      kill: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
    };
  };
}
