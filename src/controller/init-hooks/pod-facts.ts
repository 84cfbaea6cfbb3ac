import type { RestoreHooks } from '../../hooks/validate.ts';
import type { HookPolicy } from '../../hooks/policy.ts';
import { planHooks } from '../../hooks/plan.ts';
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
import { initHooksState } from './template-hooks.ts';
import type { PodFacts } from './workload-decision.ts';

/** The StatefulSet ordinal at the end of a pod name (`db-2` → 2). */
export function statefulSetOrdinal(podName: string): number | undefined {
  const m = /-(\d+)$/.exec(podName);
  return m ? Number(m[1]) : undefined;
}

/** Facts made of a cached pod, by object, with what they were made from: each reconcile and status refresh reuses them. */
const factsOf = new WeakMap<
  Pod,
  {
    annotations: Readonly<Record<string, string>> | undefined;
    hooks: RestoreHooks;
    policy: HookPolicy;
    restoreStart: string | undefined;
    facts: PodFacts;
  }
>();

/**
 * Facts about one pod of a workload. Whether it has its hooks is judged against the hooks of the workload's
 * template (its own annotations never count: only the template's), using the pod's labels for selectors. Remembered
 * per pod object (the caches replace a pod on every change, never change it in place).
 */
export function podFacts(
  pod: Pod,
  template: PodTemplateSpec,
  hooks: RestoreHooks,
  policy: HookPolicy,
  restoreStart: string | undefined,
): PodFacts {
  const annotations = template.metadata?.annotations;
  const known = factsOf.get(pod);
  if (
    known &&
    known.annotations === annotations &&
    known.hooks === hooks &&
    known.policy === policy &&
    known.restoreStart === restoreStart
  )
    return known.facts;
  const facts = factsFrom(pod, annotations ?? {}, hooks, policy, restoreStart);
  factsOf.set(pod, { annotations, hooks, policy, restoreStart, facts });
  return facts;
}

function factsFrom(
  pod: Pod,
  annotations: Readonly<Record<string, string>>,
  hooks: RestoreHooks,
  policy: HookPolicy,
  restoreStart: string | undefined,
): PodFacts {
  const plan = planHooks(
    hooks,
    {
      namespace: pod.metadata.namespace ?? '',
      labels: pod.metadata.labels ?? {},
      annotations,
      podSpec: pod.spec,
    },
    { policy },
  );
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
