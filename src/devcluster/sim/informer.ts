/**
 * An in-process informer over the ClusterAPI: list, then watch from the list's resourceVersion, keeping a cache
 * and optional indexes, and re-listing (with a diff) after a 410. Handlers should only enqueue keys.
 */
import type { ClusterAPI, GroupVersionResource, KubeObject, WatchEvent, WatchHandle } from '../api/types.ts';

export interface InformerHandlers {
  add?(object: KubeObject): void;
  update?(previous: KubeObject, object: KubeObject): void;
  delete?(object: KubeObject): void;
}

export type IndexFunction = (object: KubeObject) => readonly string[];

export function objectKey(object: { metadata: { namespace?: string; name?: string } }): string {
  return object.metadata.namespace
    ? `${object.metadata.namespace}/${object.metadata.name}`
    : (object.metadata.name ?? '');
}

export function splitKey(key: string): [namespace: string | undefined, name: string] {
  const slash = key.indexOf('/');
  return slash < 0 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)];
}

export class Informer {
  private readonly cache = new Map<string, KubeObject>();
  private readonly handlers: InformerHandlers[] = [];
  private readonly indexers = new Map<string, IndexFunction>();
  private readonly indexes = new Map<string, Map<string, Set<string>>>();
  private handle: WatchHandle | undefined;
  private retry: NodeJS.Timeout | undefined;
  private resourceVersion = '';
  private stopped = false;
  private started = false;
  readonly gvr: GroupVersionResource;
  private readonly api: ClusterAPI;

  constructor(api: ClusterAPI, gvr: GroupVersionResource) {
    this.api = api;
    this.gvr = gvr;
  }

  on(handlers: InformerHandlers): void {
    this.handlers.push(handlers);
    if (this.started) for (const o of this.cache.values()) handlers.add?.(o);
  }

  addIndex(name: string, fn: IndexFunction): void {
    this.indexers.set(name, fn);
    const index = new Map<string, Set<string>>();
    this.indexes.set(name, index);
    for (const [key, object] of this.cache) for (const v of fn(object)) this.indexAdd(index, v, key);
  }

  get(namespace: string | undefined, name: string): KubeObject | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  byKey(key: string): KubeObject | undefined {
    return this.cache.get(key);
  }

  list(): IterableIterator<KubeObject> {
    return this.cache.values();
  }

  byIndex(name: string, value: string): KubeObject[] {
    const keys = this.indexes.get(name)?.get(value);
    if (!keys) return [];
    return [...keys].map((k) => this.cache.get(k)!).filter(Boolean);
  }

  get size(): number {
    return this.cache.size;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.relist();
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.handle?.close();
  }

  private relist(): void {
    if (this.stopped) return;
    let list;
    try {
      list = this.api.list(this.gvr, undefined);
    } catch (e) {
      // A custom resource whose CRD is not installed yet: try again shortly.
      if ((e as { code?: number }).code !== 404) throw e;
      this.retry = setTimeout(() => this.relist(), 500);
      return;
    }
    const seen = new Set<string>();
    for (const object of list.items) {
      const full = { ...object, apiVersion: object.apiVersion ?? this.apiVersion(), kind: object.kind ?? '' };
      const key = objectKey(full);
      seen.add(key);
      this.apply('MODIFIED', full, key);
    }
    for (const [key, object] of [...this.cache]) if (!seen.has(key)) this.apply('DELETED', object, key);
    this.resourceVersion = list.resourceVersion;
    this.watch();
  }

  private apiVersion(): string {
    return this.gvr.group ? `${this.gvr.group}/${this.gvr.version}` : this.gvr.version;
  }

  private watch(): void {
    let expired = false;
    this.handle = this.api.watch(
      this.gvr,
      undefined,
      { resourceVersion: this.resourceVersion, allowWatchBookmarks: true },
      (event: WatchEvent) => {
        if (event.type === 'ERROR') {
          expired = true;
          return;
        }
        const object = event.object as KubeObject;
        if (object.metadata?.resourceVersion) this.resourceVersion = object.metadata.resourceVersion;
        if (event.type === 'BOOKMARK') return;
        this.apply(event.type, object, objectKey(object));
      },
      () => {
        if (this.stopped) return;
        if (expired) this.relist();
        else
          try {
            this.watch();
          } catch {
            this.stopped = true;
          }
      },
    );
  }

  private apply(type: WatchEvent['type'], object: KubeObject, key: string): void {
    const previous = this.cache.get(key);
    if (type === 'DELETED') {
      if (!previous) return;
      this.cache.delete(key);
      this.reindex(key, previous, undefined);
      for (const h of this.handlers) h.delete?.(object);
      return;
    }
    if (previous && previous.metadata.resourceVersion === object.metadata.resourceVersion) return;
    this.cache.set(key, object);
    this.reindex(key, previous, object);
    for (const h of this.handlers) {
      if (previous) h.update?.(previous, object);
      else h.add?.(object);
    }
  }

  private reindex(key: string, previous: KubeObject | undefined, next: KubeObject | undefined): void {
    for (const [name, fn] of this.indexers) {
      const index = this.indexes.get(name)!;
      const before = previous ? fn(previous) : [];
      const after = next ? fn(next) : [];
      for (const v of before) if (!after.includes(v)) index.get(v)?.delete(key);
      for (const v of after) if (!before.includes(v)) this.indexAdd(index, v, key);
    }
  }

  private indexAdd(index: Map<string, Set<string>>, value: string, key: string): void {
    let keys = index.get(value);
    if (!keys) index.set(value, (keys = new Set()));
    keys.add(key);
  }
}

/** One informer per resource, shared by every component. */
export class SharedInformers {
  private readonly informers = new Map<string, Informer>();
  private readonly api: ClusterAPI;
  private running = false;

  constructor(api: ClusterAPI) {
    this.api = api;
  }

  for(gvr: GroupVersionResource): Informer {
    const key = `${gvr.group}/${gvr.version}/${gvr.resource}`;
    let informer = this.informers.get(key);
    if (!informer) {
      this.informers.set(key, (informer = new Informer(this.api, gvr)));
      if (this.running) informer.start();
    }
    return informer;
  }

  start(): void {
    this.running = true;
    for (const i of this.informers.values()) i.start();
  }

  stop(): void {
    for (const i of this.informers.values()) i.stop();
  }
}
