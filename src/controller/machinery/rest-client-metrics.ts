import { Counter, Histogram, exponentialBuckets } from 'prom-client';
import type { Registry } from 'prom-client';

/** client-go's rest client metrics on one registry. */
export interface RestClientMetrics {
  /** rest_client_requests_total{code,method,host}: every answer, and every request that got none. */
  readonly requests: Counter<'code' | 'method' | 'host'>;
  /** rest_client_request_duration_seconds{verb,host}: from sending a request to its answer. */
  readonly requestDuration: Histogram<'verb' | 'host'>;
  /**
   * rest_client_rate_limiter_duration_seconds{verb,host}: how long the client-side rate limit held a request
   * back. Anything but near-zero means `api.qps`/`api.burst`, not the API server, set the pace.
   */
  readonly rateLimiterDuration: Histogram<'verb' | 'host'>;
}

const metricsByRegistry = new WeakMap<Registry, RestClientMetrics>();

/** 1 ms to about 33 s, doubling: fine enough below the 50 ms a replacement should take. */
const DURATION_BUCKETS = exponentialBuckets(0.001, 2, 16);

/** client-go's rest client metrics on `registry`, created once per registry. */
export function restClientMetrics(registry: Registry): RestClientMetrics {
  let metrics = metricsByRegistry.get(registry);
  if (!metrics) {
    metrics = {
      requests: new Counter({
        name: 'rest_client_requests_total',
        help: 'Number of HTTP requests, partitioned by status code, method, and host.',
        labelNames: ['code', 'method', 'host'],
        registers: [registry],
      }),
      requestDuration: new Histogram({
        name: 'rest_client_request_duration_seconds',
        help: 'Request latency in seconds. Broken down by verb, and host.',
        labelNames: ['verb', 'host'],
        buckets: DURATION_BUCKETS,
        registers: [registry],
      }),
      rateLimiterDuration: new Histogram({
        name: 'rest_client_rate_limiter_duration_seconds',
        help: 'Client side rate limiter latency in seconds. Broken down by verb, and host.',
        labelNames: ['verb', 'host'],
        buckets: DURATION_BUCKETS,
        registers: [registry],
      }),
    };
    metricsByRegistry.set(registry, metrics);
  }
  return metrics;
}

/** The `code` label for a request that got no HTTP response, as client-go writes it. */
export const NO_RESPONSE_CODE = '<error>';
