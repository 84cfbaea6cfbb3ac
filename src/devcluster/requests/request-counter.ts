/**
 * Counts the API requests the devcluster serves, by client (the User-Agent's product, as kube-apiserver derives a
 * field manager), verb and resource, so that benchmarks and tests can see how many writes a client made. Served to
 * admins at /devcluster/requests:
 *
 *   GET    /devcluster/requests   {"requests": [{userAgent, verb, group, resource, subresource, count}, ...]}
 *   DELETE /devcluster/requests   reset every count (204)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../api/errors.ts';
import { sendError, serveReadReset } from '../http/responses.ts';
import type { RequestContext, RequestFilter } from '../http/extension-points.ts';

export const REQUESTS_ADMIN_PATH = '/devcluster/requests';

export interface RequestCount {
  readonly userAgent: string;
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly subresource: string;
  readonly count: number;
}

/** The write verbs of kube-apiserver's RequestInfo. */
export const WRITE_VERBS: ReadonlySet<string> = new Set([
  'create',
  'update',
  'patch',
  'delete',
  'deletecollection',
]);

export class RequestCounter {
  readonly #counts = new Map<string, { key: Omit<RequestCount, 'count'>; count: number }>();

  /** A request filter that counts every resource request reaching it (authenticated and authorized). */
  readonly filter: RequestFilter = (context: RequestContext) => {
    const { info } = context;
    if (!info.isResourceRequest) return;
    const key = {
      userAgent: String(context.headers['user-agent'] ?? '')
        .split('/')[0]!
        .trim()
        .slice(0, 128),
      verb: info.verb,
      group: info.apiGroup,
      resource: info.resource,
      subresource: info.subresource,
    };
    const id = JSON.stringify(key);
    const entry = this.#counts.get(id);
    if (entry) entry.count++;
    else this.#counts.set(id, { key, count: 1 });
  };

  counts(): RequestCount[] {
    return [...this.#counts.values()].map(({ key, count }) => ({ ...key, count }));
  }

  reset(): void {
    this.#counts.clear();
  }

  /** Serves GET (the counts) and DELETE (reset) on /devcluster/requests; use as an admin path handler. */
  handleAdmin(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://devcluster').pathname.replace(/\/+$/, '');
    if (path !== REQUESTS_ADMIN_PATH)
      return sendError(res, new ApiError(404, 'NotFound', `no such path ${path}`));
    serveReadReset(req.method, res, REQUESTS_ADMIN_PATH, {
      read: () => ({ requests: this.counts() }),
      reset: () => this.reset(),
    });
  }
}
