/** What an object's metadata says about which write of its spec it shows. */
export interface Generation {
  readonly uid?: string;
  readonly generation?: number;
}

const MAX_REMEMBERED = 50_000;

/**
 * The spec writes this process made, until the informer cache shows them (client-go's "expectations", for our
 * own writes). An informer delivers a write some time after the API server answered it; a reconcile that runs in
 * that gap would decide from the object as it was before the write, and combine it with live reads that already
 * show the write's effects (a Deployment's rollout deleting the pods of the old template). Every spec write bumps
 * `metadata.generation`, so a cached object whose generation is below the written one predates the write.
 */
export class OwnWrites {
  readonly #written = new Map<string, { readonly uid: string; readonly generation: number }>();

  /** Remembers the object as the API server returned it after our write. */
  record(key: string, written: Generation): void {
    if (written.uid === undefined || written.generation === undefined) return;
    if (this.#written.size >= MAX_REMEMBERED) this.#written.clear();
    this.#written.set(key, { uid: written.uid, generation: written.generation });
  }

  /**
   * True when the cached object predates a write we made to the same object. Once the cache shows the write (or the
   * object was replaced by another of the same name), the write is forgotten.
   */
  cacheLags(key: string, cached: Generation): boolean {
    const written = this.#written.get(key);
    if (!written) return false;
    if (cached.uid === written.uid && (cached.generation ?? 0) < written.generation) return true;
    this.#written.delete(key);
    return false;
  }
}
