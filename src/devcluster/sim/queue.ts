/**
 * A work queue with client-go's guarantees: a key is queued at most once, never processed twice at the same time,
 * and a key added while it is processed runs again afterwards. Keys are processed in batches on setImmediate so a
 * flood of events never starves the event loop. A failing key is retried with per-key exponential back-off.
 */
export type Reconcile = (key: string) => void;

export class WorkQueue {
  private readonly queued = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private scheduled: NodeJS.Immediate | undefined;
  private stopped = false;
  readonly name: string;
  private readonly reconcile: Reconcile;
  private readonly batchSize: number;
  private readonly onError: (key: string, error: unknown) => void;

  constructor(
    name: string,
    reconcile: Reconcile,
    options: { batchSize?: number; onError?: (key: string, error: unknown) => void } = {},
  ) {
    this.name = name;
    this.reconcile = reconcile;
    this.batchSize = options.batchSize ?? 500;
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
    let n = 0;
    for (const key of this.queued) {
      if (this.stopped || n++ >= this.batchSize) break;
      this.queued.delete(key);
      try {
        this.reconcile(key);
        this.failures.delete(key);
      } catch (error) {
        this.onError(key, error);
        this.retry(key);
      }
    }
    if (this.queued.size > 0) this.schedule();
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
