import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

export type ReconcileResultLabel = 'success' | 'error' | 'requeue' | 'requeue_after';

/** What a controller reports about its reconciles; one instance per controller. */
export interface ControllerMetrics {
  reconciled(result: ReconcileResultLabel, seconds: number): void;
  activeWorkers(delta: number): void;
}

export const noopControllerMetrics: ControllerMetrics = { reconciled() {}, activeWorkers() {} };

interface Families {
  readonly total: Counter<'controller' | 'result'>;
  readonly errors: Counter<'controller'>;
  readonly time: Histogram<'controller'>;
  readonly maxConcurrent: Gauge<'controller'>;
  readonly active: Gauge<'controller'>;
}

// controller-runtime's reconcile_time_seconds buckets.
const RECONCILE_TIME_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25,
  1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];

const familiesByRegistry = new WeakMap<Registry, Families>();

function families(registry: Registry): Families {
  const existing = familiesByRegistry.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const created: Families = {
    total: new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller',
      labelNames: ['controller', 'result'],
      registers,
    }),
    errors: new Counter({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'Total number of reconciliation errors per controller',
      labelNames: ['controller'],
      registers,
    }),
    time: new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: ['controller'],
      buckets: RECONCILE_TIME_BUCKETS,
      registers,
    }),
    maxConcurrent: new Gauge({
      name: 'controller_runtime_max_concurrent_reconciles',
      help: 'Maximum number of concurrent reconciles per controller',
      labelNames: ['controller'],
      registers,
    }),
    active: new Gauge({
      name: 'controller_runtime_active_workers',
      help: 'Number of currently used workers per controller',
      labelNames: ['controller'],
      registers,
    }),
  };
  familiesByRegistry.set(registry, created);
  return created;
}

const RESULTS: readonly ReconcileResultLabel[] = ['success', 'error', 'requeue', 'requeue_after'];

/** controller-runtime's controller_runtime_* metrics for one controller, registered (once) on `registry`. */
export function createControllerMetrics(
  registry: Registry,
  controller: string,
  maxConcurrentReconciles: number,
): ControllerMetrics {
  const f = families(registry);
  const labels = { controller };
  // Like controller-runtime, expose every series at zero from the start so rate() works on the first error.
  for (const result of RESULTS) f.total.inc({ controller, result }, 0);
  f.errors.inc(labels, 0);
  f.maxConcurrent.set(labels, maxConcurrentReconciles);
  f.active.set(labels, 0);
  return {
    reconciled(result, seconds) {
      f.total.inc({ controller, result });
      if (result === 'error') f.errors.inc(labels);
      f.time.observe(labels, seconds);
    },
    activeWorkers: (delta) => f.active.inc(labels, delta),
  };
}
