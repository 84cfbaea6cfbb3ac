interface Entry {
  readonly key: string;
  readonly rank: number;
  readonly seq: number;
}

/**
 * The keys of a work queue that are ready to be handed out: lowest rank first, and in the order they were
 * added among equal ranks (so with one rank for every key it is a FIFO, client-go's order). A key's rank is
 * taken when it is added. The work queue keeps each key here at most once.
 */
export class ReadyQueue {
  readonly #heap: Entry[] = [];
  #seq = 0;

  get length(): number {
    return this.#heap.length;
  }

  push(key: string, rank: number): void {
    this.#heap.push({ key, rank: Number.isNaN(rank) ? Infinity : rank, seq: this.#seq++ });
    this.#siftUp(this.#heap.length - 1);
  }

  /** Removes and returns the first key; undefined when empty. */
  shift(): string | undefined {
    const top = this.#heap[0];
    if (top === undefined) return undefined;
    const last = this.#heap.pop()!;
    if (this.#heap.length > 0) {
      this.#heap[0] = last;
      this.#siftDown(0);
    }
    return top.key;
  }

  #before(a: Entry, b: Entry): boolean {
    return a.rank < b.rank || (a.rank === b.rank && a.seq < b.seq);
  }

  #siftUp(i: number): void {
    const heap = this.#heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(heap[i]!, heap[parent]!)) return;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  #siftDown(i: number): void {
    const heap = this.#heap;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let first = i;
      if (left < heap.length && this.#before(heap[left]!, heap[first]!)) first = left;
      if (right < heap.length && this.#before(heap[right]!, heap[first]!)) first = right;
      if (first === i) return;
      [heap[i], heap[first]] = [heap[first]!, heap[i]!];
      i = first;
    }
  }
}
