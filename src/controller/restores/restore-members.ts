import type { RestoreHooks } from '../../hooks/validate.ts';
import type { Pod, Workload } from '../../kube/types.ts';
import { RESTORE_NAME_LABEL } from '../../kube/velero-labels.ts';
import { changedThroughItsDeployment, workloadKey } from '../init-hooks/workload-reconciler.ts';
import { EXEC_HOOKS_ANNOTATION } from '../marks.ts';
import { isRestoreMember } from '../membership.ts';
import { cachedControllingWorkload } from '../pod-owner.ts';
import type { CachedWorkloadLookup } from '../pod-owner.ts';
import type { RestoreObject } from '../restore-directory.ts';
import { WORKLOAD_KINDS } from '../workload-kinds.ts';
import type { WorkloadKind } from '../workload-kinds.ts';

type MembershipHooks = Pick<RestoreHooks, 'namespaceMapping' | 'includedNamespaces' | 'excludedNamespaces'>;

/**
 * Keys of the workloads a Restore's hooks are written into: restored workloads labelled with its label value,
 * members of the Restore (restoreMembership), and not a Deployment's ReplicaSet (changed through its Deployment).
 */
export function memberWorkloadKeys(
  workloadsLabelled: (kind: WorkloadKind, labelValue: string) => readonly Workload[],
  labelValue: string,
  restore: RestoreObject,
  hooks: MembershipHooks,
): string[] {
  return WORKLOAD_KINDS.flatMap((kind) =>
    workloadsLabelled(kind, labelValue)
      .filter((w) => !changedThroughItsDeployment(kind, w) && isRestoreMember(w.metadata, restore, hooks))
      .map((w) => workloadKey(kind, w.metadata.namespace ?? '', w.metadata.name ?? '')),
  );
}

/**
 * The pods whose hooks count for a Restore: those restore-hooks marked with the label value, and Velero's restored
 * pods with an exec record of ours, once each, that are members of the Restore. A pod with only our mark (anyone may
 * copy it into a template, or put it on a pod) counts when the restored workload that controls it is the Restore's.
 */
export function memberPods(
  pods: { readonly hooked: readonly Pod[]; readonly velero: readonly Pod[] },
  workloadOf: CachedWorkloadLookup,
  labelValue: string,
  restore: RestoreObject,
  hooks: MembershipHooks,
): Pod[] {
  const candidates = [
    ...pods.hooked,
    ...pods.velero.filter((p) => p.metadata.annotations?.[EXEC_HOOKS_ANNOTATION] !== undefined),
  ];
  const ownedByMember = (p: Pod): boolean => {
    if (p.metadata.labels?.[RESTORE_NAME_LABEL] !== undefined) return true;
    const owner = cachedControllingWorkload(p.metadata, p.metadata.namespace ?? '', workloadOf);
    return (
      'workload' in owner &&
      owner.workload.metadata.labels?.[RESTORE_NAME_LABEL] === labelValue &&
      isRestoreMember(owner.workload.metadata, restore, hooks)
    );
  };
  return [...new Map(candidates.map((p) => [p.metadata.uid, p])).values()].filter(
    (p) => isRestoreMember(p.metadata, restore, hooks) && ownedByMember(p),
  );
}
