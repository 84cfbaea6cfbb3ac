import { expect } from 'chai';
import { Registry } from 'prom-client';
import type { ReconcileContext, ReconcileResult } from '../../../src/controller/machinery/controller.ts';
import { Controller } from '../../../src/controller/machinery/controller.ts';
import type { LogMeta, Logger } from '../../../src/controller/machinery/logger.ts';
import { ItemExponentialFailureRateLimiter } from '../../../src/controller/machinery/rate-limiter.ts';
import { FakeClock, flushMicrotasks } from '../../helpers/fake-clock.ts';
import { metricValue } from '../../helpers/metrics.ts';

/** A promise with its resolve and reject exposed, to hold a reconcile open. */
function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

interface LogLine {
  level: string;
  message: string;
  meta: LogMeta;
}

function recordingLogger(lines: LogLine[], bound: LogMeta = {}): Logger {
  const at =
    (level: string) =>
    (message: string, meta: LogMeta = {}) =>
      lines.push({ level, message, meta: { ...bound, ...meta } });
  return {
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    child: (meta) => recordingLogger(lines, { ...bound, ...meta }),
    isLevelEnabled: () => true,
  };
}

describe('Controller', () => {
  let clock: FakeClock;
  let registry: Registry;
  let controllers: Controller[];

  beforeEach(() => {
    clock = new FakeClock();
    registry = new Registry();
    controllers = [];
  });
  afterEach(async () => {
    await Promise.all(controllers.map((c) => c.stop()));
  });

  function newController(
    reconcile: (key: string, ctx: ReconcileContext) => Promise<ReconcileResult | void>,
    extra: { maxConcurrentReconciles?: number; logger?: Logger } = {},
  ): Controller {
    const controller = new Controller({
      name: 'restore',
      reconcile,
      clock,
      registry,
      rateLimiter: new ItemExponentialFailureRateLimiter({ baseDelayMs: 5, maxDelayMs: 1000 }),
      ...extra,
    });
    controllers.push(controller);
    return controller;
  }

  it('never runs more than maxConcurrentReconciles at once, nor one key twice at once', async () => {
    const running = new Set<string>();
    let peak = 0;
    const gates = new Map<string, ReturnType<typeof deferred<void>>>();
    const controller = newController(
      async (key) => {
        expect(running.has(key), `${key} reconciled concurrently`).to.equal(false);
        running.add(key);
        peak = Math.max(peak, running.size);
        const gate = deferred();
        gates.set(key, gate);
        await gate.promise;
        running.delete(key);
      },
      { maxConcurrentReconciles: 3 },
    );
    for (const key of ['a', 'b', 'c', 'd', 'e']) controller.enqueue(key);
    controller.start();
    await flushMicrotasks();
    expect(running.size).to.equal(3);
    expect(
      await metricValue(registry, 'controller_runtime_active_workers', { controller: 'restore' }),
    ).to.equal(3);
    expect(
      await metricValue(registry, 'controller_runtime_max_concurrent_reconciles', { controller: 'restore' }),
    ).to.equal(3);
    controller.enqueue('a');
    gates.get('a')!.resolve();
    await flushMicrotasks();
    expect([...running].sort()).to.deep.equal(['b', 'c', 'd']);
    for (let round = 0; round < 5; round++) {
      for (const key of [...running]) gates.get(key)!.resolve();
      await flushMicrotasks();
    }
    expect(running.size).to.equal(0);
    expect(peak).to.equal(3);
    expect(
      await metricValue(registry, 'controller_runtime_reconcile_total', {
        controller: 'restore',
        result: 'success',
      }),
    ).to.equal(6);
    expect(
      await metricValue(registry, 'controller_runtime_active_workers', { controller: 'restore' }),
    ).to.equal(0);
  });

  it('retries errors with backoff, honours requeue and requeueAfter, forgets on success', async () => {
    const calls: string[] = [];
    const plan: Record<string, (ReconcileResult | Error)[]> = {
      failing: [new Error('boom'), new Error('boom'), {}],
      requeue: [{ requeue: true }, {}],
      later: [{ requeueAfterMs: 60_000 }, {}],
    };
    const controller = newController(async (key) => {
      calls.push(`${key}@${clock.now()}`);
      const next = plan[key]!.shift()!;
      if (next instanceof Error) throw next;
      return next;
    });
    const t0 = clock.now();
    for (const key of Object.keys(plan)) controller.enqueue(key);
    controller.start();
    await clock.advance(59_999);
    expect(calls).to.deep.equal([
      `failing@${t0}`,
      `requeue@${t0}`,
      `later@${t0}`,
      `failing@${t0 + 5}`,
      `requeue@${t0 + 5}`,
      `failing@${t0 + 15}`,
    ]);
    await clock.advance(1);
    expect(calls.at(-1)).to.equal(`later@${t0 + 60_000}`);
    expect(controller.queue.numRequeues('failing'), 'success forgets the backoff').to.equal(0);
    expect(controller.queue.numRequeues('requeue')).to.equal(0);
    const value = (result: string) =>
      metricValue(registry, 'controller_runtime_reconcile_total', { controller: 'restore', result });
    expect(await value('success')).to.equal(3);
    expect(await value('error')).to.equal(2);
    expect(await value('requeue')).to.equal(1);
    expect(await value('requeue_after')).to.equal(1);
    expect(
      await metricValue(registry, 'controller_runtime_reconcile_errors_total', { controller: 'restore' }),
    ).to.equal(2);
    expect(
      await metricValue(registry, 'controller_runtime_reconcile_time_seconds_count', {
        controller: 'restore',
      }),
    ).to.equal(7);
    expect(
      await metricValue(registry, 'workqueue_retries_total', { name: 'restore', controller: 'restore' }),
    ).to.equal(3);
  });

  it('gives each reconcile a reconcileID and a child logger carrying it', async () => {
    const lines: LogLine[] = [];
    const ids: string[] = [];
    const controller = newController(
      async (key, ctx) => {
        ids.push(ctx.reconcileID);
        ctx.logger.info('reconciling');
        if (ids.length === 1) throw new Error('first fails');
      },
      { logger: recordingLogger(lines) },
    );
    controller.enqueue('ns/pod');
    controller.start();
    await clock.advance(10);
    expect(ids).to.have.length(2);
    expect(ids[0]).to.match(/^[0-9a-f-]{36}$/);
    expect(ids[0]).not.to.equal(ids[1]);
    const reconciling = lines.filter((l) => l.message === 'reconciling');
    expect(reconciling.map((l) => l.meta)).to.deep.equal(
      ids.map((reconcileID) => ({ controller: 'restore', key: 'ns/pod', reconcileID })),
    );
    const error = lines.find((l) => l.level === 'error')!;
    expect(error.meta).to.include({ reconcileID: ids[0], error: 'first fails', controller: 'restore' });
  });

  it('never retries a 422 (a write the API server refuses as invalid), logs a 404 at debug; both without the HTTP dump (issue 17, finding 7)', async () => {
    const lines: LogLine[] = [];
    const calls: string[] = [];
    /** What client-node throws for an undeclared status: the Status body as text, with headers in the message. */
    const apiError = (code: number, reason: string, message: string) =>
      Object.assign(new Error(`HTTP-Code: ${code}\nMessage: raw\nBody: ...\nHeaders: {"date":"..."}`), {
        code,
        body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code }),
      });
    const controller = newController(
      async (key) => {
        calls.push(key);
        if (key === 'app/too-long')
          throw apiError(422, 'Invalid', 'Deployment.apps "web" is invalid: metadata.annotations: Too long');
        if (key === 'app/gone') throw apiError(404, 'NotFound', 'deployments.apps "web" not found');
        throw apiError(500, 'InternalError', 'etcd timeout');
      },
      { logger: recordingLogger(lines) },
    );
    for (const key of ['app/too-long', 'app/gone', 'app/flaky']) controller.enqueue(key);
    controller.start();
    await clock.advance(1000);
    expect(calls.filter((k) => k === 'app/too-long')).to.have.length(1);
    expect(calls.filter((k) => k === 'app/gone')).to.have.length(1);
    expect(calls.filter((k) => k === 'app/flaky').length).to.be.greaterThan(1);
    const byKey = (key: string) => lines.filter((l) => l.meta.key === key);
    expect(byKey('app/too-long').map((l) => [l.level, l.meta.error])).to.deep.equal([
      ['warn', '422 Invalid: Deployment.apps "web" is invalid: metadata.annotations: Too long'],
    ]);
    expect(byKey('app/gone').map((l) => [l.level, l.meta.error])).to.deep.equal([
      ['debug', '404 NotFound: deployments.apps "web" not found'],
    ]);
    expect(byKey('app/flaky')[0]).to.deep.include({ level: 'error', message: 'Reconciler error' });
    expect(byKey('app/flaky')[0]!.meta.error).to.equal('500 InternalError: etcd timeout');
  });

  it('stop waits for in-flight reconciles, signals them, and starts no new ones', async () => {
    const started: string[] = [];
    const gate = deferred();
    let sawAbort = false;
    const controller = newController(async (key, ctx) => {
      started.push(key);
      await gate.promise;
      sawAbort = ctx.signal.aborted;
    });
    controller.enqueue('a');
    controller.enqueue('b');
    controller.start();
    await flushMicrotasks();
    let stopped = false;
    const stopping = controller.stop().then(() => (stopped = true));
    controller.enqueue('c');
    await flushMicrotasks();
    expect(stopped).to.equal(false);
    gate.resolve();
    await stopping;
    expect(started).to.deep.equal(['a']);
    expect(sawAbort).to.equal(true);
    expect(() => controller.start()).to.throw('stopped');
  });

  for (const [options, field] of [
    [{ name: 'Bad_Name' }, 'name'],
    [{ name: 'ok', maxConcurrentReconciles: 0 }, 'maxConcurrentReconciles'],
  ] as const) {
    it(`rejects ${JSON.stringify(options)} naming ${field}`, () => {
      expect(() => new Controller({ reconcile: async () => {}, ...options })).to.throw(RangeError, field);
    });
  }
});
