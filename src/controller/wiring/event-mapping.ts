import { hasErrors } from '../../hooks/problems.ts';
import type { RestoreHooks } from '../../hooks/validate.ts';
import { controllerOf } from '../../kube/owners.ts';
import type { Pod, Workload } from '../../kube/types.ts';
import { RESTORE_NAME_LABEL } from '../../kube/velero-labels.ts';
import { workloadKey } from '../init-hooks/workload-reconciler.ts';
import type { EventMapping } from '../machinery/event-handlers.ts';
import type { KubeObject } from '../machinery/kube-object.ts';
import type { OwnerChain } from '../owner-chain.ts';
import { cachedControllingWorkload } from '../pod-owner.ts';
import type { CachedWorkloadLookup } from '../pod-owner.ts';
import type { RestoreLookup, RestoreObject } from '../restore-directory.ts';
import { restoreKey } from '../restore-key.ts';
import { LEDGER_RESTORE_ANNOTATION } from '../restores/ledger-store.ts';
import type { WorkloadKind } from '../workload-kinds.ts';

/**
 * Which work each informer event causes: the one place that maps a change of a cached object to the keys of the
 * controllers it concerns (controller-runtime's handler.EnqueueRequestsFromMapFunc). Pure, given the cache lookups
 * they are handed; reconcilers never enqueue work for another controller, these mappings do.
 */

/** A pod's key in the pod and exec work queues (`namespace/name`). */
export function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

/** Restore → restore controller: its own key, on every change (a deletion too: it drops what is kept for it). */
export const restoreEventKeys: EventMapping<RestoreObject> = (event) => [restoreKey(event.object)];

/**
 * Ledger shard → restore controller: a ledger added for a Restore that is not cached (deleted while no controller
 * ran); reconciling the missing Restore deletes the ledger.
 */
export function orphanLedgerKeys(restoreExists: (key: string) => boolean): EventMapping<KubeObject> {
  return (event) => {
    if (event.type !== 'add') return [];
    const ledgerOf = event.object.metadata?.annotations?.[LEDGER_RESTORE_ANNOTATION];
    return ledgerOf && !restoreExists(ledgerOf) ? [ledgerOf] : [];
  };
}

const keyOf = (kind: WorkloadKind, workload: Workload): string =>
  workloadKey(kind, workload.metadata.namespace ?? '', workload.metadata.name ?? '');
/**
 * Restore → workload controller: the keys of its member workloads on add and update, so that a change of the Restore
 * (its phase, its hooks) reaches each workload's decision; nothing while its hooks are invalid (no workload is
 * written until they are fixed, and the fix is an update) or once it is deleted.
 */
export function restoreMemberWorkloadKeys(
  hooksOf: (restore: RestoreObject) => Pick<RestoreHooks, 'problems'>,
  memberWorkloads: (restore: RestoreObject) => readonly string[],
): EventMapping<RestoreObject> {
  return (event) =>
    event.type === 'delete' || hasErrors(hooksOf(event.object).problems) ? [] : memberWorkloads(event.object);
}

/** Restored workload → workload controller: its own key on add and update; a deleted workload needs nothing. */
export function workloadEventKeys(kind: WorkloadKind): EventMapping<Workload> {
  return (event) => (event.type === 'delete' ? [] : [keyOf(kind, event.object)]);
}

/**
 * Pending pod → pod controller: its own key on every change. Deletions matter too: a bare pod being replaced is
 * recreated once its predecessor is gone.
 */
export const pendingPodKeys: EventMapping<Pod> = (event) => [podKey(event.object)];

/**
 * Pending pod → workload controller: a pod with a workload controller (not a Job) is the business of the restored
 * workloads at the top of its controller chain, as the caches know them (`OwnerChain.restoredWorkloadsConcerned`:
 * no API read). On add and update; a deleted pending pod concerns no workload.
 */
export function concernedWorkloadKeys(
  owners: Pick<OwnerChain, 'restoredWorkloadsConcerned'>,
): EventMapping<Pod> {
  return (event) => {
    if (event.type === 'delete') return [];
    const pod = event.object;
    const owner = controllerOf(pod.metadata);
    if (!owner || owner.kind === 'Job') return [];
    return owners
      .restoredWorkloadsConcerned(pod)
      .map(({ kind, workload }) =>
        workloadKey(kind, pod.metadata.namespace ?? '', workload.metadata.name ?? ''),
      );
  };
}

/**
 * Hooked (or Velero-restored) pod → exec controller: its own key on add and update. A deletion goes through
 * `ExecHookReconciler.podDeleted`, which keeps the pod's last state for its hook counts.
 */
export const watchedPodExecKeys: EventMapping<Pod> = (event) =>
  event.type === 'delete' ? [] : [podKey(event.object)];

