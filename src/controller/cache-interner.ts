/**
 * One frozen copy of each JSON value the pod caches hold many times (hash-consing): the pods of a restore carry the
 * same hook init containers, labels, owner references, condition lists and annotations, and a pod both Pending and
 * hooked is parsed once by each pod informer. Values are found by content (their JSON text), so two objects that
 * share a piece have equal content there by construction, whatever their uid or resourceVersion. Shared values are
 * frozen: cached objects are read-only, and a reader that wrote into one would now change many pods at once.
 *
 * Bounded: past `limit` distinct values the table starts over, which only stops sharing with what was cached before.
 */
export class CacheInterner {
  readonly #values = new Map<string, unknown>();
  readonly #strings = new Map<string, string>();
  readonly #limit: number;

  constructor(limit = 50_000) {
    if (!(Number.isInteger(limit) && limit > 0))
      throw new RangeError(`limit must be a positive integer, got ${String(limit)}`);
    this.#limit = limit;
  }

  /** Distinct values and strings held. */
  get size(): number {
    return this.#values.size + this.#strings.size;
  }

  /** The one copy of a string (namespaces, timestamps, names of containers and conditions). */
  string<S extends string>(value: S): S {
    const known = this.#strings.get(value);
    if (known !== undefined) return known as S;
    if (this.#strings.size >= this.#limit) this.#strings.clear();
    this.#strings.set(value, value);
    return value;
  }

  /**
   * A frozen copy of a JSON value whose strings are the interned ones, for values one pod has alone (a projected
   * service-account volume's random name) that would only fill the table of `value`.
   */
  strings<T>(value: T): T {
    return Object.freeze(this.#withInternedStrings(value)) as T;
  }

  #withInternedStrings(value: unknown): unknown {
    if (typeof value === 'string') return this.string(value);
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return Object.freeze(value.map((v) => this.#withInternedStrings(v)));
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) copy[k] = this.#withInternedStrings(v);
    return Object.freeze(copy);
  }

  /** The one frozen copy of a JSON value with the content of `value` (undefined stays undefined). */
  value<T>(value: T): T {
    if (value === undefined || value === null || typeof value !== 'object') return value;
    const key = JSON.stringify(value);
    const known = this.#values.get(key);
    if (known !== undefined) return known as T;
    if (this.#values.size >= this.#limit) this.#values.clear();
    deepFreeze(value);
    this.#values.set(key, value);
    return value;
  }
}

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
}
