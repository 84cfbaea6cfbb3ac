/**
 * Remembers keys seen by this process, so that something repeated reconciles observe many times (a skipped pod, an
 * Event) is counted or written once. Bounded: past `limit` keys it starts over, which at worst repeats one of them.
 */
export class SeenOnce {
  readonly #seen = new Set<string>();
  readonly #limit: number;

  constructor(limit = 50_000) {
    this.#limit = limit;
  }

  /** True the first time `key` is seen. */
  first(key: string): boolean {
    if (this.#seen.has(key)) return false;
    if (this.#seen.size >= this.#limit) this.#seen.clear();
    this.#seen.add(key);
    return true;
  }

  /** Forgets `key`, e.g. after the action it guarded failed and should be tried again. */
  forget(key: string): void {
    this.#seen.delete(key);
  }
}
