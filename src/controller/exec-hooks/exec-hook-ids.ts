import { mayHaveExecHooks, planHooks } from '../../hooks/plan.ts';
import type { HookPolicy } from '../../hooks/policy.ts';
import type { RestoreHooks } from '../../hooks/validate.ts';
import type { Pod } from '../../kube/types.ts';

/**
 * The ids of the exec hooks a Restore's hooks give a pod, in order; the pod is planned only when some may apply
 * (planning costs more than anything else the Restore's counts do).
 */
export function execHookIds(hooks: RestoreHooks, pod: Pod, policy: HookPolicy): string[] {
  const annotations = pod.metadata.annotations ?? {};
  if (!mayHaveExecHooks(hooks, annotations)) return [];
  const target = {
    namespace: pod.metadata.namespace ?? '',
    labels: pod.metadata.labels ?? {},
    annotations,
    podSpec: pod.spec,
  };
  return planHooks(hooks, target, { policy }).execHooks.map((h) => h.id);
}
