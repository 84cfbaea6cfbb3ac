import { matchesLabelSelector, parseLabelSelector } from '../../hooks/selector.ts';
import { controllerOf } from '../../kube/owners.ts';
import type { Pod, Workload } from '../../kube/types.ts';
import type { TopOwner } from '../owner-chain.ts';
import type { WorkloadKind } from '../workload-kinds.ts';

/** The top of a pod's controller chain as known without an API read; 'unknown' when that needs a read. */
export type KnownTopOwner = (pod: Pod) => TopOwner | undefined | 'unknown';

/**
 * Owners whose `status.replicas` counts every active pod they own (not being deleted, not finished), from the sync
 * that last saw them: a ReplicaSet, and a Deployment (the sum over its ReplicaSets).
 */
const COUNTING_OWNERS: ReadonlySet<WorkloadKind> = new Set(['Deployment', 'ReplicaSet']);

interface ReplicaCounts {
  readonly observedGeneration?: number;
  readonly replicas?: number;
  readonly updatedReplicas?: number;
}

/**
 * The workload's pods from the pending-pod cache alone, when its owner's own count proves that none of them is
 * outside that cache; undefined when it does not (the reconcile then lists the pods from the API).
 *
 * Only pending pods are cached, and a decision that may roll the workload out must see its other pods: a started
 * pod that holds data Velero restored into an emptyDir, say. Those pods are never hidden when
 * - the owner has seen its current spec (`status.observedGeneration` ≥ `generation`), its count is of the wanted
 *   size (`status.replicas` = `spec.replicas`) and, for a Deployment, all at the current template
 *   (`status.updatedReplicas` = `status.replicas`: no roll-out of old pods under way); and
 * - the cache holds exactly `status.replicas` active pods whose controller chain leads to the workload.
 * A started pod is counted by its owner but has left the pending cache, so the cache falls short of the count. A
 * pod the owner has not counted yet was created after its last status write, and is pending until it starts (a pod
 * holding restored data waits in Velero's restore-wait first), so it is in the cache unless it started meanwhile.
 *
 * Pending pods that the selector matches and that have no controller (restored, awaiting adoption) are the
 * workload's too, as in the live list; a restored pod that starts before its ReplicaSet adopts it is counted by the
 * ReplicaSet's first sync, which adopts it before it counts. A pending pod whose chain is not known without a read
 * (its ReplicaSet was never seen) withholds the proof.
 *
 * What a live list would show and this does not: started pods already being deleted (not counted by their owner).
 * They are on their way out; no decision can add hooks to them, and a roll-out cannot lose what their deletion
 * already loses.
 */
export function podsFromPendingCache(
  kind: WorkloadKind,
  workload: Workload,
  pendingInNamespace: readonly Pod[],
  knownTopOwner: KnownTopOwner,
): Pod[] | undefined {
  if (!COUNTING_OWNERS.has(kind)) return undefined;
  const status = workload.status as ReplicaCounts | undefined;
  const generation = workload.metadata.generation ?? 0;
  if (typeof status?.observedGeneration !== 'number' || status.observedGeneration < generation)
    return undefined;
  // Go's omitempty leaves zero counts out of the status.
  const replicas = status.replicas ?? 0;
  if (replicas !== (workload.spec.replicas ?? 1)) return undefined;
  if (kind === 'Deployment' && (status.updatedReplicas ?? 0) !== replicas) return undefined;
  // The live list would select by it; an empty or invalid one (the API server rejects both) proves nothing.
  const parsed = parseLabelSelector(workload.spec.selector, 'spec.selector');
  if (!parsed.ok || parsed.selector.requirements.length === 0) return undefined;
  const { selector } = parsed;
  const uid = workload.metadata.uid;
  const pods: Pod[] = [];
  let counted = 0;
  for (const pod of pendingInNamespace) {
    if (!matchesLabelSelector(selector, pod.metadata.labels)) continue;
    if (controllerOf(pod.metadata) === undefined) {
      pods.push(pod);
      continue;
    }
    const top = knownTopOwner(pod);
    if (top === 'unknown') return undefined;
    if (top === undefined || top.uid !== uid || top.kind !== kind) continue;
    pods.push(pod);
    if (pod.metadata.deletionTimestamp === undefined) counted++;
  }
  return counted === replicas ? pods : undefined;
}
