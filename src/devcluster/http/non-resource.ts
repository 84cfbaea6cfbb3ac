import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors } from '../api/errors.ts';
import type { ResourceRegistry } from '../registry/registry.ts';
import { negotiateDiscovery } from './accept.ts';
import { Discovery, VERSION_INFO, aggregatedContentType } from './discovery.ts';
import { OpenApi } from './openapi.ts';
import { sendJson } from './responses.ts';

const HEALTH_PATHS = ['/healthz', '/readyz', '/livez'];
const DISCOVERY_TYPES =
  'application/json, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList, application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

/** /version, health, discovery and openapi: every path that names no resource. */
export class NonResourceHandler {
  readonly #discovery: Discovery;
  readonly #openapi: OpenApi;

  constructor(registry: ResourceRegistry) {
    this.#discovery = new Discovery(registry);
    this.#openapi = new OpenApi(registry);
  }

  handle(req: IncomingMessage, res: ServerResponse, pathname: string): void {
    const path = pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') throw errors.methodNotAllowed();
    if (path === '/version') return sendJson(res, 200, VERSION_INFO);
    if (HEALTH_PATHS.some((h) => path === h || path.startsWith(`${h}/`)))
      return sendJson(res, 200, 'ok', { 'Content-Type': 'text/plain; charset=utf-8' });
    if (path === '/api' || path === '/apis') return this.#discoveryRoot(req, res, path === '/api');
    const parts = path.split('/').filter(Boolean);
    if (parts[0] === 'api' && parts.length === 2)
      return found(res, this.#discovery.resourceList('', parts[1]!));
    if (parts[0] === 'apis' && parts.length === 2) return found(res, this.#discovery.apiGroup(parts[1]!));
    if (parts[0] === 'apis' && parts.length === 3)
      return found(res, this.#discovery.resourceList(parts[1]!, parts[2]!));
    if (path === '/openapi/v3') return sendJson(res, 200, this.#openapi.root());
    if (parts[0] === 'openapi' && parts[1] === 'v3')
      return found(res, this.#openapi.document(parts.slice(2).join('/')));
    throw errors.noResource();
  }

  #discoveryRoot(req: IncomingMessage, res: ServerResponse, core: boolean): void {
    const format = negotiateDiscovery(req.headers.accept);
    if (format === undefined)
      throw errors.notAcceptable(`only the following media types are accepted: ${DISCOVERY_TYPES}`);
    const vary = { Vary: 'Accept' };
    if (format !== 'legacy')
      return sendJson(res, 200, this.#discovery.aggregated(core, format), {
        ...vary,
        'Content-Type': aggregatedContentType(format),
      });
    const body = core
      ? this.#discovery.apiVersions(req.headers.host ?? '127.0.0.1')
      : this.#discovery.apiGroupList();
    sendJson(res, 200, body, vary);
  }
}

function found(res: ServerResponse, body: unknown): void {
  if (body === undefined) throw errors.noResource();
  sendJson(res, 200, body);
}
