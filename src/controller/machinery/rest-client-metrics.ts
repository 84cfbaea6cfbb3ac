import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';

type Labels = 'code' | 'method' | 'host';
const countersByRegistry = new WeakMap<Registry, Counter<Labels>>();

/** client-go's rest_client_requests_total{code,method,host} on `registry`, created once per registry. */
export function restClientRequestsTotal(registry: Registry): Counter<Labels> {
  let counter = countersByRegistry.get(registry);
  if (!counter) {
    counter = new Counter({
      name: 'rest_client_requests_total',
      help: 'Number of HTTP requests, partitioned by status code, method, and host.',
      labelNames: ['code', 'method', 'host'],
      registers: [registry],
    });
    countersByRegistry.set(registry, counter);
  }
  return counter;
}

/** The `code` label for a request that got no HTTP response, as client-go writes it. */
export const NO_RESPONSE_CODE = '<error>';
