/** A bounded, resourceVersion-ordered buffer of events: the watch cache's replay window. */
export class EventHistory<E extends { readonly rv: number }> {
  readonly #capacity: number;
  #buffer: (E | undefined)[];
  #head = 0;
  #size = 0;
  /** The history holds every event with rv greater than this. */
  #completeAfter = 0;

  constructor(capacity: number) {
    if (!(capacity >= 1)) throw new Error(`history capacity must be at least 1, got ${capacity}`);
    this.#capacity = capacity;
    this.#buffer = new Array<E | undefined>(capacity);
  }

  get completeAfter(): number {
    return this.#completeAfter;
  }

  get size(): number {
    return this.#size;
  }

  push(event: E): void {
    if (this.#size === this.#capacity) {
      const evicted = this.#buffer[this.#head]!;
      this.#buffer[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.#capacity;
      this.#size--;
      this.#completeAfter = evicted.rv;
    }
    this.#buffer[(this.#head + this.#size) % this.#capacity] = event;
    this.#size++;
  }

  /** Forgets everything up to `rv` (compaction): later watches from an older version get 410. */
  compact(rv: number): void {
    while (this.#size > 0 && this.#at(0).rv <= rv) {
      this.#buffer[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.#capacity;
      this.#size--;
    }
    this.#completeAfter = Math.max(this.#completeAfter, rv);
  }

  /** Events with rv > `rv`, oldest first; undefined when the history no longer reaches back that far. */
  since(rv: number): E[] | undefined {
    if (rv < this.#completeAfter) return undefined;
    let lo = 0;
    let hi = this.#size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#at(mid).rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    const out: E[] = [];
    for (let i = lo; i < this.#size; i++) out.push(this.#at(i));
    return out;
  }

  #at(i: number): E {
    return this.#buffer[(this.#head + i) % this.#capacity]!;
  }
}
