import { planHooks } from '../../hooks/plan.ts';
import type { HookPlan } from '../../hooks/plan.ts';
import type { HookPolicy } from '../../hooks/policy.ts';
import type { RestoreHooks } from '../../hooks/validate.ts';
import type { Pod } from '../../kube/types.ts';
import { ObjectMemo } from '../object-memo.ts';

/** Plans made of a cached pod, by object: its reconciles and the Restore's status refreshes plan the same one. */
const plans = new ObjectMemo(
  (
    pod: Pod,
    annotations: Readonly<Record<string, string>> | undefined,
    hooks: RestoreHooks,
    policy: HookPolicy,
  ): HookPlan =>
    planHooks(
      hooks,
      {
        namespace: pod.metadata.namespace ?? '',
        labels: pod.metadata.labels ?? {},
        annotations: annotations ?? {},
        podSpec: pod.spec,
      },
      { policy },
    ),
);

/**
 * The hooks of a Restore for one pod, with the hook annotations that apply to it (its own, or its workload
 * template's); remembered per pod object with the annotations, hooks and policy it was planned from.
 */
export function podHookPlan(
  pod: Pod,
  annotations: Readonly<Record<string, string>> | undefined,
  hooks: RestoreHooks,
  policy: HookPolicy,
): HookPlan {
  return plans.get(pod, annotations, hooks, policy);
}
