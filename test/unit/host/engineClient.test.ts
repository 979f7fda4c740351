/** The engine client's restart, supersede, cancel and timeout logic, driven through a fake engine process. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CancellationToken, CancellationTokenSource, RequestType, ResponseError } from 'vscode-jsonrpc';
import { Attribute, ENGINE_ERROR, Hello } from '../../../src/engineProcess/rpc';
import { EngineClient, EngineConnection, EngineError, EngineNotice, ExitInfo, describeExit, isCancellation } from '../../../src/host/engineClient';

interface Sent {
  method: string;
  params: unknown;
  token: CancellationToken;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

class FakeProcess implements EngineConnection {
  static nextPid = 1000;
  readonly pid = FakeProcess.nextPid++;
  readonly sent: Sent[] = [];
  killed = false;
  private exitListeners: ((i: ExitInfo) => void)[] = [];

  sendRequest<P, R>(type: RequestType<P, R, unknown>, params: P, token: CancellationToken): Promise<R> {
    return new Promise<R>((resolve, reject) => this.sent.push({ method: type.method, params, token, resolve: resolve as (v: unknown) => void, reject }));
  }
  onExit(l: (i: ExitInfo) => void): void {
    this.exitListeners.push(l);
  }
  kill(): void {
    this.killed = true;
    this.exit({ code: null, signal: 'SIGKILL', stderrTail: '' });
  }
  exit(info: ExitInfo): void {
    const ls = this.exitListeners;
    this.exitListeners = [];
    for (const l of ls) l(info);
  }
}

function setup(opts: { timeoutMs?: number; hangGraceMs?: number; maxCrashes?: number; now?: () => number } = {}) {
  const procs: FakeProcess[] = [];
  const notices: EngineNotice[] = [];
  const client = new EngineClient({
    launcher: () => {
      const p = new FakeProcess();
      procs.push(p);
      return p;
    },
    memoryLimitMb: () => 512,
    requestTimeoutMs: () => opts.timeoutMs ?? 0,
    hangGraceMs: opts.hangGraceMs ?? 20,
    maxCrashes: opts.maxCrashes,
    now: opts.now,
    onNotice: (n) => notices.push(n),
  });
  return { client, procs, notices };
}

const ATTR = { model: '/m.onnx', layers: ['a'], inputs: [], target: { kind: 'none' as const } };

async function rejection(p: Promise<unknown>): Promise<EngineError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof EngineError, `expected an EngineError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the request to fail');
}

const tick = () => new Promise((r) => setImmediate(r));

describe('EngineClient: process lifecycle', () => {
  test('starts the process on the first request, not before', async () => {
    const { client, procs } = setup();
    assert.equal(procs.length, 0);
    assert.equal(client.running, false);
    const p = client.hello();
    assert.equal(procs.length, 1);
    assert.equal(client.pid, procs[0].pid);
    procs[0].sent[0].resolve({ pid: procs[0].pid, node: 'v20', memoryLimitMb: 512, providers: ['cpu'] });
    assert.equal((await p).pid, procs[0].pid);
    client.dispose();
  });

  test('a crash rejects the requests in flight with a clear error, restarts, and the next request succeeds', async () => {
    const { client, procs, notices } = setup();
    const a = client.attribute(ATTR);
    const b = client.hello();
    procs[0].exit({ code: null, signal: 'SIGTERM', stderrTail: '' });
    const ea = await rejection(a);
    const eb = await rejection(b);
    assert.equal(ea.code, 'engine-stopped');
    assert.match(ea.message, /LayerLens engine was stopped \(SIGTERM\) during this request; it has been restarted/);
    assert.equal(eb.code, 'engine-stopped');
    assert.equal(notices.length, 1);
    assert.equal(notices[0].kind, 'crashed');
    // Restarted eagerly, so the next request goes to a fresh process.
    assert.equal(procs.length, 2);
    const c = client.attribute(ATTR);
    assert.equal(procs[1].sent.length, 1);
    procs[1].sent[0].resolve({ ok: 1 });
    assert.deepEqual(await c, { ok: 1 });
    client.dispose();
  });

  test('an out-of-memory abort is named as such, with the limit', async () => {
    const { client, procs } = setup();
    const a = client.attribute(ATTR);
    procs[0].exit({ code: 134, signal: null, stderrTail: '<--- Last few GCs --->\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n' });
    const e = await rejection(a);
    assert.match(e.message, /ran out of memory \(limit 512 MB, setting layerlens\.engineMemoryLimitMb\)/);
    client.dispose();
  });

  test('describeExit: signals, exit codes, SIGKILL', () => {
    assert.match(describeExit({ code: 3, signal: null, stderrTail: '' }, 0), /exited unexpectedly \(code 3\)/);
    assert.match(describeExit({ code: null, signal: 'SIGKILL', stderrTail: '' }, 0), /SIGKILL/);
    assert.match(describeExit({ code: null, signal: 'SIGSEGV', stderrTail: '' }, 0), /SIGSEGV/);
    assert.match(describeExit({ code: 1, signal: null, stderrTail: 'terminate called after throwing an instance of std::bad_alloc' }, 100), /out of memory/);
  });

  test('repeated crashes pause eager restarts; the next request still starts a process', async () => {
    let now = 0;
    const { client, procs, notices } = setup({ maxCrashes: 2, now: () => now });
    void client.hello().catch(() => undefined);
    for (let i = 0; i < 3; i++) {
      now += 1000;
      procs[procs.length - 1].exit({ code: 1, signal: null, stderrTail: '' });
    }
    assert.equal(notices.map((n) => n.kind).join(','), 'crashed,crashed,restarting-paused');
    assert.equal(client.running, false);
    const started = procs.length;
    const p = client.hello();
    assert.equal(procs.length, started + 1);
    procs[procs.length - 1].sent[0].resolve({ pid: 1, node: 'v20', memoryLimitMb: 0, providers: ['cpu'] });
    await p;
    client.dispose();
  });

  test('crashes outside the window do not count', async () => {
    let now = 0;
    const { client, procs, notices } = setup({ maxCrashes: 1, now: () => now });
    void client.hello().catch(() => undefined);
    for (let i = 0; i < 4; i++) {
      now += 120_000;
      procs[procs.length - 1].exit({ code: 1, signal: null, stderrTail: '' });
    }
    assert.ok(notices.every((n) => n.kind === 'crashed'));
    assert.equal(client.running, true);
    client.dispose();
  });

  test('restart() stops the process without a crash notice; requests in flight fail, later ones use a new process', async () => {
    const { client, procs, notices } = setup();
    const a = client.attribute(ATTR);
    client.restart();
    assert.equal(procs[0].killed, true);
    assert.equal((await rejection(a)).code, 'engine-stopped');
    assert.equal(notices.length, 0);
    const b = client.hello();
    assert.equal(procs.length, 2);
    procs[1].sent[0].resolve({ pid: 2, node: 'v20', memoryLimitMb: 0, providers: ['cpu'] });
    await b;
    client.dispose();
  });

  test('dispose() rejects what is in flight, kills the process and refuses new requests', async () => {
    const { client, procs } = setup();
    const a = client.attribute(ATTR);
    client.dispose();
    assert.equal((await rejection(a)).code, 'engine-disposed');
    assert.equal(procs[0].killed, true);
    assert.equal((await rejection(client.hello())).code, 'engine-disposed');
  });
});

describe('EngineClient: supersede, cancel, timeout', () => {
  test('a newer request with the same key cancels the older one', async () => {
    const { client, procs } = setup();
    const first = client.attribute(ATTR, { supersedeKey: 'panel1:attribute' });
    const other = client.attribute(ATTR, { supersedeKey: 'panel2:attribute' });
    const second = client.attribute(ATTR, { supersedeKey: 'panel1:attribute' });
    const e = await rejection(first);
    assert.equal(e.code, 'superseded');
    assert.ok(isCancellation(e));
    const [s1, s2, s3] = procs[0].sent;
    assert.equal(s1.token.isCancellationRequested, true, 'the engine is told to stop the superseded request');
    assert.equal(s2.token.isCancellationRequested, false, 'another panel is not affected');
    assert.equal(s3.token.isCancellationRequested, false);
    // A late answer to the superseded request is dropped.
    s1.resolve({ stale: true });
    s3.resolve({ fresh: true });
    s2.resolve({ other: true });
    assert.deepEqual(await second, { fresh: true });
    assert.deepEqual(await other, { other: true });
    client.dispose();
  });

  test('rapid-fire: only the last of many requests resolves', async () => {
    const { client, procs } = setup();
    const all = Array.from({ length: 10 }, () => client.attribute(ATTR, { supersedeKey: 'k' }));
    procs[0].sent.forEach((s, i) => s.resolve({ i }));
    const settled = await Promise.allSettled(all);
    assert.equal(settled.filter((r) => r.status === 'fulfilled').length, 1);
    assert.deepEqual((settled[9] as PromiseFulfilledResult<unknown>).value, { i: 9 });
    for (const r of settled.slice(0, 9)) assert.equal(((r as PromiseRejectedResult).reason as EngineError).code, 'superseded');
    client.dispose();
  });

  test('a finished request no longer blocks its key', async () => {
    const { client, procs } = setup();
    const a = client.attribute(ATTR, { supersedeKey: 'k' });
    procs[0].sent[0].resolve(1);
    assert.equal(await a, 1);
    const b = client.attribute(ATTR, { supersedeKey: 'k' });
    procs[0].sent[1].resolve(2);
    assert.equal(await b, 2);
    client.dispose();
  });

  test('the caller’s cancellation token cancels the request at once and tells the engine', async () => {
    const { client, procs } = setup();
    const cts = new CancellationTokenSource();
    const a = client.attribute(ATTR, { token: cts.token });
    cts.cancel();
    assert.equal((await rejection(a)).code, 'cancelled');
    assert.equal(procs[0].sent[0].token.isCancellationRequested, true);
    // An already-cancelled token never reaches the engine.
    const b = client.attribute(ATTR, { token: cts.token });
    assert.equal((await rejection(b)).code, 'cancelled');
    assert.equal(procs[0].sent.length, 1);
    client.dispose();
  });

  test('engine errors keep their message and category', async () => {
    const { client, procs } = setup();
    const a = client.attribute(ATTR);
    procs[0].sent[0].reject(new ResponseError(ENGINE_ERROR, "Foo node '/x/Foo' (opset 13): no gradient rule for op Foo", { code: 'unsupported-op' }));
    const e = await rejection(a);
    assert.equal(e.code, 'unsupported-op');
    assert.match(e.message, /no gradient rule/);
    client.dispose();
  });

  test('a request that outlives its timeout is rejected and cancelled; a process that then stays silent is replaced', async () => {
    const { client, procs, notices } = setup({ timeoutMs: 20, hangGraceMs: 20 });
    const a = client.request(Attribute, ATTR);
    const e = await rejection(a);
    assert.equal(e.code, 'timeout');
    assert.match(e.message, /layerlens\.requestTimeoutSeconds/);
    assert.equal(procs[0].sent[0].token.isCancellationRequested, true);
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(procs[0].killed, true, 'hung process killed');
    assert.equal(notices.at(-1)?.kind, 'hung');
    const b = client.request(Hello, undefined, { timeoutMs: 0 });
    assert.equal(procs.length, 2);
    procs[1].sent[0].resolve({ pid: 1, node: 'v20', memoryLimitMb: 0, providers: ['cpu'] });
    await b;
    client.dispose();
  });

  test('a process that answers the cancellation after a timeout is kept', async () => {
    const { client, procs } = setup({ timeoutMs: 20, hangGraceMs: 50 });
    const a = client.request(Attribute, ATTR);
    assert.equal((await rejection(a)).code, 'timeout');
    procs[0].sent[0].reject(new ResponseError(-32800, 'cancelled'));
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(procs[0].killed, false);
    assert.equal(client.running, true);
    client.dispose();
  });

  test('an engine that cannot be started fails the request with the reason', async () => {
    const client = new EngineClient({
      launcher: () => {
        throw new Error('/x/dist/engine-process.js is missing (run `npm run build`)');
      },
      memoryLimitMb: () => 0,
      requestTimeoutMs: () => 0,
    });
    const e = await rejection(client.hello());
    assert.equal(e.code, 'engine-stopped');
    assert.match(e.message, /could not be started: .*engine-process\.js is missing/);
    client.dispose();
  });

  test('requests never block: a send that throws synchronously becomes a rejection', async () => {
    const client = new EngineClient({
      launcher: () => ({
        pid: 1,
        sendRequest: () => {
          throw new Error('Connection is disposed.');
        },
        onExit: () => undefined,
        kill: () => undefined,
      }),
      memoryLimitMb: () => 0,
      requestTimeoutMs: () => 0,
    });
    const e = await rejection(client.hello());
    assert.equal(e.code, 'engine-stopped');
    assert.match(e.message, /Connection is disposed/);
    await tick();
    client.dispose();
  });
});
