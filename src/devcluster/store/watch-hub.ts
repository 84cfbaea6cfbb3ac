import type { StoredObject } from './stored-object.ts';
import { jsonAs } from './stored-object.ts';

export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One committed change. `previous` is the object's state before a MODIFIED or DELETED. */
export interface StoreEvent {
  readonly type: StoreEventType;
  readonly rv: number;
  readonly object: StoredObject;
  readonly previous?: StoredObject;
}

/** What a watch selects: the namespace (undefined: all), both selectors, and the version it is served at. */
export interface WatchFilter {
  readonly namespace: string | undefined;
  /** Identifies the selector pair; watchers with equal keys share one evaluation per event. */
  readonly selectorKey: string;
  matches(stored: StoredObject): boolean;
  readonly apiVersion: string;
}

/** A watcher receives each event as one NDJSON line (without the newline), serialized once per group. */
export interface Watcher {
  readonly filter: WatchFilter;
  send(line: string): void;
}

interface WatchGroup {
  readonly filter: WatchFilter;
  readonly watchers: Set<Watcher>;
}

export function eventLine(type: string, objectJson: string): string {
  return `{"type":"${type}","object":${objectJson}}`;
}

/** The JSON of `stored` with its resourceVersion replaced (an object leaving a selector, sent as DELETED). */
function withResourceVersion(stored: StoredObject, rv: number, apiVersion: string): string {
  const copy = JSON.parse(stored.json) as { apiVersion: string; metadata: { resourceVersion?: string } };
  copy.apiVersion = apiVersion;
  copy.metadata.resourceVersion = String(rv);
  return JSON.stringify(copy);
}

/** How one event looks to one filter: nothing, or the type and JSON to send. */
export function viewOf(
  event: StoreEvent,
  filter: WatchFilter,
): { type: StoreEventType; json: string } | undefined {
  const inNamespace = (s: StoredObject) => filter.namespace === undefined || s.namespace === filter.namespace;
  const now = inNamespace(event.object) && filter.matches(event.object);
  if (event.type === 'DELETED')
    return now ? { type: 'DELETED', json: jsonAs(event.object, filter.apiVersion) } : undefined;
  const before =
    event.previous !== undefined && inNamespace(event.previous) && filter.matches(event.previous);
  if (now) return { type: before ? 'MODIFIED' : 'ADDED', json: jsonAs(event.object, filter.apiVersion) };
  if (before)
    return { type: 'DELETED', json: withResourceVersion(event.previous!, event.rv, filter.apiVersion) };
  return undefined;
}

/**
 * The watchers of one resource, grouped by (namespace, selectors, version) so that each event is matched and
 * serialized once per group rather than once per watcher.
 */
export class WatchHub {
  readonly #groups = new Map<string, WatchGroup>();

  get size(): number {
    let n = 0;
    for (const g of this.#groups.values()) n += g.watchers.size;
    return n;
  }

  add(watcher: Watcher): void {
    const key = groupKey(watcher.filter);
    let group = this.#groups.get(key);
    if (!group) {
      group = { filter: watcher.filter, watchers: new Set() };
      this.#groups.set(key, group);
    }
    group.watchers.add(watcher);
  }

  remove(watcher: Watcher): void {
    const key = groupKey(watcher.filter);
    const group = this.#groups.get(key);
    if (!group) return;
    group.watchers.delete(watcher);
    if (group.watchers.size === 0) this.#groups.delete(key);
  }

  dispatch(event: StoreEvent): void {
    for (const group of this.#groups.values()) {
      const view = viewOf(event, group.filter);
      if (!view) continue;
      const line = eventLine(view.type, view.json);
      for (const w of [...group.watchers]) w.send(line);
    }
  }

  watchers(): Watcher[] {
    return [...this.#groups.values()].flatMap((g) => [...g.watchers]);
  }
}

function groupKey(f: WatchFilter): string {
  return `${f.namespace ?? ''}\u0000${f.apiVersion}\u0000${f.selectorKey}`;
}
