import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

/** What a work queue reports about itself; one instance per queue. */
export interface WorkQueueMetrics {
  add(): void;
  depth(delta: number): void;
  queued(waitedSeconds: number): void;
  worked(workedSeconds: number): void;
  retry(): void;
  /** Registers a source of in-flight processing start times, sampled at scrape time. */
  trackInFlight(startTimes: () => Iterable<number>, now: () => number): () => void;
}

export const noopWorkQueueMetrics: WorkQueueMetrics = {
  add() {},
  depth() {},
  queued() {},
  worked() {},
  retry() {},
  trackInFlight: () => () => {},
};

type Labels = 'name' | 'controller';
interface InFlightSource {
  readonly labels: Record<Labels, string>;
  readonly startTimes: () => Iterable<number>;
  readonly now: () => number;
}

interface Families {
  readonly depth: Gauge<Labels>;
  readonly adds: Counter<Labels>;
  readonly queueDuration: Histogram<Labels>;
  readonly workDuration: Histogram<Labels>;
  readonly retries: Counter<Labels>;
  readonly inFlight: Set<InFlightSource>;
}

// controller-runtime: prometheus.ExponentialBuckets(10e-9, 10, 12), i.e. 1e-8 s .. 1e3 s.
const DURATION_BUCKETS = Array.from({ length: 12 }, (_, i) => Number((1e-8 * 10 ** i).toPrecision(1)));

const familiesByRegistry = new WeakMap<Registry, Families>();

function families(registry: Registry): Families {
  const existing = familiesByRegistry.get(registry);
  if (existing) return existing;
  const labelNames: Labels[] = ['name', 'controller'];
  const registers = [registry];
  const inFlight = new Set<InFlightSource>();
  const created: Families = {
    depth: new Gauge({ name: 'workqueue_depth', help: 'Current depth of workqueue', labelNames, registers }),
    adds: new Counter({
      name: 'workqueue_adds_total',
      help: 'Total number of adds handled by workqueue',
      labelNames,
      registers,
    }),
    queueDuration: new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested',
      labelNames,
      buckets: DURATION_BUCKETS,
      registers,
    }),
    workDuration: new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes',
      labelNames,
      buckets: DURATION_BUCKETS,
      registers,
    }),
    retries: new Counter({
      name: 'workqueue_retries_total',
      help: 'Total number of retries handled by workqueue',
      labelNames,
      registers,
    }),
    inFlight,
  };
  // Sampled at scrape time: per queue, the seconds each item in flight has been processed, combined.
  const inFlightGauge = (name: string, help: string, combine: (value: number, elapsed: number) => number) =>
    new Gauge<Labels>({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const source of inFlight) {
          const now = source.now();
          let value = 0;
          for (const start of source.startTimes()) value = combine(value, now - start);
          this.set(source.labels, value / 1000);
        }
      },
    });
  inFlightGauge(
    'workqueue_unfinished_work_seconds',
    "How many seconds of work has been done that is in progress and hasn't been observed by work_duration. " +
      'Large values indicate stuck threads.',
    (sum, elapsed) => sum + elapsed,
  );
  inFlightGauge(
    'workqueue_longest_running_processor_seconds',
    'How many seconds has the longest running processor for workqueue been running.',
    Math.max,
  );
  familiesByRegistry.set(registry, created);
  return created;
}

/** client-go/controller-runtime workqueue_* metrics for one queue, registered (once) on `registry`. */
export function createWorkQueueMetrics(
  registry: Registry,
  name: string,
  controller: string = name,
): WorkQueueMetrics {
  const f = families(registry);
  const labels = { name, controller };
  f.depth.set(labels, 0);
  f.adds.inc(labels, 0);
  f.retries.inc(labels, 0);
  return {
    add: () => f.adds.inc(labels),
    depth: (delta) => f.depth.inc(labels, delta),
    queued: (seconds) => f.queueDuration.observe(labels, seconds),
    worked: (seconds) => f.workDuration.observe(labels, seconds),
    retry: () => f.retries.inc(labels),
    trackInFlight(startTimes, now) {
      const source: InFlightSource = { labels, startTimes, now };
      f.inFlight.add(source);
      return () => f.inFlight.delete(source);
    },
  };
}
