import type { Clock } from './clock.ts';
import { sleep, systemClock } from './clock.ts';
import { TokenBucket } from './token-bucket.ts';

export interface ClientRateLimitOptions {
  /** Sustained API requests per second. client-go's default is 5. */
  qps: number;
  /** Requests allowed at once after a quiet period. client-go's default is 10. */
  burst: number;
  clock?: Clock;
}

/**
 * Client-side throttling of API requests (client-go's flowcontrol token bucket): `wait` resolves when
 * the caller may send, so that requests leave at `qps` on average with bursts up to `burst`.
 */
export class ClientRateLimiter {
  readonly #bucket: TokenBucket;
  readonly #clock: Clock;

  constructor(options: ClientRateLimitOptions) {
    this.#clock = options.clock ?? systemClock;
    this.#bucket = new TokenBucket({ qps: options.qps, burst: options.burst, clock: this.#clock });
  }

  /** Resolves once a request may be sent; returns how long it was held back, in milliseconds. */
  async wait(): Promise<number> {
    const delay = this.#bucket.reserve();
    if (delay > 0) await sleep(this.#clock, delay);
    return delay;
  }
}
