/**
 * What a request is about, parsed from its method, path and query as kube-apiserver's RequestInfoFactory does.
 * Authorizers and request filters decide on it.
 */
export interface RequestInfo {
  /** False for /version, /healthz, discovery documents, /openapi, and other non-resource paths. */
  readonly isResourceRequest: boolean;
  readonly path: string;
  /**
   * Resource requests: get, list, watch, create, update, patch, delete, deletecollection.
   * Non-resource requests: the lower-case HTTP method (get, post, ...).
   */
  readonly verb: string;
  /** '' for non-resource requests; 'api' or 'apis' otherwise. */
  readonly apiPrefix: string;
  /** '' for the core group. */
  readonly apiGroup: string;
  readonly apiVersion: string;
  /** '' for cluster-scoped resources and all-namespace lists. For namespaces/NAME, NAME (as kube-apiserver does). */
  readonly namespace: string;
  readonly resource: string;
  readonly subresource: string;
  readonly name: string;
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);
const VERB_BY_METHOD: Record<string, string> = {
  GET: 'get',
  HEAD: 'get',
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/** The RequestInfo of a request for a path outside the resource API (`/healthz`, `/version`, ...). */
export function nonResource(path: string, verb: string): RequestInfo {
  return {
    isResourceRequest: false,
    path,
    verb,
    apiPrefix: '',
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
  };
}

export function parseRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const parts = path.split('/').filter((p) => p !== '');
  const prefix = parts.shift();
  if (prefix !== 'api' && prefix !== 'apis') return nonResource(path, method.toLowerCase());
  let group = '';
  if (prefix === 'apis') {
    const g = parts.shift();
    if (g === undefined) return nonResource(path, method.toLowerCase());
    group = g;
  }
  const version = parts.shift();
  if (version === undefined || parts.length === 0) return nonResource(path, method.toLowerCase());
  let verb = VERB_BY_METHOD[method] ?? method.toLowerCase();
  if (parts[0] === 'watch') {
    parts.shift();
    verb = 'watch';
  }
  let namespace = '';
  if (parts[0] === 'namespaces' && parts.length > 1) {
    namespace = parts[1]!;
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2]!)) parts.splice(0, 2);
  }
  const [resource = '', name = '', subresource = ''] = parts;
  const watchParam = query.get('watch');
  const watching = watchParam === 'true' || watchParam === '1';
  if (name === '') {
    if (verb === 'get') verb = watching ? 'watch' : 'list';
    else if (verb === 'delete') verb = 'deletecollection';
  } else if (verb === 'get' && watching) verb = 'watch';
  return {
    isResourceRequest: true,
    path,
    verb,
    apiPrefix: prefix,
    apiGroup: group,
    apiVersion: version,
    namespace,
    resource,
    subresource: parts.length > 3 ? parts.slice(2).join('/') : subresource,
    name,
  };
}
