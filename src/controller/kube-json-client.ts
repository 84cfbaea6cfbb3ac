import type { HttpLibrary, KubeConfig } from '@kubernetes/client-node';
import { ApiException, HttpMethod, RequestContext } from './machinery/client-node.ts';
import { parseJsonResponse } from './machinery/response-body.ts';

export type QueryValue = string | number | boolean | undefined;

export interface JsonRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** API path, e.g. `/api/v1/namespaces/app/pods/p1`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, QueryValue>>;
  readonly body?: unknown;
  /** Defaults to application/json; patches name their type. */
  readonly contentType?: string;
}

/**
 * Requests to the API server in plain JSON over client-node's authentication and transport (so the transport's
 * rate limiting, retries and metrics apply). The typed clients turn timestamps into Date objects on some paths
 * and not others; the controller works on the wire representation throughout. Failures throw client-node's
 * ApiException carrying the Status body as text, like the typed clients do for undeclared codes.
 */
export class KubeJsonClient {
  readonly #kubeConfig: KubeConfig;
  readonly #http: HttpLibrary;
  readonly #server: string;
  readonly #userAgent: string;

  constructor(kubeConfig: KubeConfig, http: HttpLibrary, userAgent = 'restore-hooks') {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.#kubeConfig = kubeConfig;
    this.#http = http;
    this.#server = cluster.server.replace(/\/+$/, '');
    this.#userAgent = userAgent;
  }

  async request<T>(req: JsonRequest): Promise<T> {
    const text = await this.requestText(req);
    return (text === '' ? undefined : parseJsonResponse(text, `${req.method} ${req.path}`)) as T;
  }

  /** The response body as text, unparsed (a 2xx; anything else throws as `request` does). */
  async requestText(req: JsonRequest): Promise<string> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(req.query ?? {}))
      if (value !== undefined) search.set(key, String(value));
    const url = `${this.#server}${req.path}${search.size > 0 ? `?${search}` : ''}`;
    const context = new RequestContext(url, HttpMethod[req.method]);
    context.setHeaderParam('Accept', 'application/json');
    context.setHeaderParam('User-Agent', this.#userAgent);
    if (req.body !== undefined) {
      context.setHeaderParam('Content-Type', req.contentType ?? 'application/json');
      context.setBody(JSON.stringify(req.body));
    }
    await this.#kubeConfig.applySecurityAuthentication(context);
    const response = await this.#http.send(context).toPromise();
    const text = await response.body.text();
    if (response.httpStatusCode < 200 || response.httpStatusCode >= 300) {
      throw new ApiException(
        response.httpStatusCode,
        `${req.method} ${req.path}: HTTP ${response.httpStatusCode}`,
        text,
        response.headers,
      );
    }
    return text;
  }
}
