import type { KubeObject } from './kube-object.ts';

/**
 * One copy of each version of an object for informers that watch the same resource with different selectors: a
 * hooked pending pod is both in the pending-pods cache and in the hooked-pods cache, and each watch parses its own
 * copy. Used as the last step of their transform, it hands the second informer the object the first one holds
 * (same uid and resourceVersion, the same transform: the same content). Objects are held weakly: an entry goes once
 * no cache holds its object any more. Like every cached object, shared ones must never be mutated.
 */
export class SharedObjects {
  readonly #byVersion = new Map<string, WeakRef<KubeObject>>();
  readonly #collected = new FinalizationRegistry<string>((key) => {
    if (this.#byVersion.get(key)?.deref() === undefined) this.#byVersion.delete(key);
  });

  /** Versions currently known (for tests and metrics). */
  get size(): number {
    return this.#byVersion.size;
  }

  /** The copy already held of this version of the object, or the object itself (then remembered). */
  share<T extends KubeObject>(object: T): T {
    const uid = object.metadata?.uid;
    const resourceVersion = object.metadata?.resourceVersion;
    if (!uid || !resourceVersion) return object;
    const key = `${uid}/${resourceVersion}`;
    const held = this.#byVersion.get(key)?.deref();
    if (held) return held as T;
    this.#byVersion.set(key, new WeakRef(object));
    this.#collected.register(object, key);
    return object;
  }
}
