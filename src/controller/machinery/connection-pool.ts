import { wrapHttpLibrary } from '@kubernetes/client-node';
import type { HttpLibrary, RequestContext, ResponseContext } from '@kubernetes/client-node';

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

/**
 * Sends every request through one connection pool, as client-go shares one transport per TLS configuration.
 *
 * client-node's `KubeConfig.applySecurityAuthentication` gives every request a new undici Agent, so each request
 * opened and TLS-handshook a connection of its own (a new SecureContext, certificate checks on both ends) and left
 * it idle until undici's keep-alive timeout. The first request's Agent is kept and every later request is sent
 * through it instead; the Agent created for that request is closed unused (it has no connection yet). The TLS
 * options come from the same kubeconfig every time; bearer tokens are headers and still re-read per request, while
 * a rotated client certificate or CA file is picked up at the next start (client-go's transport cache is keyed by
 * the TLS configuration at creation, too).
 *
 * Keep-alive makes requests much cheaper, which shortens the time between a controller's own write and the watch
 * event that brings it into its caches less than it shortens everything else: reconcilers must not read a cache
 * that lags behind their own writes (see `OwnWrites`).
 */
export function sharedConnectionPool(inner: HttpLibrary): HttpLibrary {
  let shared: Dispatcher | undefined;
  return wrapHttpLibrary({
    send(request: RequestContext): Promise<ResponseContext> {
      const created = request.getDispatcher();
      if (created !== undefined && created !== shared) {
        if (shared === undefined) shared = created;
        else {
          request.setDispatcher(shared);
          void created.close().catch(() => undefined);
        }
      }
      return inner.send(request).toPromise();
    },
  });
}
