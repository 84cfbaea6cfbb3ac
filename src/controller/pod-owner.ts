import type { OwnerReference, Workload } from '../kube/types.ts';
import type { WorkloadKind } from './workload-kinds.ts';

/** A restored workload (labelled `velero.io/restore-name`) from the informer caches. */
export type CachedWorkloadLookup = (
  kind: WorkloadKind,
  namespace: string,
  name: string,
) => Workload | undefined;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The restored workload that controls a pod, from the caches alone (the pod webhook may not call the API; the
 * Restore's counts are computed synchronously): its controller reference names a cached StatefulSet, DaemonSet or
 * ReplicaSet (same uid), or a ReplicaSet that a cached Deployment created. A Deployment's ReplicaSets carry no
 * restore label, so no cache holds them: the Deployment is the one whose name the ReplicaSet's bears before
 * `-<pod-template-hash>`, as the Deployment controller names them (anyone who may create ReplicaSets in that
 * namespace can name one so: docs/operations.md, "Threat model"). `uncached` when the workload named may simply not
 * be cached yet.
 */
export function cachedControllingWorkload(
  metadata: Readonly<Record<string, unknown>>,
  namespace: string,
  workloadOf: CachedWorkloadLookup,
): { workload: Workload } | { uncached: boolean } {
  const refs = Array.isArray(metadata.ownerReferences) ? metadata.ownerReferences.filter(isRecord) : [];
  const owner = refs.find((r) => r.controller === true) as Partial<OwnerReference> | undefined;
  if (!owner || typeof owner.name !== 'string' || typeof owner.kind !== 'string') return { uncached: false };
  if (owner.kind === 'StatefulSet' || owner.kind === 'DaemonSet' || owner.kind === 'ReplicaSet') {
    const cached = workloadOf(owner.kind, namespace, owner.name);
    if (cached) return cached.metadata.uid === owner.uid ? { workload: cached } : { uncached: false };
  }
  if (owner.kind !== 'ReplicaSet')
    return { uncached: owner.kind === 'StatefulSet' || owner.kind === 'DaemonSet' };
  const labels = isRecord(metadata.labels) ? metadata.labels : {};
  const hash = labels['pod-template-hash'];
  if (typeof hash !== 'string' || hash === '' || !owner.name.endsWith(`-${hash}`)) return { uncached: true };
  const deployment = workloadOf('Deployment', namespace, owner.name.slice(0, -hash.length - 1));
  return deployment ? { workload: deployment } : { uncached: true };
}
