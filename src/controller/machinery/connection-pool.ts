import type { HttpLibrary, RequestContext, ResponseContext } from '@kubernetes/client-node';
import { wrapHttpLibrary } from './client-node.ts';

/** undici's Dispatcher, as client-node's RequestContext carries it (undici is client-node's dependency, not ours). */
type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;
type Interceptor = Extract<Parameters<Dispatcher['compose']>[0], (...args: never[]) => unknown>;

/**
 * Sends every request through one connection pool, as client-go shares one transport per TLS configuration.
 *
 * client-node's `KubeConfig.applySecurityAuthentication` gives every request a new undici Agent, so each request
 * opened and TLS-handshook a connection of its own (a new SecureContext, certificate checks on both ends) and left
 * it idle until undici's keep-alive timeout. The first request's Agent is kept and every later request is sent
 * through it instead; the Agents dropped never connected, so there is nothing to close (closing each one cost an
 * error object). The TLS options come from the same kubeconfig every time; bearer tokens are headers and still
 * re-read per request, while a rotated client certificate or CA file is picked up at the next start (client-go's
 * transport cache is keyed by the TLS configuration at creation, too).
 *
 * Keep-alive makes requests much cheaper, which shortens the time between a controller's own write and the watch
 * event that brings it into its caches less than it shortens everything else: reconcilers must not read a cache
 * that lags behind their own writes (see `OwnWrites`).
 */
export function sharedConnectionPool(inner: HttpLibrary): HttpLibrary {
  let shared: Dispatcher | undefined;
  let first: Dispatcher | undefined;
  return wrapHttpLibrary({
    send(request: RequestContext): Promise<ResponseContext> {
      const created = request.getDispatcher();
      if (created !== undefined && created !== first) {
        if (shared === undefined) {
          first = created;
          shared = created.compose(keepConnectionAfterDeleteBody);
        }
        request.setDispatcher(shared);
      }
      return inner.send(request).toPromise();
    },
  });
}

/**
 * undici closes the connection after any request that has a body but whose method does not expect one, DELETE
 * included, for servers that would not read it. The Kubernetes API reads a DELETE's body (DeleteOptions: the
 * uid and resourceVersion preconditions), so the connection stays open: without this, every guarded delete
 * cost a new TLS connection for the request after it.
 */
const keepConnectionAfterDeleteBody: Interceptor = (dispatch) => (options, handler) =>
  dispatch(options.method === 'DELETE' ? { ...options, reset: false } : options, handler);
