import { matchesLabelSelector, parseLabelSelector } from '../../hooks/selector.ts';
import type { RestoreHooks } from '../../hooks/validate.ts';
import { controllerOf } from '../../kube/owners.ts';
import type { Pod, Workload } from '../../kube/types.ts';
import { RESTORE_NAME_LABEL } from '../../kube/velero-labels.ts';
import { changedThroughItsDeployment, workloadKey } from '../init-hooks/workload-reconciler.ts';
import { ownHooksMayMissTemplate } from '../init-hooks/pod-plan.ts';
import { EXEC_HOOKS_ANNOTATION } from '../marks.ts';
import { isRestoreMember } from '../membership.ts';
import { cachedControllingWorkload } from '../pod-owner.ts';
import type { CachedWorkloadLookup } from '../pod-owner.ts';
import type { RestoreObject } from '../restore-directory.ts';
import { WORKLOAD_KINDS } from '../workload-kinds.ts';
import type { WorkloadKind } from '../workload-kinds.ts';
import type { MemberWorkload, OtherPod } from './init-hooks-tally.ts';

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
  return memberWorkloads(workloadsLabelled, labelValue, restore, hooks).map(({ kind, workload }) =>
    workloadKey(kind, workload.metadata.namespace ?? '', workload.metadata.name ?? ''),
  );
}

function memberWorkloads(
  workloadsLabelled: (kind: WorkloadKind, labelValue: string) => readonly Workload[],
  labelValue: string,
  restore: RestoreObject,
  hooks: MembershipHooks,
): { kind: WorkloadKind; workload: Workload }[] {
  return WORKLOAD_KINDS.flatMap((kind) =>
    workloadsLabelled(kind, labelValue)
      .filter((w) => !changedThroughItsDeployment(kind, w) && isRestoreMember(w.metadata, restore, hooks))
      .map((workload) => ({ kind, workload })),
  );
}

/** The caches the InitHooksApplied observation reads. */
export interface InitHooksCaches {
  readonly workloadsLabelled: (kind: WorkloadKind, labelValue: string) => readonly Workload[];
  readonly getWorkload: CachedWorkloadLookup;
  readonly pendingPods: () => readonly Pod[];
  /** Pods with restore-hooks' mark, and pods Velero restored, carrying the label value. */
  readonly podsLabelled: (labelValue: string) => readonly Pod[];
  readonly replicaSetsAwaitingAdoption: (deployment: Workload) => readonly Workload[];
  /** Restored Jobs carrying the label value. */
  readonly jobsLabelled: (labelValue: string) => readonly Workload[];
}

const selectors = new WeakMap<Workload, ReturnType<typeof parseLabelSelector>>();

/** The workload's selector selects the pod (an empty or invalid selector selects nothing, as the API server has it). */
function selects(workload: Workload, pod: Pod): boolean {
  let parsed = selectors.get(workload);
  if (!parsed)
    selectors.set(workload, (parsed = parseLabelSelector(workload.spec.selector, 'spec.selector')));
  return (
    parsed.ok &&
    parsed.selector.requirements.length > 0 &&
    matchesLabelSelector(parsed.selector, pod.metadata.labels)
  );
}

/** The restored workload at the top of a pod's controller chain, from the caches (a Deployment for its ReplicaSets). */
function cachedTopWorkload(
  pod: Pod,
  getWorkload: CachedWorkloadLookup,
): { kind: WorkloadKind; workload: Workload } | undefined {
  const namespace = pod.metadata.namespace ?? '';
  const owner = controllerOf(pod.metadata);
  const found = cachedControllingWorkload(pod.metadata, namespace, getWorkload);
  if (!owner || !('workload' in found)) return undefined;
  const { workload } = found;
  // Not the controller itself: the Deployment whose ReplicaSet (not cached) the pod's controller is.
  if (workload.metadata.uid !== owner.uid) return { kind: 'Deployment', workload };
  const above = controllerOf(workload.metadata);
  if (above?.kind !== 'Deployment') return { kind: owner.kind as WorkloadKind, workload };
  const deployment = getWorkload('Deployment', namespace, above.name);
  return deployment?.metadata.uid === above.uid ? { kind: 'Deployment', workload: deployment } : undefined;
}

/**
 * The Restore's member workloads with the pods the caches hold of each (pending pods of their namespaces, pods with
 * restore-hooks' mark or Velero's label), and the Restore's other pods the pod reconcile reports: pods without a
 * controller (bare, or awaiting adoption), pods of its restored Jobs, and pods whose own hook annotations may miss
 * their workload's template.
 */
export function initHooksMembers(
  caches: InitHooksCaches,
  labelValue: string,
  restore: RestoreObject,
  hooks: MembershipHooks,
): { members: MemberWorkload[]; otherPods: OtherPod[] } {
  const found = memberWorkloads(caches.workloadsLabelled, labelValue, restore, hooks);
  const jobs = new Map(caches.jobsLabelled(labelValue).map((j) => [j.metadata.uid, j]));
  const namespaces = new Set(
    [...found.map((m) => m.workload), ...jobs.values()].map((w) => w.metadata.namespace ?? ''),
  );
  const candidates = new Map<string, Pod>();
  for (const pod of caches.podsLabelled(labelValue)) candidates.set(pod.metadata.uid ?? '', pod);
  for (const pod of caches.pendingPods())
    if (
      namespaces.has(pod.metadata.namespace ?? '') ||
      pod.metadata.labels?.[RESTORE_NAME_LABEL] === labelValue
    )
      candidates.set(pod.metadata.uid ?? '', pod);
  const podsOf = new Map<Workload, Pod[]>(found.map((m) => [m.workload, []]));
  const otherPods: OtherPod[] = [];
  for (const pod of candidates.values()) {
    if (controllerOf(pod.metadata) === undefined) {
      const namespace = pod.metadata.namespace ?? '';
      for (const m of found)
        if (m.workload.metadata.namespace === namespace && selects(m.workload, pod))
          podsOf.get(m.workload)!.push(pod);
      if (pod.metadata.labels?.[RESTORE_NAME_LABEL] === labelValue) otherPods.push({ pod });
      continue;
    }
    const job = jobs.get(controllerOf(pod.metadata)?.uid);
    if (job) {
      otherPods.push({ pod, job });
      continue;
    }
    const top = cachedTopWorkload(pod, caches.getWorkload);
    const pods = top && podsOf.get(top.workload);
    if (!pods) continue;
    pods.push(pod);
    if (ownHooksMayMissTemplate(pod, top.workload)) otherPods.push({ pod, owner: top });
  }
  const members = found.map(({ kind, workload }) => ({
    kind,
    workload,
    pods: podsOf.get(workload)!,
    replicaSetsAwaitingAdoption:
      kind === 'Deployment'
        ? caches.replicaSetsAwaitingAdoption(workload).map((rs) => rs.metadata.name ?? '')
        : [],
  }));
  return { members, otherPods };
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
