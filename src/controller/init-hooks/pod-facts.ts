import type { RestoreHooks } from '../../hooks/validate.ts';
import type { HookPolicy } from '../../hooks/policy.ts';
import type { Pod, PodTemplateSpec } from '../../kube/types.ts';
import { RESTORE_NAME_LABEL } from '../../kube/velero-labels.ts';
import { createdDuringRestore } from '../membership.ts';
import {
  appContainersStarted,
  leavesUnstarted,
  hasRestoreWait,
  holdsPodLocalRestoredData,
  isStillPending,
} from '../pod-progress.ts';
import { podHookPlan } from './pod-hook-plan.ts';
import { initHooksState } from './template-hooks.ts';
import type { PodFacts } from './workload-decision.ts';

/** The StatefulSet ordinal at the end of a pod name (`db-2` → 2). */
export function statefulSetOrdinal(podName: string): number | undefined {
  const m = /-(\d+)$/.exec(podName);
  return m ? Number(m[1]) : undefined;
}

/**
 * Facts about one pod of a workload. Whether it has its hooks is judged against the hooks of the workload's
 * template (its own annotations never count: only the template's), using the pod's labels for selectors.
 */
export function podFacts(
  pod: Pod,
  template: PodTemplateSpec,
  hooks: RestoreHooks,
  policy: HookPolicy,
  restoreStart: string | undefined,
): PodFacts {
  const plan = podHookPlan(pod, template.metadata?.annotations, hooks, policy);
  const state = initHooksState(plan, false);
  const initialized =
    appContainersStarted(pod) ||
    (pod.status?.conditions ?? []).some((c) => c.type === 'Initialized' && c.status === 'True');
  const ordinal = statefulSetOrdinal(pod.metadata.name ?? '');
  const deletedBeforeStart = leavesUnstarted(pod);
  return {
    name: pod.metadata.name ?? '',
    uid: pod.metadata.uid ?? '',
    hasHooks: state === 'present' || state === 'none',
    stillPending: isStillPending(pod),
    createdDuringRestore: createdDuringRestore(pod.metadata, restoreStart),
    ...(pod.metadata.labels?.[RESTORE_NAME_LABEL] !== undefined ? { restoredByVelero: true } : {}),
    restoreWait: hasRestoreWait(pod),
    holdsRestoredData: holdsPodLocalRestoredData(pod),
    initialized,
    ...(ordinal !== undefined ? { ordinal } : {}),
    ...(deletedBeforeStart ? { deletedBeforeStart } : {}),
  };
}
