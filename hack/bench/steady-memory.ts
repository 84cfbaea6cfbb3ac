/**
 * The controller's memory from its /metrics: at steady state, and its peak. Right after the last pod is hooked the
 * controller is still working through the events of the rollout (at 10,000 pods its pod queue held thousands of
 * keys for a minute and more), so a single scrape then measures a moment of the burst, not what the controller
 * holds. Steady state here is: every work queue empty and nothing in flight (workqueue_depth and
 * workqueue_unfinished_work_seconds 0 for every controller) in QUIET_SCRAPES scrapes in a row; then SAMPLES
 * scrapes a second apart, reported as medians. No GC is forced: this is the memory the process keeps.
 */
import { median } from './stats.ts';
import type { ControllerProcess } from './processes.ts';
import { metricValue } from './processes.ts';

const QUIET_SCRAPES = 3;
const SAMPLES = 5;
const INTERVAL_MS = 1000;
/** Waiting longer than this for empty queues reports the memory anyway, with `steady: false`. */
const MAX_WAIT_MS = 600_000;

export interface SteadyMemory {
  /** Medians of SAMPLES scrapes once the controller was idle. */
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** How long after the call the controller's queues were found empty (QUIET_SCRAPES in a row). */
  readonly quietAfterMs: number;
  /** False when the queues never stayed empty within MAX_WAIT_MS: the figures are then not at steady state. */
  readonly steady: boolean;
}

function sumOf(exposition: string, name: string): number {
  let total = 0;
  for (const m of exposition.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm')))
    total += Number(m[1]);
  return total;
}

/** True when no controller has a queued key or one being reconciled. */
export function controllerIdle(exposition: string): boolean {
  return (
    sumOf(exposition, 'workqueue_depth') === 0 && sumOf(exposition, 'workqueue_unfinished_work_seconds') === 0
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function steadyMemory(controller: ControllerProcess): Promise<SteadyMemory> {
  const start = performance.now();
  let quiet = 0;
  while (quiet < QUIET_SCRAPES && performance.now() - start < MAX_WAIT_MS) {
    quiet = controllerIdle(await controller.scrape()) ? quiet + 1 : 0;
    if (quiet < QUIET_SCRAPES) await sleep(INTERVAL_MS);
  }
  const quietAfterMs = performance.now() - start;
  const rss: number[] = [];
  const heap: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    await sleep(INTERVAL_MS);
    const metrics = await controller.scrape();
    rss.push(metricValue(metrics, 'process_resident_memory_bytes'));
    heap.push(metricValue(metrics, 'nodejs_heap_size_used_bytes'));
  }
  return {
    rssBytes: median(rss),
    heapUsedBytes: median(heap),
    quietAfterMs,
    steady: quiet >= QUIET_SCRAPES,
  };
}

/** The highest RSS the controller reports, scraped every second until stopped: what a memory limit must allow. */
export class PeakRss {
  #peak = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(controller: ControllerProcess) {
    this.#timer = setInterval(() => {
      controller.scrape().then(
        (m) => (this.#peak = Math.max(this.#peak, metricValue(m, 'process_resident_memory_bytes'))),
        () => undefined,
      );
    }, INTERVAL_MS);
  }

  /** Stops sampling; the peak seen (0 when no scrape completed). */
  stop(): number {
    clearInterval(this.#timer);
    return this.#peak;
  }
}
