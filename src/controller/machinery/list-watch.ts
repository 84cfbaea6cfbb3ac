import {
  ApiException,
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  RequestContext,
  Watch,
} from '@kubernetes/client-node';
import type { HttpLibrary, KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from './kube-object.ts';

export interface Selectors {
  labelSelector?: string;
  fieldSelector?: string;
}

export interface ListRequest extends Selectors {
  limit?: number;
  continue?: string;
}

export interface ListPage<T extends KubeObject> {
  items: T[];
  resourceVersion: string;
  continue?: string;
}

export interface WatchRequest extends Selectors {
  resourceVersion: string;
  allowWatchBookmarks: boolean;
  timeoutSeconds?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T extends KubeObject> {
  type: WatchEventType;
  /** The object; for ERROR, a Status. */
  object: T;
}

export interface WatchHandle {
  stop(): void;
}

/** The two calls an informer needs for one collection, in plain JSON. */
export interface ListWatch<T extends KubeObject> {
  /** Human-readable collection path, for logs. */
  readonly path: string;
  list(request: ListRequest): Promise<ListPage<T>>;
  /**
   * Starts a watch. `onDone` is called exactly once, with an error or without one on a clean close;
   * not after `stop()`.
   */
  watch(
    request: WatchRequest,
    onEvent: (event: WatchEvent<T>) => void,
    onDone: (error?: unknown) => void,
  ): Promise<WatchHandle>;
}

function queryString(params: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

interface ListBody {
  kind?: string;
  apiVersion?: string;
  metadata?: { resourceVersion?: string; continue?: string };
  items?: KubeObject[];
}

/**
 * List and watch of one collection path (e.g. `/api/v1/namespaces/app/pods`,
 * `/apis/velero.io/v1/namespaces/velero/restores`) over client-node's transport and Watch. Lists are
 * fetched raw, not through the typed clients, so that list and watch both yield the wire JSON; list
 * items get the `kind`/`apiVersion` the server leaves out of them, so that both paths yield the same shape.
 */
export class KubeListWatch<T extends KubeObject> implements ListWatch<T> {
  readonly path: string;
  readonly #kubeConfig: KubeConfig;
  readonly #httpLibrary: HttpLibrary;
  readonly #watch: Watch;

  constructor(kubeConfig: KubeConfig, path: string, options: { httpLibrary?: HttpLibrary } = {}) {
    if (!path.startsWith('/')) throw new RangeError(`path must start with /, got ${JSON.stringify(path)}`);
    this.path = path;
    this.#kubeConfig = kubeConfig;
    this.#httpLibrary = options.httpLibrary ?? new IsomorphicFetchHttpLibrary();
    this.#watch = new Watch(kubeConfig);
  }

  async list(request: ListRequest): Promise<ListPage<T>> {
    const cluster = this.#kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const context = new RequestContext(
      cluster.server + this.path + queryString({ ...request }),
      HttpMethod.GET,
    );
    context.setHeaderParam('Accept', 'application/json');
    await this.#kubeConfig.applySecurityAuthentication(context);
    const response = await this.#httpLibrary.send(context).toPromise();
    const text = await response.body.text();
    if (response.httpStatusCode !== 200) {
      throw new ApiException(
        response.httpStatusCode,
        `list ${this.path}: HTTP ${response.httpStatusCode}`,
        text,
        response.headers,
      );
    }
    const body = JSON.parse(text) as ListBody;
    const kind = body.kind?.endsWith('List') ? body.kind.slice(0, -'List'.length) : undefined;
    const items = (body.items ?? []).map((item) => ({ apiVersion: body.apiVersion, kind, ...item }) as T);
    return {
      items,
      resourceVersion: body.metadata?.resourceVersion ?? '',
      continue: body.metadata?.continue || undefined,
    };
  }

  async watch(
    request: WatchRequest,
    onEvent: (event: WatchEvent<T>) => void,
    onDone: (error?: unknown) => void,
  ): Promise<WatchHandle> {
    let stopped = false;
    const controller = await this.#watch.watch(
      this.path,
      { ...request },
      (type: string, object: T) => {
        if (!stopped) onEvent({ type: type as WatchEventType, object });
      },
      (error: unknown) => {
        if (!stopped) onDone(error ?? undefined);
        stopped = true;
      },
    );
    return {
      stop: () => {
        stopped = true;
        controller.abort();
      },
    };
  }
}
