import { apiErrorCode, describeApiError, isGone } from './api-errors.ts';
import type { Clock, Timer } from './clock.ts';
import { sleep, systemClock } from './clock.ts';
import type { IndexFunc } from './indexer.ts';
import { Indexer } from './indexer.ts';
import type { ObjectWithMeta } from './kube-object.ts';
import { objectKey } from './kube-object.ts';
import type { ListWatch, Selectors, WatchEvent, WatchHandle } from './list-watch.ts';
import type { Logger } from './logger.ts';
import { silentLogger } from './logger.ts';

/** How an informer recovered from trouble; feeds restore_hooks_informer_{restarts,relists}_total. */
export type RecoveryEvent =
  | { type: 'restarted'; informer: string; error: string; attempt: number; delayMs: number }
  | { type: 'relisted'; informer: string; reason: 'expired' | 'stalled' | 'error' }
  | { type: 'stalled'; informer: string; silentForMs: number };

/** Callbacks for cache changes. Keep them to "enqueue a key": they must not block or throw. */
export interface InformerEventHandler<T extends ObjectWithMeta> {
  onAdd?(object: T): void;
  onUpdate?(oldObject: T, newObject: T): void;
  onDelete?(object: T): void;
}

/** The read side of an informer's cache. */
export type ReadonlyIndexer<T extends ObjectWithMeta> = Pick<
  Indexer<T>,
  'get' | 'keys' | 'list' | 'byIndex' | 'size'
>;

export interface InformerOptions<T extends ObjectWithMeta> extends Selectors {
  /** Names the informer in logs and recovery events, e.g. `pods`. */
  name: string;
  listWatch: ListWatch<T>;
  /** Extra indexes besides `namespace`, e.g. `{ owner: ownerUidIndex() }`. */
  indexers?: Record<string, IndexFunc<T>>;
  /** Items per list page (limit/continue). Default 500, as client-go. */
  pageSize?: number;
  /** Re-deliver every cached object as an update this often; 0 (default) disables resync. */
  resyncPeriodMs?: number;
  /**
   * Restart with a full re-list when no event or bookmark has arrived for this long, across watch
   * reconnects (silent stalls, half-open connections). Default 5 minutes. Bookmarks are always requested.
   */
  stallTimeoutMs?: number;
  /** Server-side watch timeout; default a random 5–10 minutes per watch, as client-go. */
  watchTimeoutSeconds?: number;
  /** Restart backoff after errors: initial delay doubling up to max. Defaults 800 ms and 30 s (client-go). */
  backoff?: { initialMs: number; maxMs: number };
  onRecovery?: (event: RecoveryEvent) => void;
  /**
   * Applied to every listed or watched object before it is cached and handed to handlers (controller-runtime's
   * cache transform), e.g. stripManagedFields: what the cache holds is what memory grows with.
   */
  transform?: (object: T) => T;
  logger?: Logger;
  clock?: Clock;
  random?: () => number;
}

type WatchOutcome = 'closed' | 'expired' | 'stalled' | 'stopped';

/** A watch that ends this quickly without an event counts as a failure and backs off. */
const MIN_HEALTHY_WATCH_MS = 1000;

/**
 * A shared informer: lists then watches one collection with the same selectors, keeps an indexed cache
 * of plain-JSON objects, and calls handlers on changes. Unlike client-node's informer it reports
 * `hasSynced` only after a successful first list, restarts with exponential backoff after any error,
 * re-lists after 410 Expired, requests bookmarks, and restarts a watch that stays silent too long.
 */
export class Informer<T extends ObjectWithMeta> {
  readonly name: string;
  readonly #options: InformerOptions<T>;
  readonly #indexer: Indexer<T>;
  readonly #handlers: InformerEventHandler<T>[] = [];
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #random: () => number;
  readonly #stopping = new AbortController();
  #resourceVersion = '';
  #synced = false;
  readonly #syncWaiters: ((synced: boolean) => void)[] = [];
  #lastEventAt = 0;
  #running: Promise<void> | undefined;
  #resyncTimer: Timer | undefined;

