import type { Clock } from './clock.ts';
import { systemClock } from './clock.ts';

export interface TokenBucketOptions {
  /** Sustained rate, tokens per second. */
  qps: number;
  /** Bucket size: how many tokens may be taken at once after a quiet period. */
  burst: number;
  clock?: Clock;
}

/**
 * A token bucket with reservation semantics (as golang.org/x/time/rate's Reserve): every call takes a
 * token now, and the bucket may go into debt; the returned delay says when that token becomes valid.
 * Callers that honour the delay are therefore served in FIFO order at `qps` on average.
 */
export class TokenBucket {
  readonly qps: number;
  readonly burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #last: number;

  constructor(options: TokenBucketOptions) {
    if (!Number.isFinite(options.qps) || options.qps <= 0) {
      throw new RangeError(`qps must be a positive number, got ${String(options.qps)}`);
    }
    if (!Number.isInteger(options.burst) || options.burst < 1) {
      throw new RangeError(`burst must be an integer >= 1, got ${String(options.burst)}`);
    }
    this.qps = options.qps;
    this.burst = options.burst;
    this.#clock = options.clock ?? systemClock;
    this.#tokens = options.burst;
    this.#last = this.#clock.now();
  }

  /** Takes one token and returns how many milliseconds the caller must wait before using it. */
  reserve(): number {
    const now = this.#clock.now();
    const elapsed = Math.max(0, now - this.#last);
    this.#last = now;
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed * this.qps) / 1000);
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens * 1000) / this.qps;
  }
}
