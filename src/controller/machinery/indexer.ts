import type { ObjectWithMeta } from './kube-object.ts';
import { objectKey } from './kube-object.ts';

/** The values under which an object is indexed; an object may appear under several or none. */
export type IndexFunc<T extends ObjectWithMeta> = (object: T) => readonly string[];

export const NAMESPACE_INDEX = 'namespace';

/** Indexes objects by the uid of each owner (or only the controller owner). */
export function ownerUidIndex<T extends ObjectWithMeta>(
  options: { controllerOnly?: boolean } = {},
): IndexFunc<T> {
  return (object) =>
    (object.metadata?.ownerReferences ?? [])
      .filter((ref) => !options.controllerOnly || ref.controller === true)
      .map((ref) => ref.uid);
}

/** Indexes objects by the value of one label (objects without it are not indexed). */
export function labelIndex<T extends ObjectWithMeta>(label: string): IndexFunc<T> {
  return (object) => {
    const value = object.metadata?.labels?.[label];
    return value === undefined ? [] : [value];
  };
}

/**
 * A thread-unsafe (single event loop) cache of objects by key with secondary indexes, like client-go's
 * cache.Indexer. Objects are shared with callers: treat them as read-only and clone before editing.
 */
export class Indexer<T extends ObjectWithMeta> {
  readonly #objects = new Map<string, T>();
  readonly #indexFuncs: ReadonlyMap<string, IndexFunc<T>>;
  /** index name -> indexed value -> keys */
  readonly #indices = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunc<T>> = {}) {
    if (NAMESPACE_INDEX in indexers) throw new RangeError(`index name ${NAMESPACE_INDEX} is reserved`);
    const namespaceIndex: IndexFunc<T> = (object) => [object.metadata?.namespace ?? ''];
    this.#indexFuncs = new Map(Object.entries({ [NAMESPACE_INDEX]: namespaceIndex, ...indexers }));
    for (const name of this.#indexFuncs.keys()) this.#indices.set(name, new Map());
  }

  get size(): number {
    return this.#objects.size;
  }

  get(key: string): T | undefined {
    return this.#objects.get(key);
  }

  keys(): string[] {
    return [...this.#objects.keys()];
  }

  list(): T[] {
    return [...this.#objects.values()];
  }

  /** Objects whose index `indexName` contains `value`. Throws on an unknown index name. */
  byIndex(indexName: string, value: string): T[] {
    const index = this.#indices.get(indexName);
    if (!index) throw new RangeError(`unknown index ${JSON.stringify(indexName)}`);
    return [...(index.get(value) ?? [])].map((key) => this.#objects.get(key)!);
  }

  /** Stores `object` under its key; returns the object it replaced, if any. */
  upsert(object: T): T | undefined {
    const key = objectKey(object);
    const previous = this.#objects.get(key);
    if (previous) this.#unindex(key, previous);
    this.#objects.set(key, object);
    this.#index(key, object);
    return previous;
  }

  /** Removes the object under `key`; returns it, if there was one. */
  delete(key: string): T | undefined {
    const previous = this.#objects.get(key);
    if (!previous) return undefined;
    this.#unindex(key, previous);
    this.#objects.delete(key);
    return previous;
  }

  #index(key: string, object: T): void {
    for (const [name, fn] of this.#indexFuncs) {
      const index = this.#indices.get(name)!;
      for (const value of new Set(fn(object))) {
        let keys = index.get(value);
        if (!keys) index.set(value, (keys = new Set()));
        keys.add(key);
      }
    }
  }

  #unindex(key: string, object: T): void {
    for (const [name, fn] of this.#indexFuncs) {
      const index = this.#indices.get(name)!;
      for (const value of fn(object)) {
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
    }
  }
}
