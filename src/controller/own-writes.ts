/** What an object's metadata says about which write of its spec it shows. */
export interface Generation {
  readonly uid?: string;
  readonly generation?: number;
}

const MAX_REMEMBERED = 50_000;

/**
 * Every spec write bumps `metadata.generation`, so a cached object of the same uid whose generation is below the
 * written one predates the write. A write answered without uid or generation is taken as shown.
 */
export function showsGeneration(cached: Generation, written: Generation): boolean {
  if (written.uid === undefined || written.generation === undefined) return true;
  return cached.uid !== written.uid || (cached.generation ?? 0) >= written.generation;
}

/**
 * The writes this process made, until the informer cache shows them (client-go's "expectations", for our own
 * writes). An informer delivers a write some time after the API server answered it; a reconcile that runs in that
 * gap would decide from the object as it was before the write, and combine it with live reads that already show the
 * write's effects (a Deployment's rollout deleting the pods of the old template), or do again what the write
 * recorded as done (an exec hook). `shows` tells whether a cached state shows a written one: by default, a spec
 * write by its generation (`showsGeneration`).
 */
export class OwnWrites<W = Generation> {
  readonly #written = new Map<string, W>();
  readonly #shows: (cached: W, written: W) => boolean;

  constructor(shows: (cached: W, written: W) => boolean) {
    this.#shows = shows;
  }

  /** Remembers what our write left on the object (the latest write of a key replaces the one before). */
  record(key: string, written: W): void {
    if (this.#written.size >= MAX_REMEMBERED) this.#written.clear();
    this.#written.set(key, written);
  }

  /**
   * Our last write to the object when the cached state does not show it yet, else undefined. Once the cache shows
   * the write (or the object was replaced by another of the same name), the write is forgotten.
   */
  pending(key: string, cached: W): W | undefined {
    const written = this.#written.get(key);
    if (written === undefined) return undefined;
    if (!this.#shows(cached, written)) return written;
    this.#written.delete(key);
    return undefined;
  }

  /** True when the cached object predates a write we made to the same object. */
  cacheLags(key: string, cached: W): boolean {
    return this.pending(key, cached) !== undefined;
  }

  /** Forgets the object's write (the object is gone). */
  forget(key: string): void {
    this.#written.delete(key);
  }
}
