/** The webview's side of the protocol: typed requests with ids, cancellation, and event handlers. */
import {
  type ErrorInfo,
  type EventName,
  type HostEvents,
  isHostToWebviewMessage,
  type MethodName,
  type ParamsOf,
  PROTOCOL_VERSION,
  type ResultOf,
} from '../src/shared/protocol';
import type { Transport } from './transport';

/** A failed request: the host's one-line message plus where it happened. */
export class RequestError extends Error {
  constructor(readonly info: ErrorInfo) {
    super(info.message);
    this.name = 'RequestError';
  }
  get cancelled(): boolean {
    return this.info.code === 'cancelled';
  }
}

export interface Pending<T> {
  id: number;
  promise: Promise<T>;
}

export class RpcClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: RequestError) => void }>();
  private readonly handlers = new Map<EventName, ((payload: never) => void)[]>();

  constructor(private readonly transport: Transport) {
    transport.onMessage((msg) => this.receive(msg));
  }

  request<M extends MethodName>(method: M, params: ParamsOf<M>, transfer?: Transferable[]): Pending<ResultOf<M>> {
    const id = this.nextId++;
    const promise = new Promise<ResultOf<M>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    });
    this.transport.postMessage({ kind: 'request', id, method, params } as never, transfer);
    return { id, promise };
  }

  /** Asks the host to stop request `id`, and settles it here at once (a late answer is dropped). */
  cancel(id: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.reject(new RequestError({ message: 'Cancelled.', code: 'cancelled', requestId: id }));
    void this.request('cancel', { requestId: id }).promise.catch(() => undefined);
  }

  isPending(id: number): boolean {
    return this.pending.has(id);
  }

  on<E extends EventName>(name: E, handler: (payload: HostEvents[E]) => void): void {
    const list = this.handlers.get(name) ?? [];
    list.push(handler as (payload: never) => void);
    this.handlers.set(name, list);
  }

  ready(): Promise<{ protocolVersion: number }> {
    return this.request('ready', { protocolVersion: PROTOCOL_VERSION }).promise;
  }

  private receive(msg: unknown): void {
    if (!isHostToWebviewMessage(msg)) return;
    if (msg.kind === 'response') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new RequestError(msg.error));
      else p.resolve(msg.result);
      return;
    }
    for (const h of this.handlers.get(msg.name) ?? []) {
      try {
        (h as (p: unknown) => void)(msg.payload);
      } catch (e) {
        console.error(`LayerLens: handling '${msg.name}' failed`, e);
      }
    }
  }
}
