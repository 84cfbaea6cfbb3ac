interface Entry {
  readonly key: string;
  readonly readyAt: number;
}

/**
 * Keys waiting to be added to a work queue, ordered by the time they become ready. A key waits at most
 * once: adding it again with an earlier time moves it forward, with a later time changes nothing
 * (client-go's delaying queue). Superseded heap entries are skipped lazily when they surface.
 */
export class DelayHeap {
  readonly #heap: Entry[] = [];
  readonly #readyAtByKey = new Map<string, number>();

  get size(): number {
    return this.#readyAtByKey.size;
  }

  push(key: string, readyAt: number): void {
    const current = this.#readyAtByKey.get(key);
    if (current !== undefined && current <= readyAt) return;
    this.#readyAtByKey.set(key, readyAt);
    this.#heap.push({ key, readyAt });
    this.#siftUp(this.#heap.length - 1);
  }

  /** When the earliest live key becomes ready, or undefined when nothing waits. */
  peekReadyAt(): number | undefined {
    this.#dropSuperseded();
    return this.#heap[0]?.readyAt;
  }

  /** Removes and returns every key ready at `now`, earliest first. */
  popReady(now: number): string[] {
    const ready: string[] = [];
    for (;;) {
      this.#dropSuperseded();
      const top = this.#heap[0];
      if (top === undefined || top.readyAt > now) return ready;
      this.#popTop();
      this.#readyAtByKey.delete(top.key);
      ready.push(top.key);
    }
  }

  clear(): void {
    this.#heap.length = 0;
    this.#readyAtByKey.clear();
  }

  #dropSuperseded(): void {
    for (;;) {
      const top = this.#heap[0];
      if (top === undefined || this.#readyAtByKey.get(top.key) === top.readyAt) return;
      this.#popTop();
    }
  }

  #popTop(): void {
    const last = this.#heap.pop();
    if (last !== undefined && this.#heap.length > 0) {
      this.#heap[0] = last;
      this.#siftDown(0);
    }
  }

  #siftUp(index: number): void {
    const heap = this.#heap;
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.readyAt <= heap[i]!.readyAt) return;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
  }

  #siftDown(index: number): void {
    const heap = this.#heap;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && heap[left]!.readyAt < heap[smallest]!.readyAt) smallest = left;
      if (right < heap.length && heap[right]!.readyAt < heap[smallest]!.readyAt) smallest = right;
      if (smallest === i) return;
      [heap[smallest], heap[i]] = [heap[i]!, heap[smallest]!];
      i = smallest;
    }
  }
}