/** Whether the pods of a restored workload may need exec hooks claimed (`execSweepWanted`, given the Restore). */
export type ExecSweepWanted = (
  kind: WorkloadKind,
  workload: Workload,
  lookup: RestoreLookup | undefined,
) => boolean;

/**
 * Restored workload → exec controller: its workload key (the exec controller claims the pods it may have that no
 * cache holds, once per Restore), on add and update, when its Restore wants that or is not cached yet (at start the
 * Restore may be listed after the workload; the reconcile decides once the caches have synced).
 */
export function workloadExecSweepKeys(
  kind: WorkloadKind,
  restoreOf: (labelValue: string) => RestoreLookup,
  wanted: ExecSweepWanted,
): EventMapping<Workload> {
  return (event) => {
    if (event.type === 'delete') return [];
    const workload = event.object;
    const labelValue = workload.metadata.labels?.[RESTORE_NAME_LABEL];
    if (labelValue === undefined) return [];
    const lookup = restoreOf(labelValue);
    return lookup.found && !wanted(kind, workload, lookup) ? [] : [keyOf(kind, workload)];
  };
}

/**
 * Restore → exec controller: the workload keys of its restored workloads whose pods may need exec hooks claimed,
 * from the workload caches, when it is added, and when an update makes it want sweeps (it became valid, or active:
 * `restoreWanted`, the Restore's part of `wanted`), which brings the pods created meanwhile. Other updates (its
 * status, once a second) map to nothing: its workloads' sweeps were asked for already.
 */
export function restoreExecSweepKeys(
  workloadsOf: (restore: RestoreObject) => readonly { kind: WorkloadKind; workload: Workload }[],
  hooksOf: (restore: RestoreObject) => RestoreHooks,
  wanted: ExecSweepWanted,
  restoreWanted: (restore: RestoreObject, hooks: RestoreHooks) => boolean,
): EventMapping<RestoreObject> {
  return (event) => {
    if (event.type === 'delete') return [];
    if (event.type === 'update' && restoreWanted(event.oldObject, hooksOf(event.oldObject))) return [];
    const restore = event.object;
    const lookup: RestoreLookup = { found: true, restore, hooks: hooksOf(restore) };
    return workloadsOf(restore)
      .filter(({ kind, workload }) => wanted(kind, workload, lookup))
      .map(({ kind, workload }) => keyOf(kind, workload));
  };
}

/**
 * Hooked (or Velero-restored) pod → restore controller: an update may change the Restore's counts (hook init
 * containers finishing, exec hooks recorded), and so may a deletion (its open exec hooks leave ExecHooksCompleted's
 * count; its counts stay in the ledger); the key of the Restore its labels name, when that Restore is found.
 */
export function podRestoreStatusKeys(
  restoreOf: (labels: Readonly<Record<string, string>> | undefined) => RestoreLookup | undefined,
): EventMapping<Pod> {
  return (event) => {
    if (event.type === 'add') return [];
    const lookup = restoreOf(event.object.metadata.labels);
    return lookup?.found ? [restoreKey(lookup.restore)] : [];
  };
}

type RestoreOfLabels = (labels: Readonly<Record<string, string>> | undefined) => RestoreLookup | undefined;

/**
 * Restored workload → restore controller (its status): on every change, the Restore its labels name, when found. The
 * workload's state is what InitHooksApplied counts it from.
 */
export function restoreWorkloadStatusKeys(restoreOf: RestoreOfLabels): EventMapping<Workload> {
  return (event) => {
    const lookup = restoreOf(event.object.metadata.labels);
    return lookup?.found ? [restoreKey(lookup.restore)] : [];
  };
}

/**
 * Pending or Velero-restored pod → restore controller (its status): on every change, the Restore its labels name, else
 * the one the restored workload or Job controlling it names (from the caches), when found: InitHooksApplied counts
 * the restore's pods.
 */
export function restorePodStatusKeys(
  restoreOf: RestoreOfLabels,
  workloadOf: CachedWorkloadLookup,
  jobOf: (namespace: string, name: string) => Workload | undefined,
): EventMapping<Pod> {
  return (event) => {
    const pod = event.object;
    const namespace = pod.metadata.namespace ?? '';
    const controller = controllerOf(pod.metadata);
    let lookup = restoreOf(pod.metadata.labels);
    if (!lookup && controller?.kind === 'Job') {
      const job = jobOf(namespace, controller.name);
      if (job?.metadata.uid === controller.uid) lookup = restoreOf(job.metadata.labels);
    } else if (!lookup && controller) {
      const owner = cachedControllingWorkload(pod.metadata, namespace, workloadOf);
      if ('workload' in owner) lookup = restoreOf(owner.workload.metadata.labels);
    }
    return lookup?.found ? [restoreKey(lookup.restore)] : [];
  };
}
