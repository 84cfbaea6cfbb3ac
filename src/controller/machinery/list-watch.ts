import type { HttpLibrary, KubeConfig } from '@kubernetes/client-node';
import {
  ApiException,
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  RequestContext,
  Watch,
} from './client-node.ts';
import type { KubeObject } from './kube-object.ts';
import { decodeList, malformedWatchEvent, parseJsonResponse } from './response-body.ts';

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
    const body = decodeList(parseJsonResponse(text, `list ${this.path}`), `list ${this.path}`);
    const kind = body.kind?.slice(0, -'List'.length);
    const items = body.items.map((item) => ({ apiVersion: body.apiVersion, kind, ...item }) as T);
    return { items, resourceVersion: body.resourceVersion, continue: body.continue };
  }

  async watch(
    request: WatchRequest,
    onEvent: (event: WatchEvent<T>) => void,
    onDone: (error?: unknown) => void,
  ): Promise<WatchHandle> {
    let stopped = false;
    // The event callback may need to abort before watch() has returned its controller.
    const started: { controller?: AbortController; abortWhenStarted?: boolean } = {};
    const abort = (): void => {
      if (started.controller) started.controller.abort();
      else started.abortWhenStarted = true;
    };
    started.controller = await this.#watch.watch(
      this.path,
      { ...request },
      (type: string, object: T) => {
        if (stopped) return;
        // client-node swallows what this callback throws: a malformed event ends the watch here instead.
        const problem = malformedWatchEvent(type, object);
        if (problem === undefined) return onEvent({ type: type as WatchEventType, object });
        stopped = true;
        abort();
        onDone(new Error(`watch ${this.path}: malformed event: ${problem}`));
      },
      (error: unknown) => {
        if (!stopped) onDone(error ?? undefined);
        stopped = true;
      },
    );
    if (started.abortWhenStarted) started.controller.abort();
    return {
      stop: () => {
        stopped = true;
        abort();
      },
    };
  }
}
