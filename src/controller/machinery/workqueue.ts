import type { Clock, Timer } from './clock.ts';
import { systemClock } from './clock.ts';
import { DelayHeap } from './delay-heap.ts';
import { ReadyQueue } from './ready-queue.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { defaultControllerRateLimiter } from './rate-limiter.ts';
import type { WorkQueueMetrics } from './workqueue-metrics.ts';
import { noopWorkQueueMetrics } from './workqueue-metrics.ts';

export interface WorkQueueOptions {
  clock?: Clock;
  /** Decides the delay of addRateLimited; defaults to client-go's DefaultControllerRateLimiter. */
  rateLimiter?: RateLimiter;
  metrics?: WorkQueueMetrics;
  /**
   * The order ready keys are handed out in: lowest rank first, FIFO among equal ranks (the default: every key
   * ranks 0, client-go's FIFO). Called when a key becomes ready.
   */
  rank?: (key: string) => number;
}

/**
 * A rate-limited, delaying work queue of string keys with client-go's guarantees:
 * - a key is queued at most once (the dirty set);
 * - ready keys are handed out FIFO, or by the `rank` option;
 * - a key handed out by `get` is not handed out again until `done` (the processing set);
 * - a key added while it is processed is queued again when `done` is called;
 * - `addAfter` keeps one pending entry per key in a timer heap served by a single timer;
 * - after `shutDown`, adds are ignored, `get` drains what is queued and then returns undefined.
 */
export class WorkQueue {
  readonly #clock: Clock;
  readonly #rateLimiter: RateLimiter;
  readonly #metrics: WorkQueueMetrics;
  readonly #ready = new ReadyQueue();
  readonly #rank: (key: string) => number;
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  /** When each dirty key was added (for queue_duration) and each processing key was handed out. */
  readonly #addedAt = new Map<string, number>();
  readonly #startedAt = new Map<string, number>();
  readonly #waiters: ((key: string | undefined) => void)[] = [];
  readonly #delayed = new DelayHeap();
  #timer: Timer | undefined;
  #timerAt = Infinity;
  #shuttingDown = false;
  #drained: (() => void) | undefined;
  readonly #untrackInFlight: () => void;

  constructor(options: WorkQueueOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter({ clock: this.#clock });
    this.#metrics = options.metrics ?? noopWorkQueueMetrics;
    this.#rank = options.rank ?? (() => 0);
    this.#untrackInFlight = this.#metrics.trackInFlight(
      () => this.#startedAt.values(),
      () => this.#clock.now(),
    );
  }

  /** Number of keys waiting to be handed out (not counting delayed or processing ones). */
  len(): number {
    return this.#ready.length;
  }

  /** True when no key is waiting to be handed out and none is being processed (delayed keys do not count). */
  isIdle(): boolean {
    return this.#ready.length === 0 && this.#processing.size === 0;
  }

  isShuttingDown(): boolean {
    return this.#shuttingDown;
  }

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#metrics.add();
    this.#dirty.add(key);
    this.#addedAt.set(key, this.#clock.now());
    if (this.#processing.has(key)) return;
    this.#enqueue(key);
  }

  /** Adds `key` once `delayMs` has passed; an earlier pending delay for the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (!(delayMs > 0)) {
      this.add(key);
      return;
    }
    this.#delayed.push(key, this.#clock.now() + delayMs);
    this.#armTimer();
  }

  /** Adds `key` after the rate limiter's delay for it; counts a retry. */
  addRateLimited(key: string): void {
    if (this.#shuttingDown) return;
    this.#metrics.retry();
    this.addAfter(key, this.#rateLimiter.when(key));
  }

  /** Resets the backoff of `key` (call after it was processed successfully). */
  forget(key: string): void {
    this.#rateLimiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.#rateLimiter.numRequeues(key);
  }

  /**
   * Waits for the next key and marks it as processing; the caller must call `done(key)` afterwards.
   * Resolves undefined once the queue is shut down and empty.
   */
  get(): Promise<string | undefined> {
    if (this.len() > 0) return Promise.resolve(this.#take());
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Marks `key` as no longer processing; re-queues it if it was added meanwhile. */
  done(key: string): void {
    if (!this.#processing.delete(key)) return;
    const startedAt = this.#startedAt.get(key);
    this.#startedAt.delete(key);
    if (startedAt !== undefined) this.#metrics.worked((this.#clock.now() - startedAt) / 1000);
    if (this.#dirty.has(key)) this.#enqueue(key);
    // Draining waits for the processing set only: a key re-queued above is not in progress.
    if (this.#processing.size === 0) this.#drained?.();
  }

  /** Stops accepting keys and wakes idle getters; queued keys can still be drained with `get`. */
  shutDown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#delayed.clear();
    this.#untrackInFlight();
    for (const waiter of this.#waiters.splice(0)) waiter(undefined);
  }

  /** Shuts down, then resolves once every key handed out has been marked done. */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.#drained;
      this.#drained = () => {
        previous?.();
        resolve();
      };
    });
  }

  #enqueue(key: string): void {
    const waiter = this.#waiters.shift();
    this.#ready.push(key, this.#rank(key));
    this.#metrics.depth(1);
    if (waiter) waiter(this.#take());
  }

  #take(): string {
    const key = this.#ready.shift()!;
    this.#metrics.depth(-1);
    const now = this.#clock.now();
    const addedAt = this.#addedAt.get(key);
    if (addedAt !== undefined) this.#metrics.queued((now - addedAt) / 1000);
    this.#addedAt.delete(key);
    this.#dirty.delete(key);
    this.#processing.add(key);
    this.#startedAt.set(key, now);
    return key;
  }

  #armTimer(): void {
    const next = this.#delayed.peekReadyAt();
    if (next === undefined || next >= this.#timerAt) return;
    this.#timer?.cancel();
    this.#timerAt = next;
    this.#timer = this.#clock.setTimer(() => this.#onTimer(), next - this.#clock.now());
  }

  #onTimer(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    for (const key of this.#delayed.popReady(this.#clock.now())) this.add(key);
    this.#armTimer();
  }
}
