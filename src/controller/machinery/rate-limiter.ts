import type { Clock } from './clock.ts';
import { TokenBucket } from './token-bucket.ts';

/** How long a work queue key waits before it is retried (client-go's workqueue.RateLimiter). */
export interface RateLimiter {
  /** Records one more failure of `key` and returns the delay, in milliseconds, before it may run again. */
  when(key: string): number;
  /** Clears the failure history of `key` (after it succeeded or was dropped). */
  forget(key: string): void;
  numRequeues(key: string): number;
}

export interface ExponentialBackoffOptions {
  /** Delay after the first failure; doubles on each further failure. client-go: 5 ms. */
  baseDelayMs?: number;
  /** Upper bound on the delay. client-go: 1000 s. */
  maxDelayMs?: number;
}

/** Per-key exponential backoff: base × 2^failures, capped (client-go's ItemExponentialFailureRateLimiter). */
export class ItemExponentialFailureRateLimiter implements RateLimiter {
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #failures = new Map<string, number>();

  constructor(options: ExponentialBackoffOptions = {}) {
    this.#baseDelayMs = options.baseDelayMs ?? 5;
    this.#maxDelayMs = options.maxDelayMs ?? 1_000_000;
    if (!(this.#baseDelayMs > 0))
      throw new RangeError(`baseDelayMs must be positive, got ${this.#baseDelayMs}`);
    if (!(this.#maxDelayMs >= this.#baseDelayMs)) {
      throw new RangeError(`maxDelayMs must be >= baseDelayMs, got ${this.#maxDelayMs}`);
    }
  }

  when(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    const delay = this.#baseDelayMs * 2 ** failures;
    return Number.isFinite(delay) && delay < this.#maxDelayMs ? delay : this.#maxDelayMs;
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.#failures.get(key) ?? 0;
  }
}

/** An overall rate limit shared by all keys (client-go's BucketRateLimiter). */
export class BucketRateLimiter implements RateLimiter {
  readonly #bucket: TokenBucket;

  constructor(bucket: TokenBucket) {
    this.#bucket = bucket;
  }

  when(_key: string): number {
    return this.#bucket.reserve();
  }

  forget(_key: string): void {}

  numRequeues(_key: string): number {
    return 0;
  }
}

/** The longest delay of several limiters (client-go's MaxOfRateLimiter). */
export class MaxOfRateLimiter implements RateLimiter {
  readonly #limiters: readonly RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    if (limiters.length === 0) throw new RangeError('MaxOfRateLimiter needs at least one limiter');
    this.#limiters = limiters;
  }

  when(key: string): number {
    return Math.max(...this.#limiters.map((limiter) => limiter.when(key)));
  }

  forget(key: string): void {
    for (const limiter of this.#limiters) limiter.forget(key);
  }

  numRequeues(key: string): number {
    return Math.max(...this.#limiters.map((limiter) => limiter.numRequeues(key)));
  }
}

export interface ControllerRateLimiterOptions extends ExponentialBackoffOptions {
  /** Overall retry rate across all keys. client-go: 10. */
  qps?: number;
  /** Overall burst. client-go: 100. */
  burst?: number;
  clock?: Clock;
}

/** client-go's DefaultControllerRateLimiter: max(per-key exponential backoff, overall token bucket). */
export function defaultControllerRateLimiter(options: ControllerRateLimiterOptions = {}): RateLimiter {
  return new MaxOfRateLimiter(
    new ItemExponentialFailureRateLimiter(options),
    new BucketRateLimiter(
      new TokenBucket({ qps: options.qps ?? 10, burst: options.burst ?? 100, clock: options.clock }),
    ),
  );
}