  constructor(options: InformerOptions<T>) {
    for (const field of ['pageSize', 'resyncPeriodMs', 'stallTimeoutMs', 'watchTimeoutSeconds'] as const) {
      const value = options[field];
      if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
        throw new RangeError(`${field} must be a non-negative number, got ${String(value)}`);
      }
    }
    if (
      options.backoff &&
      !(options.backoff.initialMs > 0 && options.backoff.maxMs >= options.backoff.initialMs)
    ) {
      throw new RangeError('backoff needs 0 < initialMs <= maxMs');
    }
    this.name = options.name;
    this.#options = options;
    this.#indexer = new Indexer(options.indexers);
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#logger = (options.logger ?? silentLogger).child({ informer: options.name });
  }

  get store(): ReadonlyIndexer<T> {
    return this.#indexer;
  }

  /** The resourceVersion the cache is at (last list, event or bookmark). */
  get resourceVersion(): string {
    return this.#resourceVersion;
  }

  hasSynced(): boolean {
    return this.#synced;
  }

  /** Resolves true once the first list has succeeded, false if the informer stops or `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.#synced) return Promise.resolve(true);
    if (this.#stopping.signal.aborted || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#syncWaiters.push((synced) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(synced);
      });
    });
  }

  /** Registers a handler; objects already cached are delivered to it as adds. */
  addEventHandler(handler: InformerEventHandler<T>): void {
    this.#handlers.push(handler);
    for (const object of this.#indexer.list()) this.#call(handler, 'onAdd', object);
  }

  start(): void {
    if (this.#running) throw new Error(`informer ${this.name} already started`);
    if (this.#stopping.signal.aborted) throw new Error(`informer ${this.name} was stopped`);
    this.#running = this.#run();
  }

  /** Stops watching and resolves once the informer's loop has ended. The cache stays readable. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    this.#resyncTimer?.cancel();
    for (const waiter of this.#syncWaiters.splice(0)) waiter(false);
    await this.#running;
  }

  async #run(): Promise<void> {
    let needList = true;
    let relistReason: 'expired' | 'stalled' | 'error' | undefined;
    let failures = 0;
    /** When the current watch started and the last event time it started from; unset while listing. */
    let watch: { startedAt: number; eventsBefore: number } | undefined;
    const signal = this.#stopping.signal;
    while (!signal.aborted) {
      watch = undefined;
      try {
        if (needList) {
          await this.#relist();
          if (signal.aborted) return;
          if (relistReason) this.#recover({ type: 'relisted', informer: this.name, reason: relistReason });
          needList = false;
          relistReason = undefined;
          this.#markSynced();
        }
        watch = { startedAt: this.#clock.now(), eventsBefore: this.#lastEventAt };
        const outcome = await this.#watchOnce();
        const healthy = this.#wasHealthy(watch);
        if (healthy) failures = 0;
        if (outcome === 'expired' || outcome === 'stalled') {
          needList = true;
          relistReason = outcome;
        } else if (outcome === 'closed' && !healthy) {
          watch = undefined;
          throw new Error('watch closed immediately');
        }
      } catch (error: unknown) {
        if (signal.aborted) return;
        // A watch that ran well before it broke (cut by a proxy, a reset connection) starts no failure streak:
        // otherwise a watch cut every few seconds would climb to the longest backoff.
        if (watch && this.#wasHealthy(watch)) failures = 0;
        if (isGone(error)) {
          this.#logger.info('Resource version expired, re-listing', {
            resourceVersion: this.#resourceVersion,
          });
          needList = true;
          relistReason = 'expired';
          continue;
        }
        if (needList && this.#synced) relistReason ??= 'error';
        failures += 1;
        const delayMs = this.#backoffDelay(failures);
        const message = describeApiError(error);
        this.#logger.warn('Informer failed, restarting after backoff', {
          error: message,
          code: apiErrorCode(error),
          attempt: failures,
          delayMs,
        });
        this.#recover({ type: 'restarted', informer: this.name, error: message, attempt: failures, delayMs });
        await sleep(this.#clock, delayMs, signal);
      }
    }
  }

  /** A watch that delivered events or stayed open a while: the API server was reachable and serving it. */
  #wasHealthy(watch: { startedAt: number; eventsBefore: number }): boolean {
    return (
      this.#lastEventAt !== watch.eventsBefore || this.#clock.now() - watch.startedAt >= MIN_HEALTHY_WATCH_MS
    );
  }

  #backoffDelay(failures: number): number {
    const { initialMs, maxMs } = this.#options.backoff ?? { initialMs: 800, maxMs: 30_000 };
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(failures - 1, 30));
    return Math.min(maxMs, base * (1 + 0.1 * this.#random()));
  }

  async #relist(): Promise<void> {
    const { labelSelector, fieldSelector } = this.#options;
    const listed = new Map<string, T>();
    let resourceVersion: string;
    let continueToken: string | undefined;
    do {
      const page = await this.#options.listWatch.list({
        labelSelector,
        fieldSelector,
        limit: this.#options.pageSize ?? 500,
        continue: continueToken,
      });
      if (this.#stopping.signal.aborted) return;
      for (const item of page.items) listed.set(objectKey(item), this.#transform(item));
      resourceVersion = page.resourceVersion;
      continueToken = page.continue;
    } while (continueToken);

    for (const key of this.#indexer.keys()) {
      if (!listed.has(key)) this.#emit('onDelete', this.#indexer.delete(key)!);
    }
    for (const object of listed.values()) {
      const previous = this.#indexer.upsert(object);
      if (previous) this.#emit('onUpdate', previous, object);
      else this.#emit('onAdd', object);
    }
    this.#resourceVersion = resourceVersion;
    this.#lastEventAt = this.#clock.now();
    this.#logger.debug('Listed', { count: listed.size, resourceVersion });
  }

  #watchOnce(): Promise<WatchOutcome> {
    const signal = this.#stopping.signal;
    return new Promise<WatchOutcome>((resolve, reject) => {
      let handle: WatchHandle | undefined;
      let finished = false;
      let watchdog: Timer | undefined;
      const finish = (outcome: WatchOutcome | Error): void => {
        if (finished) return;
        finished = true;
        watchdog?.cancel();
        signal.removeEventListener('abort', onAbort);
        handle?.stop();
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const onAbort = (): void => finish('stopped');
      const stallTimeoutMs = this.#options.stallTimeoutMs ?? 300_000;
      const armWatchdog = (): void => {
        watchdog?.cancel();
        if (stallTimeoutMs <= 0) return;
        const remaining = this.#lastEventAt + stallTimeoutMs - this.#clock.now();
        watchdog = this.#clock.setTimer(() => {
          const silentForMs = this.#clock.now() - this.#lastEventAt;
          this.#logger.warn('Watch silent for too long, restarting', { silentForMs });
          this.#recover({ type: 'stalled', informer: this.name, silentForMs });
          finish('stalled');
        }, remaining);
      };
      const onEvent = (event: WatchEvent<T>): void => {
        if (finished) return;
        if (event.type === 'ERROR') {
          const status = event.object as { code?: unknown; message?: unknown };
          if (status.code === 410) {
            finish('expired');
          } else {
            const error = Object.assign(new Error(`watch error: ${String(status.message ?? 'unknown')}`), {
              statusCode: typeof status.code === 'number' ? status.code : undefined,
            });
            finish(error);
          }
          return;
        }
        this.#lastEventAt = this.#clock.now();
        armWatchdog();
        this.#apply(event);
      };
      const onDone = (error?: unknown): void => {
        // client-node aborts a watch after 30 s without data; that is a reconnect, not a failure.
        if (error === undefined || (error instanceof Error && error.name === 'TimeoutError'))
          finish('closed');
        else finish(error instanceof Error ? error : new Error(String(error)));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      armWatchdog();
      const timeoutSeconds = this.#options.watchTimeoutSeconds ?? Math.floor(300 * (1 + this.#random()));
      this.#options.listWatch
        .watch(
          {
            resourceVersion: this.#resourceVersion,
            allowWatchBookmarks: true,
            labelSelector: this.#options.labelSelector,
            fieldSelector: this.#options.fieldSelector,
            timeoutSeconds,
          },
          onEvent,
          onDone,
        )
        .then(
          (started) => {
            handle = started;
            if (finished) started.stop();
          },
          (error: unknown) => finish(error instanceof Error ? error : new Error(String(error))),
        );
    });
  }

  #transform(object: T): T {
    return this.#options.transform ? this.#options.transform(object) : object;
  }

  #apply(event: WatchEvent<T>): void {
    const object =
      event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED'
        ? this.#transform(event.object)
        : event.object;
    const resourceVersion = object.metadata?.resourceVersion;
    if (resourceVersion) this.#resourceVersion = resourceVersion;
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED': {
        const previous = this.#indexer.upsert(object);
        if (previous) this.#emit('onUpdate', previous, object);
        else this.#emit('onAdd', object);
        break;
      }
      case 'DELETED': {
        // The watch's object is the final state, newer than the cached one.
        this.#indexer.delete(objectKey(object));
        this.#emit('onDelete', object);
        break;
      }
      case 'BOOKMARK':
      case 'ERROR':
        break;
    }
  }

  #markSynced(): void {
    if (this.#synced) return;
    this.#synced = true;
    this.#logger.info('Synced', { count: this.#indexer.size, resourceVersion: this.#resourceVersion });
    for (const waiter of this.#syncWaiters.splice(0)) waiter(true);
    this.#scheduleResync();
  }

  #scheduleResync(): void {
    const period = this.#options.resyncPeriodMs ?? 0;
    if (period <= 0 || this.#stopping.signal.aborted) return;
    this.#resyncTimer = this.#clock.setTimer(() => {
      for (const object of this.#indexer.list()) this.#emit('onUpdate', object, object);
      this.#scheduleResync();
    }, period);
  }

  #emit(kind: 'onAdd' | 'onDelete', object: T): void;
  #emit(kind: 'onUpdate', oldObject: T, newObject: T): void;
  #emit(kind: keyof InformerEventHandler<T>, first: T, second?: T): void {
    for (const handler of this.#handlers) this.#call(handler, kind, first, second);
  }

  #call(handler: InformerEventHandler<T>, kind: keyof InformerEventHandler<T>, first: T, second?: T): void {
    try {
      if (kind === 'onUpdate') handler.onUpdate?.(first, second ?? first);
      else handler[kind]?.(first);
    } catch (error: unknown) {
      this.#logger.error('Event handler threw', {
        handler: kind,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  #recover(event: RecoveryEvent): void {
    try {
      this.#options.onRecovery?.(event);
    } catch (error: unknown) {
      this.#logger.error('Recovery callback threw', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
