/**
 * Subresources the devcluster knowingly does not serve, answered with a clear 405 instead of a bare 404, so that
 * `kubectl logs`, `port-forward`, `attach`, `create token`, `drain` ... say why they cannot work here.
 * docs/devcluster-semantics.md lists them with the message a user sees.
 */
import { errors } from '../api/errors.ts';
import type { ApiError } from '../api/errors.ts';

const UNSUPPORTED: Record<string, string> = {
  'pods/log': 'its simulated containers write no logs',
  'pods/portforward': 'its simulated pods have no network endpoints to forward to',
  'pods/attach': 'its simulated containers have no console to attach to',
  'pods/eviction': 'it has no eviction API (delete the pod instead)',
  'pods/ephemeralcontainers': 'it runs no ephemeral containers',
  'pods/resize': 'it does not resize pods in place',
  'serviceaccounts/token': 'it issues no ServiceAccount tokens (TokenRequest)',
};

export function unsupportedSubresource(resource: string, subresource: string): ApiError | undefined {
  const why = UNSUPPORTED[`${resource}/${subresource}`];
  return why === undefined
    ? undefined
    : errors.methodNotAllowed(`${resource}/${subresource} is not supported by the devcluster: ${why}`);
}
