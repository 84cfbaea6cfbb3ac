import type { V1Lease } from '@kubernetes/client-node';
import type { KubeJsonClient } from './kube-json-client.ts';
import type { LeaseClient } from './machinery/leader-election.ts';

const leases = (namespace: string) => `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`;

/**
 * The Lease calls of leader election in plain JSON, over the controller's own transport instead of client-node's
 * CoordinationV1Api (whose generated models the controller does not load). Failures throw ApiException as the
 * typed client does; times stay RFC 3339 strings.
 */
export function jsonLeaseClient(client: KubeJsonClient): LeaseClient {
  return {
    readNamespacedLease: ({ name, namespace }) =>
      client.request<V1Lease>({ method: 'GET', path: `${leases(namespace)}/${name}` }),
    createNamespacedLease: ({ namespace, body }) =>
      client.request<V1Lease>({ method: 'POST', path: leases(namespace), body }),
    replaceNamespacedLease: ({ name, namespace, body }) =>
      client.request<V1Lease>({ method: 'PUT', path: `${leases(namespace)}/${name}`, body }),
  };
}
