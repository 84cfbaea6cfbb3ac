import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Cluster } from '../api/cluster.ts';
import { ApiError, errors, qualifiedResource } from '../api/errors.ts';
import type { DeleteOptions, GroupVersionResource, KubeObject, PatchType, UserInfo } from '../api/types.ts';
import type { ResourceInfo } from '../registry/resource.ts';
import { jsonAs, jsonWithoutTypeMeta } from '../store/stored-object.ts';
import { acceptsPlainJson } from './accept.ts';
import type { TokenAuthenticator } from './authentication.ts';
import { DEFAULT_MAX_BODY_BYTES, decodeObject, mediaType, readBody } from './body.ts';
import type {
  Authorizer,
  RequestAttributes,
  RequestContext,
  RequestFilter,
  UpgradeHandler,
  WatchStreamControl,
} from './extension-points.ts';
import { allowAuthenticated } from './extension-points.ts';
import { Query } from './query.ts';
import type { RequestInfo } from './request-info.ts';
import { parseRequestInfo } from './request-info.ts';
import { sendError, sendJson, sendObject, toApiError } from './responses.ts';
import { negotiateTable, renderTable } from './table.ts';
import { NonResourceHandler } from './non-resource.ts';
import { streamWatch, tableEvents } from './watch-stream.ts';
import { scaleOf, writeScale } from './scale.ts';
import { WriteLog } from '../audit/write-log.ts';
import { WRITE_VERBS } from '../requests/request-counter.ts';
import { answerReview, isAccessReview } from './access-reviews.ts';
import { impersonationOf } from './impersonation.ts';
import { unsupportedSubresource } from './unsupported.ts';
import { AdmissionChain } from '../admission/chain.ts';

/** Serves one admin request (see registerAdminPath). */
export type AdminHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface ApiHandlerOptions {
  readonly cluster: Cluster;
  /** The admission chain writes go through (default: one over `cluster`). */
  readonly admission?: AdmissionChain;
  readonly authenticator: TokenAuthenticator;
  readonly authorizer?: Authorizer;
  readonly requestFilters?: readonly RequestFilter[];
  readonly maxBodyBytes?: number;
}

const PATCH_TYPES: readonly PatchType[] = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

function forbiddenMessage(a: RequestAttributes, reason: string | undefined): string {
  const suffix = reason ? `: ${reason}` : '';
  if (!a.isResourceRequest)
    return `forbidden: User "${a.user.username}" cannot ${a.verb} path "${a.path}"${suffix}`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const qualified = qualifiedResource({ group: a.apiGroup, resource: a.resource });
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return `${qualified}${a.name ? ` "${a.name}"` : ''} is forbidden: User "${a.user.username}" cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup}" ${scope}${suffix}`;
}

interface Prepared {
  readonly attributes: RequestAttributes;
  readonly url: URL;
  readonly watchListeners: ((w: WatchStreamControl) => void)[];
}

/**
 * The HTTP face of the devcluster: authentication, authorization, request filters, then discovery, openapi, and
 * resource CRUD/list/watch over the Cluster. Transport (TLS, sockets) is the caller's.
 */
export class ApiHandler {
  readonly #cluster: Cluster;
  readonly #admission: AdmissionChain;
  readonly #authenticator: TokenAuthenticator;
  #authorizer: Authorizer;
  readonly #filters: RequestFilter[];
  readonly #maxBody: number;
  readonly #nonResource: NonResourceHandler;
  readonly #upgrades = new Map<string, UpgradeHandler>();
  readonly #adminPaths = new Map<string, AdminHandler>();
  /** Every authenticated write request and its answer (see audit/write-log.ts). */
  readonly writes = new WriteLog();

  constructor(options: ApiHandlerOptions) {
    this.#cluster = options.cluster;
    this.#admission = options.admission ?? new AdmissionChain(options.cluster);
    this.#authenticator = options.authenticator;
    this.#authorizer = options.authorizer ?? allowAuthenticated;
    this.#filters = [...(options.requestFilters ?? [])];
    this.#maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.#nonResource = new NonResourceHandler(options.cluster.registry);
  }

  set authorizer(authorizer: Authorizer) {
    this.#authorizer = authorizer;
  }

  addRequestFilter(filter: RequestFilter): () => void {
    this.#filters.push(filter);
    return () => {
      const i = this.#filters.indexOf(filter);
      if (i >= 0) this.#filters.splice(i, 1);
    };
  }

  /** Serves WebSocket upgrades on `resource/subresource`, e.g. 'pods/exec'. */
  registerUpgradeHandler(resourcePath: string, handler: UpgradeHandler): void {
    this.#upgrades.set(resourcePath, handler);
  }

