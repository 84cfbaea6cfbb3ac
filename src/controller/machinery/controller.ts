import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { Clock } from './clock.ts';
import { systemClock } from './clock.ts';
import type { ControllerMetrics, ReconcileResultLabel } from './controller-metrics.ts';
import { createControllerMetrics, noopControllerMetrics } from './controller-metrics.ts';
import type { Logger } from './logger.ts';
import { silentLogger } from './logger.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { WorkQueue } from './workqueue.ts';
import { apiErrorCode, describeApiError } from './api-errors.ts';
import { createWorkQueueMetrics } from './workqueue-metrics.ts';

/** What a reconcile asks of the loop besides success (controller-runtime's reconcile.Result). */
export interface ReconcileResult {
  /** Run again after the key's rate-limited backoff. */
  requeue?: boolean;
  /** Run again after this many milliseconds (takes precedence over `requeue`); resets the backoff. */
  requeueAfterMs?: number;
}

export interface ReconcileContext {
  /** Unique per call; also set on `logger`. */
  readonly reconcileID: string;
  /** Child logger carrying `controller`, `key` and `reconcileID`. */
  readonly logger: Logger;
  /** Aborted once the controller is asked to stop; a reconcile may use it to skip long waits. */
  readonly signal: AbortSignal;
}

export type ReconcileFunc = (key: string, ctx: ReconcileContext) => Promise<ReconcileResult | void>;

export interface ControllerOptions {
  /** Names the controller in logs and metrics (`controller` label) and its work queue (`name` label). */
  name: string;
  reconcile: ReconcileFunc;
  /** Worker count: at most this many keys reconcile at once. Default 1, as controller-runtime. */
  maxConcurrentReconciles?: number;
  registry?: Registry;
  logger?: Logger;
  rateLimiter?: RateLimiter;
  clock?: Clock;
  /** The order of ready keys (WorkQueueOptions.rank); default FIFO. */
  rank?: (key: string) => number;
}

/**
 * controller-runtime's reconcile loop: `maxConcurrentReconciles` async workers take keys from a
 * WorkQueue and call `reconcile`. Errors and `requeue` back off per key; `requeueAfterMs` schedules
 * a later run; success forgets the key's backoff. Event handlers only call `enqueue`.
 *
 * Workers pull from the WorkQueue directly (rather than via p-queue) because the queue already
 * provides the blocking get, de-duplication and per-key exclusion; a second queue in front would
 * hide the real backlog from workqueue_depth and could start the same key twice.
 */
export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly maxConcurrentReconciles: number;
  readonly #reconcile: ReconcileFunc;
  readonly #logger: Logger;
  readonly #metrics: ControllerMetrics;
  readonly #clock: Clock;
  readonly #stopping = new AbortController();
  #workers: Promise<void>[] | undefined;

  constructor(options: ControllerOptions) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(options.name)) {
      throw new RangeError(`name must be a lowercase DNS label, got ${JSON.stringify(options.name)}`);
    }
    const concurrency = options.maxConcurrentReconciles ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`maxConcurrentReconciles must be an integer >= 1, got ${String(concurrency)}`);
    }
    this.name = options.name;
    this.maxConcurrentReconciles = concurrency;
    this.#reconcile = options.reconcile;
    this.#clock = options.clock ?? systemClock;
    this.#logger = (options.logger ?? silentLogger).child({ controller: options.name });
    this.#metrics = options.registry
      ? createControllerMetrics(options.registry, options.name, concurrency)
      : noopControllerMetrics;
    this.queue = new WorkQueue({
      clock: this.#clock,
      rateLimiter: options.rateLimiter,
      ...(options.rank ? { rank: options.rank } : {}),
      metrics: options.registry ? createWorkQueueMetrics(options.registry, options.name) : undefined,
    });
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  /** Starts the workers. Keys enqueued before start are kept and processed. */
  start(): void {
    if (this.#stopping.signal.aborted) throw new Error(`controller ${this.name} was stopped`);
    if (this.#workers) throw new Error(`controller ${this.name} already started`);
    this.#logger.info('Starting workers', { workerCount: this.maxConcurrentReconciles });
    this.#workers = Array.from({ length: this.maxConcurrentReconciles }, () => this.#work());
  }

  /** Stops taking keys and resolves once every in-flight reconcile has finished. Idempotent. */
  async stop(): Promise<void> {
    if (!this.#stopping.signal.aborted) {
      this.#logger.info('Stopping and waiting for in-flight reconciles');
      this.#stopping.abort();
    }
    await this.queue.shutDownWithDrain();
    await Promise.all(this.#workers ?? []);
  }

  async #work(): Promise<void> {
    while (!this.#stopping.signal.aborted) {
      const key = await this.queue.get();
      if (key === undefined) return;
      if (this.#stopping.signal.aborted) {
        // Taken after stop was requested: leave it for the next leader/process, do not start it.
        this.queue.done(key);
        return;
      }
      this.#metrics.activeWorkers(1);
      try {
        await this.#reconcileOne(key);
      } finally {
        this.#metrics.activeWorkers(-1);
        this.queue.done(key);
      }
    }
  }

  async #reconcileOne(key: string): Promise<void> {
    const reconcileID = randomUUID();
    const logger = this.#logger.child({ key, reconcileID });
    const started = this.#clock.now();
    let label: ReconcileResultLabel;
    try {
      const result =
        (await this.#reconcile(key, { reconcileID, logger, signal: this.#stopping.signal })) ?? {};
      if (result.requeueAfterMs !== undefined && result.requeueAfterMs > 0) {
        this.queue.forget(key);
        this.queue.addAfter(key, result.requeueAfterMs);
        label = 'requeue_after';
      } else if (result.requeue === true) {
        this.queue.addRateLimited(key);
        label = 'requeue';
      } else {
        this.queue.forget(key);
        label = 'success';
      }
    } catch (error: unknown) {
      const code = apiErrorCode(error);
      if (code === 404) {
        // The object went away mid-reconcile; its deletion event brings whatever is left to do.
        this.queue.forget(key);
        label = 'success';
        logger.debug('object gone during reconcile; not retried', { error: describeApiError(error) });
      } else if (code === 422) {
        // The API server refuses the write as invalid: the same write would be refused again, forever.
        this.queue.forget(key);
        label = 'error';
        logger.warn('the API server refused a write as invalid; not retried', {
          error: describeApiError(error),
        });
      } else {
        this.queue.addRateLimited(key);
        label = 'error';
        logger.error('Reconciler error', {
          error: describeApiError(error),
          requeues: this.queue.numRequeues(key),
        });
      }
    }
    this.#metrics.reconciled(label, (this.#clock.now() - started) / 1000);
  }
}
