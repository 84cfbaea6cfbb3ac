import type { HttpLibrary, RequestContext, ResponseContext } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import { retryAfterMs } from './api-errors.ts';
import { wrapHttpLibrary } from './client-node.ts';
import type { Clock } from './clock.ts';
import { sleep, systemClock } from './clock.ts';
import { sharedConnectionPool } from './connection-pool.ts';
import { ClientRateLimiter } from './rate-limit.ts';
import { NO_RESPONSE_CODE, restClientMetrics } from './rest-client-metrics.ts';

export interface TransportOptions {
  /** Sustained API requests per second (client-go default 5). */
  qps: number;
  /** Burst of API requests (client-go default 10). */
  burst: number;
  /** Which requests the limiter holds back: all of them (client-go) or only writes. Default 'all'. */
  throttle?: 'all' | 'writes';
  /** Where the rest_client_* metrics are registered; omitted = not instrumented. */
  registry?: Registry;
  /** Resends of a request answered 429 with a Retry-After header (client-go: 10). */
  maxRetryAfterRetries?: number;
  clock?: Clock;
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Longest Retry-After we honour in-line; longer ones surface as errors for the work queue to back off. */
const MAX_INLINE_RETRY_AFTER_MS = 60_000;

/**
 * Wraps a transport with what client-go's rest client does around every request: client-side rate
 * limiting, the rest_client_* metrics, and resending on 429 with Retry-After. Doing it at the transport
 * (rather than in a middleware) also sees requests that get no response at all. Every request goes through one
 * connection pool (`sharedConnectionPool`).
 */
export function instrumentedHttpLibrary(inner: HttpLibrary, options: TransportOptions): HttpLibrary {
  const pooled = sharedConnectionPool(inner);
  const clock = options.clock ?? systemClock;
  const limiter = new ClientRateLimiter({ qps: options.qps, burst: options.burst, clock });
  const throttleAll = (options.throttle ?? 'all') === 'all';
  const metrics = options.registry ? restClientMetrics(options.registry) : undefined;
  const maxRetries = options.maxRetryAfterRetries ?? 10;

  return wrapHttpLibrary({
    async send(request: RequestContext): Promise<ResponseContext> {
      const method = request.getHttpMethod().toString();
      const host = new URL(request.getUrl()).host;
      for (let attempt = 0; ; attempt++) {
        if (throttleAll || WRITE_METHODS.has(method)) {
          const heldMs = await limiter.wait();
          metrics?.rateLimiterDuration.observe({ verb: method, host }, heldMs / 1000);
        }
        const sentAt = clock.now();
        let response: ResponseContext;
        try {
          response = await pooled.send(request).toPromise();
        } catch (error: unknown) {
          metrics?.requests.inc({ code: NO_RESPONSE_CODE, method, host });
          throw error;
        } finally {
          metrics?.requestDuration.observe({ verb: method, host }, (clock.now() - sentAt) / 1000);
        }
        metrics?.requests.inc({ code: String(response.httpStatusCode), method, host });
        const delay =
          response.httpStatusCode === 429 ? retryAfterMs({ headers: response.headers }) : undefined;
        if (delay === undefined || attempt >= maxRetries || delay > MAX_INLINE_RETRY_AFTER_MS)
          return response;
        await sleep(clock, delay);
      }
    },
  });
}