  /**
   * Serves an admin endpoint on `prefix` (e.g. /devcluster/faults) for system:masters only, before authorization
   * and request filters, so that it keeps working while a filter holds or fails every other request.
   */
  registerAdminPath(prefix: string, handler: AdminHandler): void {
    this.#adminPaths.set(prefix, handler);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const path = new URL(req.url ?? '/', 'https://devcluster.invalid').pathname;
      for (const [prefix, handler] of this.#adminPaths) {
        if (path !== prefix && !path.startsWith(`${prefix}/`)) continue;
        const user = this.#authenticator.authenticate(req.headers.authorization);
        if (!user.groups.includes('system:masters'))
          throw errors.forbidden(
            `forbidden: User "${user.username}" cannot ${(req.method ?? 'get').toLowerCase()} path "${path}"`,
          );
        return void handler(req, res);
      }
      const prepared = await this.#prepare(req, res);
      await this.#dispatch(req, res, prepared);
    } catch (err) {
      sendError(res, err);
    }
  }

  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    try {
      const { attributes: a } = await this.#prepare(req);
      const handler = this.#upgrades.get(`${a.resource}/${a.subresource}`);
      const unsupported = a.isResourceRequest ? unsupportedSubresource(a.resource, a.subresource) : undefined;
      if (!handler && unsupported) throw unsupported;
      if (!a.isResourceRequest || !handler)
        throw errors.badRequest(`${a.path} does not accept protocol upgrades`);
      await handler(req, socket, head, a);
    } catch (err) {
      const apiError = toApiError(err);
      const body = JSON.stringify(apiError.toStatus());
      if (socket.writable)
        socket.end(
          `HTTP/1.1 ${apiError.code} ${apiError.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
    }
  }

  async #prepare(req: IncomingMessage, res?: ServerResponse): Promise<Prepared> {
    const url = new URL(req.url ?? '/', 'https://devcluster.invalid');
    const method = req.method ?? 'GET';
    const info: RequestInfo = parseRequestInfo(method, url.pathname, url.searchParams);
    let user: UserInfo = this.#authenticator.authenticate(req.headers.authorization);
    const impersonation = impersonationOf(req, user);
    if (impersonation) {
      for (const check of impersonation.checks) await this.#authorize(check);
      user = impersonation.user;
    }
    const attributes: RequestAttributes = { ...info, user };
    if (res && info.isResourceRequest && WRITE_VERBS.has(info.verb)) this.#audit(attributes, res);
    await this.#authorize(attributes);
    const watchListeners: ((w: WatchStreamControl) => void)[] = [];
    const context: RequestContext = {
      info,
      user,
      method,
      url,
      headers: req.headers,
      onWatch: (listener) => void watchListeners.push(listener),
    };
    for (const filter of [...this.#filters]) await filter(context);
    return { attributes, url, watchListeners };
  }

  async #authorize(attributes: RequestAttributes): Promise<void> {
    const decision = await this.#authorizer(attributes);
    if (!decision.allowed)
      throw errors.forbidden(
        forbiddenMessage(attributes, decision.reason),
        attributes.isResourceRequest
          ? { group: attributes.apiGroup, resource: attributes.resource }
          : undefined,
        attributes.name || undefined,
      );
  }

  #audit(a: RequestAttributes, res: ServerResponse): void {
    const record = this.writes.begin({
      user: a.user.username,
      verb: a.verb,
      resource: a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource,
      subresource: a.subresource,
      namespace: a.namespace,
      name: a.name,
    });
    res.once('finish', () => (record.code = res.statusCode));
  }

  async #dispatch(req: IncomingMessage, res: ServerResponse, p: Prepared): Promise<void> {
    const a = p.attributes;
    if (!a.isResourceRequest) return this.#nonResource.handle(req, res, p.url.pathname);
    if (!acceptsPlainJson(req.headers.accept))
      throw errors.notAcceptable('only the following media types are accepted: application/json');
    if (isAccessReview(a) && !a.subresource && !a.name) {
      if (a.verb !== 'create') throw errors.methodNotAllowed();
      const body = decodeObject(await readBody(req, this.#maxBody), req.headers['content-type']);
      const review = await answerReview(this.#authorizer, a.resource, a.namespace, a.user, body);
      return sendObject(res, 201, review, req.headers.accept);
    }
    const gvr: GroupVersionResource = { group: a.apiGroup, version: a.apiVersion, resource: a.resource };
    const info = this.#cluster.resolve(gvr);
    const isNamespaceObject = a.apiGroup === '' && a.resource === 'namespaces';
    const namespace = info.namespaced && a.namespace !== '' ? a.namespace : undefined;
    if (!info.namespaced && a.namespace && !isNamespaceObject) throw errors.noResource();
    if (info.namespaced && !a.namespace && a.name) throw errors.noResource();
    const query = new Query(p.url.searchParams);
    if (a.subresource) return this.#subresource(req, res, p, info, gvr, namespace, query);
    switch (a.verb) {
      case 'get': {
        const object = this.#cluster.get(gvr, namespace, a.name);
        const table = negotiateTable(req.headers.accept);
        if (!table) return sendObject(res, 200, object, req.headers.accept);
        return sendJson(
          res,
          200,
          renderTable(info, table, [object], { includeObject: query.string('includeObject') }),
        );
      }
      case 'list':
        return this.#list(req, res, info, gvr, namespace, query);
      case 'watch':
        return this.#watch(req, res, p, info, gvr, namespace, query);
      case 'create': {
        const body = decodeObject(await readBody(req, this.#maxBody), req.headers['content-type']);
        this.#checkFieldValidation(query);
        const created = await this.#admission.create(
          gvr,
          namespace,
          body as KubeObject,
          this.#writeOptions(req, a, query),
        );
        return sendObject(res, 201, warned(res, created).result, req.headers.accept);
      }
      case 'update': {
        const body = decodeObject(await readBody(req, this.#maxBody), req.headers['content-type']);
        this.#checkFieldValidation(query);
        const updated = await this.#admission.update(
          gvr,
          namespace,
          a.name,
          body as KubeObject,
          this.#writeOptions(req, a, query),
        );
        return sendObject(res, 200, warned(res, updated).result, req.headers.accept);
      }
      case 'patch':
        return this.#patch(req, res, a, gvr, namespace, query, undefined);
      case 'delete':
        return this.#delete(req, res, a, gvr, namespace, query);
      case 'deletecollection':
        return this.#deleteCollection(req, res, a, gvr, namespace, query);
      default:
        throw errors.methodNotAllowed();
    }
  }

  async #subresource(
    req: IncomingMessage,
    res: ServerResponse,
    p: Prepared,
    info: ResourceInfo,
    gvr: GroupVersionResource,
    namespace: string | undefined,
    query: Query,
  ): Promise<void> {
    const a = p.attributes;
    if (a.subresource === 'status' && info.statusSubresource) {
      const options = { ...this.#writeOptions(req, a, query), subresource: 'status' as const };
      switch (a.verb) {
        case 'get':
          return sendObject(res, 200, this.#cluster.get(gvr, namespace, a.name), req.headers.accept);
        case 'update': {
          const body = decodeObject(await readBody(req, this.#maxBody), req.headers['content-type']);
          const updated = await this.#admission.update(gvr, namespace, a.name, body as KubeObject, options);
          return sendObject(res, 200, warned(res, updated).result, req.headers.accept);
        }
        case 'patch':
          return this.#patch(req, res, a, gvr, namespace, query, 'status');
        default:
          throw errors.methodNotAllowed();
      }
    }
    if (a.subresource === 'scale' && info.extraSubresources.includes('scale')) {
      const options = this.#writeOptions(req, a, query);
      const body = () => readBody(req, this.#maxBody);
      switch (a.verb) {
        case 'get':
          return sendJson(res, 200, scaleOf(this.#cluster.get(gvr, namespace, a.name)));
        case 'update': {
          const scale = decodeObject(await body(), req.headers['content-type']);
          return sendJson(
            res,
            200,
            writeScale(this.#cluster, gvr, namespace, a.name, { kind: 'update', scale }, options),
          );
        }
        case 'patch': {
          const type = mediaType(req.headers['content-type']) as PatchType;
          const patch = decodeObject(await body(), 'application/json');
          return sendJson(
            res,
            200,
            writeScale(this.#cluster, gvr, namespace, a.name, { kind: 'patch', type, body: patch }, options),
          );
        }
        default:
          throw errors.methodNotAllowed();
      }
    }
    if (a.subresource === 'binding' && info.extraSubresources.includes('binding')) {
      if (a.verb !== 'create') throw errors.methodNotAllowed();
      const body = decodeObject(
        await readBody(req, this.#maxBody),
        req.headers['content-type'],
      ) as KubeObject;
      const binding = {
        ...body,
        metadata: { ...(body?.metadata ?? {}), name: body?.metadata?.name ?? a.name },
      };
      if (binding.metadata.name !== a.name)
        throw errors.badRequest(
          `the name of the object (${binding.metadata.name}) does not match the name on the URL (${a.name})`,
        );
      warned(
        res,
        await this.#admission.create(gvr, namespace, binding, {
          ...this.#writeOptions(req, a, query),
          subresource: 'binding',
        }),
      );
      return sendJson(res, 201, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        code: 201,
      });
    }
    if (
      info.extraSubresources.includes(a.subresource) &&
      this.#upgrades.has(`${a.resource}/${a.subresource}`)
    )
      throw errors.badRequest('Upgrade request required');
    throw unsupportedSubresource(a.resource, a.subresource) ?? errors.noResource();
  }

  /** fieldManager defaults to the User-Agent's product (`kubectl/v1.32 ...` -> `kubectl`), as kube-apiserver does. */
  #writeOptions(req: IncomingMessage, a: RequestAttributes, query: Query) {
    const agent = (req.headers['user-agent'] ?? '').split('/')[0]!.trim().slice(0, 128);
    const fieldManager = query.string('fieldManager') ?? (agent || undefined);
    const fieldValidation = query.oneOf('fieldValidation', ['Ignore', 'Warn', 'Strict'] as const);
    return {
      ...(fieldValidation ? { fieldValidation } : {}),
      user: a.user,
      dryRun: query.dryRun(),
      ...(fieldManager !== undefined ? { fieldManager } : {}),
    };
  }

  #checkFieldValidation(query: Query): void {
    query.oneOf('fieldValidation', ['Ignore', 'Warn', 'Strict']);
  }

  #list(
    req: IncomingMessage,
    res: ServerResponse,
    info: ResourceInfo,
    gvr: GroupVersionResource,
    namespace: string | undefined,
    query: Query,
  ): void {
    const limit = query.integer('limit');
    const listed = this.#cluster.listStored(gvr, namespace, {
      ...optional('labelSelector', query.string('labelSelector')),
      ...optional('fieldSelector', query.string('fieldSelector')),
      ...optional('resourceVersion', query.string('resourceVersion')),
      ...optional(
        'resourceVersionMatch',
        query.oneOf('resourceVersionMatch', ['Exact', 'NotOlderThan'] as const),
      ),
      ...optional('continue', query.string('continue')),
      ...(limit !== undefined ? { limit } : {}),
    });
    const table = negotiateTable(req.headers.accept);
    if (table)
      return sendJson(
        res,
        200,
        renderTable(
          info,
          table,
          listed.items.map((s) => s.object),
          {
            includeObject: query.string('includeObject'),
            resourceVersion: listed.resourceVersion,
            ...(listed.continue ? { continue: listed.continue } : {}),
          },
        ),
      );
    const apiVersion = `${info.group ? `${info.group}/` : ''}${info.version}`;
    const items = listed.items.map((s) => (info.custom ? jsonAs(s, apiVersion) : jsonWithoutTypeMeta(s)));
    const metadata = JSON.stringify({
      resourceVersion: listed.resourceVersion,
      ...(listed.continue
        ? { continue: listed.continue, remainingItemCount: listed.remainingItemCount }
        : {}),
    });
    sendJson(
      res,
      200,
      `{"kind":${JSON.stringify(info.listKind)},"apiVersion":${JSON.stringify(apiVersion)},"metadata":${metadata},"items":[${items.join(',')}]}`,
    );
  }

  #watch(
    req: IncomingMessage,
    res: ServerResponse,
    p: Prepared,
    info: ResourceInfo,
    gvr: GroupVersionResource,
    namespace: string | undefined,
    query: Query,
  ): void {
    const a = p.attributes;
    let fieldSelector = query.string('fieldSelector');
    if (a.name) fieldSelector = [fieldSelector, `metadata.name=${a.name}`].filter(Boolean).join(',');
    const timeoutSeconds = query.integer('timeoutSeconds');
    const options = {
      ...optional('labelSelector', query.string('labelSelector')),
      ...optional('fieldSelector', fieldSelector),
      ...optional('resourceVersion', query.string('resourceVersion')),
      ...optional('allowWatchBookmarks', query.boolean('allowWatchBookmarks')),
      ...optional('timeoutSeconds', timeoutSeconds),
    };
    const render = tableEvents(info, negotiateTable(req.headers.accept), query.string('includeObject'));
    streamWatch(
      res,
      (sink) => this.#cluster.watchLines(gvr, namespace, options, sink),
      render,
      p.watchListeners,
    );
  }

  async #patch(
    req: IncomingMessage,
    res: ServerResponse,
    a: RequestAttributes,
    gvr: GroupVersionResource,
    namespace: string | undefined,
    query: Query,
    subresource: 'status' | undefined,
  ): Promise<void> {
    const type = mediaType(req.headers['content-type']) as PatchType;
    if (!PATCH_TYPES.includes(type)) throw errors.unsupportedMediaType(PATCH_TYPES);
    this.#checkFieldValidation(query);
    const raw = await readBody(req, this.#maxBody);
    const body = decodeObject(raw, type === 'application/apply-patch+yaml' ? type : 'application/json');
    const force = query.boolean('force');
    const explicitManager = query.string('fieldManager');
    const patched = await this.#admission.patch(gvr, namespace, a.name, type, body, {
      ...this.#writeOptions(req, a, query),
      // Server-side apply needs an explicit fieldManager (422 without one), never the User-Agent default.
      ...(type === 'application/apply-patch+yaml' ? { fieldManager: explicitManager } : {}),
      ...(force !== undefined ? { force } : {}),
      ...(subresource ? { subresource } : {}),
    });
    const { object, created } = warned(res, patched).result;
    sendObject(res, created ? 201 : 200, object, req.headers.accept);
  }

  async #deleteOptions(req: IncomingMessage, query: Query, a: RequestAttributes): Promise<DeleteOptions> {
    const raw = await readBody(req, this.#maxBody);
    const body = (
      raw.toString('utf8').trim() === ''
        ? {}
        : decodeObject(raw, req.headers['content-type'] ?? 'application/json')
    ) as Record<string, unknown>;
    if (typeof body !== 'object' || body === null)
      throw errors.badRequest('DeleteOptions must be a JSON object');
    const grace = query.integer('gracePeriodSeconds') ?? (body.gracePeriodSeconds as number | undefined);
    const policy = query.string('propagationPolicy') ?? (body.propagationPolicy as string | undefined);
    const dryRun = query.dryRun() || (Array.isArray(body.dryRun) && body.dryRun.includes('All'));
    const pre = body.preconditions as DeleteOptions['preconditions'] | undefined;
    return {
      user: a.user,
      dryRun,
      ...(grace !== undefined && grace !== null ? { gracePeriodSeconds: grace } : {}),
      ...(policy ? { propagationPolicy: policy as DeleteOptions['propagationPolicy'] } : {}),
      ...(pre ? { preconditions: pre } : {}),
    };
  }

  async #delete(
    req: IncomingMessage,
    res: ServerResponse,
    a: RequestAttributes,
    gvr: GroupVersionResource,
    namespace: string | undefined,
    query: Query,
  ): Promise<void> {
    const options = await this.#deleteOptions(req, query, a);
    const deleted = await this.#admission.delete(gvr, namespace, a.name, options);
    sendJson(res, 200, warned(res, deleted).result.result);
  }

  async #deleteCollection(
    req: IncomingMessage,
    res: ServerResponse,
    a: RequestAttributes,
    gvr: GroupVersionResource,
    namespace: string | undefined,
    query: Query,
  ): Promise<void> {
    const options = await this.#deleteOptions(req, query, a);
    const listed = this.#cluster.list(gvr, namespace, {
      ...optional('labelSelector', query.string('labelSelector')),
      ...optional('fieldSelector', query.string('fieldSelector')),
    });
    const deleted: unknown[] = [];
    for (const item of listed.items) {
      try {
        const done = await this.#admission.delete(gvr, item.metadata.namespace, item.metadata.name!, options);
        deleted.push(warned(res, done).result.result);
      } catch (err) {
        if (!(err instanceof ApiError) || err.code !== 404) throw err;
      }
    }
    const info = this.#cluster.resolve(gvr);
    sendJson(res, 200, {
      kind: info.listKind,
      apiVersion: `${info.group ? `${info.group}/` : ''}${info.version}`,
      metadata: {},
      items: deleted,
    });
  }
}

/** Adds the webhooks' warnings as `Warning: 299 - "text"` headers (kept when the answer turns out an error). */
function warned<T extends { warnings: readonly string[] }>(res: ServerResponse, admitted: T): T {
  if (admitted.warnings.length === 0 || res.headersSent) return admitted;
  const previous = res.getHeader('Warning');
  const existing = Array.isArray(previous) ? previous : previous === undefined ? [] : [String(previous)];
  res.setHeader('Warning', [...existing, ...admitted.warnings.map(warningHeader)]);
  return admitted;
}

/** RFC 7234 warn-code 299 with the agent `-`, as kube-apiserver writes admission warnings. */
function warningHeader(text: string): string {
  const clean = [...text].map((c) => (c >= ' ' && c <= '~' ? c : '?')).join('');
  return `299 - ${JSON.stringify(clean)}`;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
