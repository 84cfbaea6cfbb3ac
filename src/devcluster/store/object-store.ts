import { errors } from '../api/errors.ts';
import { EventHistory } from './history.ts';
import type { StoredObject } from './stored-object.ts';
import type { StoreEvent, Watcher } from './watch-hub.ts';
import { WatchHub, eventLine, viewOf } from './watch-hub.ts';
import { jsonAs } from './stored-object.ts';

class ResourceTable {
  readonly byNamespace = new Map<string, Map<string, StoredObject>>();
  readonly history: EventHistory<StoreEvent>;
  readonly hub = new WatchHub();
  count = 0;

  constructor(historySize: number) {
    this.history = new EventHistory(historySize);
  }
}

export interface ObjectStoreOptions {
  /** Events kept per resource for watch replay; older resourceVersions get 410 Expired. Default 10,000. */
  historySize?: number;
}

/** How a watch starts: from the current state (synthetic ADDED events) or after a resourceVersion. */
export type WatchStart = { kind: 'current' } | { kind: 'after'; rv: number };

/**
 * The storage of every object: one resourceVersion counter for all resources, per-resource tables indexed by
 * namespace, and per-resource bounded event histories that watches replay from. It enforces no API rules; the
 * cluster (cluster.ts) decides what to write.
 */
export class ObjectStore {
  #rv = 0;
  readonly #tables = new Map<string, ResourceTable>();
  readonly #historySize: number;

  constructor(options: ObjectStoreOptions = {}) {
    this.#historySize = options.historySize ?? 10_000;
  }

  get resourceVersion(): number {
    return this.#rv;
  }

  /** Reserves the next resourceVersion for a write about to be committed. */
  nextResourceVersion(): number {
    return ++this.#rv;
  }

  get(key: string, namespace: string, name: string): StoredObject | undefined {
    return this.#tables.get(key)?.byNamespace.get(namespace)?.get(name);
  }

  count(key: string): number {
    return this.#tables.get(key)?.count ?? 0;
  }

  /** The objects of one namespace ('' for cluster-scoped) or of all namespaces, in no particular order. */
  *objects(key: string, namespace?: string): Iterable<StoredObject> {
    const table = this.#tables.get(key);
    if (!table) return;
    if (namespace !== undefined) {
      const ns = table.byNamespace.get(namespace);
      if (ns) yield* ns.values();
      return;
    }
    for (const ns of table.byNamespace.values()) yield* ns.values();
  }

  /** Records a create (no previous) or an update. `stored.rv` must come from nextResourceVersion(). */
  put(key: string, stored: StoredObject, previous?: StoredObject): void {
    const table = this.#table(key);
    let ns = table.byNamespace.get(stored.namespace);
    if (!ns) {
      ns = new Map();
      table.byNamespace.set(stored.namespace, ns);
    }
    if (!ns.has(stored.name)) table.count++;
    ns.set(stored.name, stored);
    this.#emit(table, {
      type: previous ? 'MODIFIED' : 'ADDED',
      rv: stored.rv,
      object: stored,
      ...(previous ? { previous } : {}),
    });
  }

  /** Removes an object; `final` is its last state, carrying the deletion's resourceVersion. */
  remove(key: string, final: StoredObject, previous: StoredObject): void {
    const table = this.#table(key);
    const ns = table.byNamespace.get(final.namespace);
    if (!ns?.delete(final.name)) return;
    table.count--;
    if (ns.size === 0) table.byNamespace.delete(final.namespace);
    this.#emit(table, { type: 'DELETED', rv: final.rv, object: final, previous });
  }

  /**
   * Starts a watch: replays the current state or the history after a resourceVersion, then follows live events.
   * Throws a 410 ApiError when the history no longer reaches back to the requested version.
   */
  watch(key: string, start: WatchStart, watcher: Watcher): () => void {
    const table = this.#table(key);
    if (start.kind === 'after') {
      const events = table.history.since(start.rv);
      if (!events)
        throw errors.expired(`too old resource version: ${start.rv} (${table.history.completeAfter})`);
      for (const event of events) {
        const view = viewOf(event, watcher.filter);
        if (view) watcher.send(eventLine(view.type, view.json));
      }
    } else {
      const filter = watcher.filter;
      const source = filter.namespace === undefined ? this.objects(key) : this.objects(key, filter.namespace);
      for (const stored of source)
        if (filter.matches(stored)) watcher.send(eventLine('ADDED', jsonAs(stored, filter.apiVersion)));
    }
    table.hub.add(watcher);
    return () => table.hub.remove(watcher);
  }

  /** Every live watcher of every resource (bookmarks, shutdown). */
  watchers(): Watcher[] {
    return [...this.#tables.values()].flatMap((t) => t.hub.watchers());
  }

  /** Drops all history up to the current resourceVersion, like an etcd compaction. Open watches continue. */
  compact(): void {
    for (const table of this.#tables.values()) table.history.compact(this.#rv);
  }

  #table(key: string): ResourceTable {
    let table = this.#tables.get(key);
    if (!table) {
      table = new ResourceTable(this.#historySize);
      this.#tables.set(key, table);
    }
    return table;
  }

  #emit(table: ResourceTable, event: StoreEvent): void {
    table.history.push(event);
    table.hub.dispatch(event);
  }
}
