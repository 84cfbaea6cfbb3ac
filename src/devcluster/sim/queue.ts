/**
 * A work queue with client-go's guarantees: a key is queued at most once, never processed twice at the same time,
 * and a key added while it is processed runs again afterwards (also while an asynchronous reconcile is pending). Keys are processed in batches on setImmediate so a
 * flood of events never starves the event loop: a batch ends after `batchSize` keys or `sliceMs` of synchronous work,
 * whichever comes first, so that the API server's requests and webhook answers waiting on the loop are served
 * between batches (a batch of 500 kubelet syncs held the loop for hundreds of milliseconds, and every admission
 * webhook answer waited behind it). A failing key is retried with per-key exponential back-off.
 */
export type Reconcile = (key: string) => void | Promise<void>;

export class WorkQueue {
  private readonly queued = new Set<string>();
  /** Keys whose (asynchronous) reconcile has not finished: they stay queued until it has. */
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private scheduled: NodeJS.Immediate | undefined;
  private stopped = false;
  readonly name: string;
  private readonly reconcile: Reconcile;
  private readonly batchSize: number;
  private readonly sliceMs: number;
  private readonly onError: (key: string, error: unknown) => void;

  constructor(
    name: string,
    reconcile: Reconcile,
    options: { batchSize?: number; sliceMs?: number; onError?: (key: string, error: unknown) => void } = {},
  ) {
    this.name = name;
    this.reconcile = reconcile;
    this.batchSize = options.batchSize ?? 500;
    this.sliceMs = options.sliceMs ?? 5;
    this.onError = options.onError ?? (() => undefined);
  }

  add(key: string): void {
    if (this.stopped || this.queued.has(key)) return;
    this.queued.add(key);
    this.schedule();
  }

  get length(): number {
    return this.queued.size;
  }

  stop(): void {
    this.stopped = true;
    this.queued.clear();
    if (this.scheduled) clearImmediate(this.scheduled);
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
  }

  private schedule(): void {
    if (!this.scheduled && !this.stopped) this.scheduled = setImmediate(() => this.drain());
  }

  private drain(): void {
    this.scheduled = undefined;
    const deadline = performance.now() + this.sliceMs;
    let n = 0;
    for (const key of this.queued) {
      if (this.stopped || n >= this.batchSize || this.processing.size >= this.batchSize) break;
      if (n > 0 && performance.now() >= deadline) break;
      if (this.processing.has(key)) continue;
      n++;
      this.queued.delete(key);
      let pending: void | Promise<void>;
      try {
        pending = this.reconcile(key);
      } catch (error) {
        this.failed(key, error);
        continue;
      }
      if (pending instanceof Promise) {
        this.processing.add(key);
        pending.then(
          () => {
            this.failures.delete(key);
            this.done(key);
          },
          (error: unknown) => {
            this.failed(key, error);
            this.done(key);
          },
        );
      } else this.failures.delete(key);
    }
    if (this.runnable()) this.schedule();
  }

  private done(key: string): void {
    this.processing.delete(key);
    if (this.runnable()) this.schedule();
  }

  private failed(key: string, error: unknown): void {
    this.onError(key, error);
    this.retry(key);
  }

  /** Some queued key is not being processed (with room to start it). */
  private runnable(): boolean {
    if (this.queued.size === 0 || this.processing.size >= this.batchSize) return false;
    for (const key of this.queued) if (!this.processing.has(key)) return true;
    return false;
  }

  private retry(key: string): void {
    const failures = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, failures);
    const timer = setTimeout(
      () => {
        this.retryTimers.delete(timer);
        this.add(key);
      },
      Math.min(5 * 2 ** (failures - 1), 2_000),
    );
    this.retryTimers.add(timer);
  }
}
