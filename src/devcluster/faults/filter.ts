/** Plugs a FaultInjector into the devcluster's HTTP layer as a request filter. */
import type { RequestFilter, WatchStreamControl } from '../http/extension-points.ts';
import type { FaultInjector } from './injector.ts';
import type { FaultRequest } from './rules.ts';

export function faultFilter(injector: FaultInjector): RequestFilter {
  return async (context) => {
    const { info } = context;
    if (!info.isResourceRequest) return;
    const request: FaultRequest = {
      verb: info.verb,
      apiGroup: info.apiGroup,
      resource: info.resource,
      ...(info.subresource ? { subresource: info.subresource } : {}),
      ...(info.namespace ? { namespace: info.namespace } : {}),
      ...(info.name ? { name: info.name } : {}),
    };
    await injector.beforeRequest(request);
    if (info.verb === 'watch')
      context.onWatch((watch: WatchStreamControl) => injector.attachWatch(request, watch));
  };
}
