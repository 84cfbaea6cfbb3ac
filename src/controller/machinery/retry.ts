import type { Clock } from './clock.ts';
import { sleep, systemClock } from './clock.ts';
import { isConflict } from './api-errors.ts';

/** client-go's wait.Backoff, restricted to what the retry helpers use. */
export interface Backoff {
  /** Total attempts. */
  steps: number;
  durationMs: number;
  /** Multiplier applied to the duration after each failed attempt. */
  factor: number;
  /** Each wait is durationMs × (1 + random × jitter). */
  jitter: number;
}

/** client-go retry.DefaultRetry: for conflicts, which are resolved quickly by re-reading. */
export const DEFAULT_RETRY: Readonly<Backoff> = { steps: 5, durationMs: 10, factor: 1.0, jitter: 0.1 };
/** client-go retry.DefaultBackoff: for errors that need the other side to recover. */
export const DEFAULT_BACKOFF: Readonly<Backoff> = { steps: 4, durationMs: 10, factor: 5.0, jitter: 0.1 };

export interface RetryOptions {
  clock?: Clock;
  random?: () => number;
}

/**
 * Calls `fn` until it succeeds, throws a non-retriable error, or `backoff.steps` attempts are used up;
 * then the last error is thrown (client-go's retry.OnError). `fn` must re-read what it writes.
 */
export async function retryOnError<T>(
  backoff: Backoff,
  retriable: (error: unknown) => boolean,
  fn: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  if (!Number.isInteger(backoff.steps) || backoff.steps < 1) {
    throw new RangeError(`backoff.steps must be an integer >= 1, got ${String(backoff.steps)}`);
  }
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  let duration = backoff.durationMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error: unknown) {
      if (attempt >= backoff.steps || !retriable(error)) throw error;
    }
    await sleep(clock, duration * (1 + random() * backoff.jitter));
    duration *= backoff.factor;
  }
}

/** Retries `fn` on 409 Conflict with client-go's DefaultRetry (retry.RetryOnConflict). */
export function retryOnConflict<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  return retryOnError(DEFAULT_RETRY, isConflict, fn, options);
}
