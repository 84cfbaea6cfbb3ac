import type { Clock, Timer } from './clock.ts';
import { systemClock } from './clock.ts';

/** One release: the heap in use before and after the full collection, and how long it took. */
export interface HeapRelease {
  readonly usedBeforeBytes: number;
  readonly usedAfterBytes: number;
  readonly durationMs: number;
}

export interface IdleHeapReleaseOptions {
  /** True when the controller has nothing to do: every work queue empty and no reconcile in flight. */
  isIdle(): boolean;
  /**
   * A count of the work done outside the work queues (admission requests received): a check at which it changed
   * since the previous check is not idle. A full collection would stall that work for its whole pause.
   */
  activity?(): number;
  /** Bytes of memory in use that a full collection may free (V8's used heap and external memory). */
  heapUsed(): number;
  /** A full, compacting collection (Node's `gc` under `--expose-gc`). */
  collect(): void;
  /** Called after each release (metrics, a log line). */
  onRelease?(release: HeapRelease): void;
  /** How often idleness and the heap are checked. Default 1 s. */
  intervalMs?: number;
  /** Growth since the smallest heap seen that is worth a collection. Default 16 MiB. */
  minGrowthBytes?: number;
  clock?: Clock;
}

/**
 * Returns the memory of a burst of work to the operating system once the controller is idle again. V8 sizes its
 * heap to the peak of the burst and, in a process with no more allocation to drive it, runs no major collection
 * afterwards: the garbage of the burst (list and watch bodies, their buffers, reconcile scratch) stays, committed and
 * resident, for as long as the controller waits for the next restore. Go's runtime, which client-go controllers
 * run on, forces a collection at least every two minutes and returns free pages to the OS in the background; this
 * does the same for Node, but only when it pays: when the heap has grown by `minGrowthBytes` since the smallest heap
 * seen (after V8's own collections, or the last release) and the work queues were idle at two checks in a row.
 * A collection costs a pause of tens of milliseconds per hundred MiB of heap, which an idle controller can afford.
 */
export class IdleHeapRelease {
  readonly #options: IdleHeapReleaseOptions;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #minGrowthBytes: number;
  #baseline: number;
  #idleBefore = false;
  #activity: number;
  #timer: Timer | undefined;
  #stopped = true;

  constructor(options: IdleHeapReleaseOptions) {
    const intervalMs = options.intervalMs ?? 1000;
    const minGrowthBytes = options.minGrowthBytes ?? 16 * 2 ** 20;
    if (!(Number.isFinite(intervalMs) && intervalMs > 0))
      throw new RangeError(`intervalMs must be a positive number, got ${String(intervalMs)}`);
    if (!(Number.isFinite(minGrowthBytes) && minGrowthBytes >= 0))
      throw new RangeError(`minGrowthBytes must be a non-negative number, got ${String(minGrowthBytes)}`);
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#intervalMs = intervalMs;
    this.#minGrowthBytes = minGrowthBytes;
    this.#baseline = options.heapUsed();
    this.#activity = options.activity?.() ?? 0;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /** One check; the timer calls it every `intervalMs`. True when it released the heap. */
  check(): boolean {
    const used = this.#options.heapUsed();
    this.#baseline = Math.min(this.#baseline, used);
    const activity = this.#options.activity?.() ?? 0;
    const quiet = activity === this.#activity;
    this.#activity = activity;
    const idle = quiet && this.#options.isIdle();
    const idleSinceLastCheck = idle && this.#idleBefore;
    this.#idleBefore = idle;
    if (!idleSinceLastCheck || used - this.#baseline < this.#minGrowthBytes) return false;
    const started = this.#clock.now();
    this.#options.collect();
    const usedAfterBytes = this.#options.heapUsed();
    this.#baseline = usedAfterBytes;
    this.#options.onRelease?.({
      usedBeforeBytes: used,
      usedAfterBytes,
      durationMs: this.#clock.now() - started,
    });
    return true;
  }

  #schedule(): void {
    this.#timer = this.#clock.setTimer(() => {
      if (this.#stopped) return;
      this.check();
      this.#schedule();
    }, this.#intervalMs);
  }
}
