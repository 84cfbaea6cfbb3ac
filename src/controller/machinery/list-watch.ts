import type { HttpLibrary, KubeConfig } from '@kubernetes/client-node';
import { ApiException, HttpMethod, RequestContext } from './client-node.ts';
import { bodyChunks, dispatcherHttpLibrary } from './dispatcher-http-library.ts';
import type { ObjectWithMeta } from './kube-object.ts';
import {
  MalformedResponseError,
  decodeList,
  forEachLine,
  malformedWatchEvent,
  parseJsonResponse,
} from './response-body.ts';

export interface Selectors {
  labelSelector?: string;
  fieldSelector?: string;
}

export interface ListRequest extends Selectors {
  limit?: number;
  continue?: string;
}

export interface ListPage<T extends ObjectWithMeta> {
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

export interface WatchEvent<T extends ObjectWithMeta> {
  type: WatchEventType;
  /** The object; for ERROR, a Status. */
  object: T;
}

export interface WatchHandle {
  stop(): void;
}

/** The two calls an informer needs for one collection, in plain JSON. */
export interface ListWatch<T extends ObjectWithMeta> {
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

/**
 * A decoded object as the type the informer holds: the API server's schema is the contract, as for client-go's typed
 * decoding; nothing here checks fields beyond metadata.name.
 */
function wireObject<T extends ObjectWithMeta>(object: ObjectWithMeta): T {
  return object as T;
}

function queryString(params: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * List and watch of one collection path (e.g. `/api/v1/namespaces/app/pods`,
 * `/apis/velero.io/v1/namespaces/velero/restores`) over client-node's authentication and the given transport, so
 * that watches are rate limited, counted and pooled like every other request (client-go's are too). Both are
 * fetched raw, not through the typed clients, so that list and watch both yield the wire JSON; list items get the
 * `kind`/`apiVersion` the server leaves out of them, so that both paths yield the same shape. A watch is read line
 * by line as its chunks arrive.
 */
export class KubeListWatch<T extends ObjectWithMeta> implements ListWatch<T> {
  readonly path: string;
  readonly #kubeConfig: KubeConfig;
  readonly #httpLibrary: HttpLibrary;

  constructor(kubeConfig: KubeConfig, path: string, options: { httpLibrary?: HttpLibrary } = {}) {
    if (!path.startsWith('/')) throw new RangeError(`path must start with /, got ${JSON.stringify(path)}`);
    this.path = path;
    this.#kubeConfig = kubeConfig;
    this.#httpLibrary = options.httpLibrary ?? dispatcherHttpLibrary();
  }

  async list(request: ListRequest): Promise<ListPage<T>> {
    const context = await this.#request({ ...request });
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
    const items = body.items.map((item) => wireObject<T>({ apiVersion: body.apiVersion, kind, ...item }));
    return { items, resourceVersion: body.resourceVersion, continue: body.continue };
  }

  async watch(
    request: WatchRequest,
    onEvent: (event: WatchEvent<T>) => void,
    onDone: (error?: unknown) => void,
  ): Promise<WatchHandle> {
    const context = await this.#request({ ...request, watch: true });
    const aborter = new AbortController();
    context.setSignal(aborter.signal);
    let finished = false;
    const finish = (error?: unknown): void => {
      if (finished) return;
      finished = true;
      aborter.abort();
      onDone(error);
    };
    const what = `watch ${this.path}`;
    const deliver = (line: string): boolean => {
      if (finished) return false;
      // A line that is not a watch event ends the watch with an error, as client-go's decoder does.
      const event = parseJsonResponse(line, what) as { type?: unknown; object?: unknown } | null;
      const problem = malformedWatchEvent(event?.type, event?.object);
      if (problem !== undefined) throw new MalformedResponseError(`${what}: malformed event: ${problem}`);
      onEvent({ type: event!.type as WatchEventType, object: event!.object as T });
      return !finished;
    };
    void (async () => {
      const response = await this.#httpLibrary.send(context).toPromise();
      if (response.httpStatusCode !== 200) {
        const text = await response.body.text().catch(() => '');
        throw new ApiException(
          response.httpStatusCode,
          `${what}: HTTP ${response.httpStatusCode}`,
          text,
          response.headers,
        );
      }
      const chunks = bodyChunks(response.body);
      if (chunks) await forEachLine(chunks, deliver);
    })().then(
      () => finish(),
      (error: unknown) => finish(error),
    );
    return {
      stop: () => {
        finished = true;
        aborter.abort();
      },
    };
  }

  /** A GET of the collection with `query`, authenticated as the kubeconfig says. */
  async #request(query: Record<string, string | number | boolean | undefined>): Promise<RequestContext> {
    const cluster = this.#kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const context = new RequestContext(cluster.server + this.path + queryString(query), HttpMethod.GET);
    context.setHeaderParam('Accept', 'application/json');
    await this.#kubeConfig.applySecurityAuthentication(context);
    return context;
  }
}
