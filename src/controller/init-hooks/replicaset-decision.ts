/**
 * What the controller does to the ReplicaSets of a restored Deployment, decided from observed facts only.
 *
 * A Deployment's pods are created by its ReplicaSets, each from its own template. Once the Deployment's template
 * carries the hooks, a pod its ReplicaSet created earlier from the old template is still pending without them; a
 * RollingUpdate cannot scale such pods down faster than maxUnavailable allows while none is available, so some may
 * start first. So the hooks go into those ReplicaSets' templates too, and their pending pods without hooks are
 * deleted: the ReplicaSet recreates them, hooked.
 *
 * The Deployment controller's "new" ReplicaSet is the oldest whose template equals the Deployment's, ignoring
 * pod-template-hash (replicaset-template.ts). A ReplicaSet that was the Deployment's current one before the patch
 * gets exactly the Deployment's new template, so it stays (or becomes again) the current one: the Deployment does
 * not roll out, and its pods that already run keep running. To keep the Deployment controller from creating a
 * second ReplicaSet from the patched template in between, the Deployment is paused by the template patch
 * (`pausesForInjection`) and resumed once that ReplicaSet has the hooks. Older ReplicaSets get the hooks into their
 * own templates, which stay different, so the rollout still scales them down; their pending pods run the hooks
 * too, in case they start first.
 */
import type { PodFacts, PodSkipReason, TemplateHooks, WorkloadFacts } from './workload-decision.ts';

export interface ReplicaSetFacts {
  readonly name: string;
  readonly uid: string;
  /** Controlled by the Deployment and created at or after the restore started. */
  readonly ofRestore: boolean;
  /** How its template relates to the Deployment's hooks. */
  readonly templateHooks: TemplateHooks;
  /** spec.replicas. */
  readonly replicas: number;
  /**
   * Its template, with the hooks, equals the Deployment's template with the hooks, ignoring pod-template-hash: once
   * hooked it is (or becomes again) the Deployment's current ReplicaSet, and its pods are not rolled out.
   */
  readonly joinsDeployment: boolean;
  /** The ReplicaSet controller has seen its current template (status.observedGeneration ≥ generation). */
  readonly observed: boolean;
}

export interface DeploymentPodFacts extends PodFacts {
  /** Name of the ReplicaSet that controls the pod; none while it awaits adoption. */
  readonly replicaSet?: string;
}

/** A restored Deployment and its ReplicaSets; its template's hooks and their cleanup as for any workload. */
export interface DeploymentFacts extends Pick<WorkloadFacts, 'templateHooks' | 'cleanedUp'> {
  /**
   * Its roll-out removes every pod of the old template at once (Recreate, or maxUnavailable of all replicas): the
   * template patch alone replaces every pending pod before it can start, so the ReplicaSets are left to it.
   */
  readonly rollsOutAllAtOnce: boolean;
  /** Its Restore is still within its hook window (restore-activity.ts): pods created now belong to the restore. */
  readonly restoreActive: boolean;
  /**
   * Its roll-out: `paused`, spec.paused; `pausedByUs`, this controller paused it (our annotation is on it) and has
   * to resume it; `observed`, the Deployment controller has seen its current spec (status.observedGeneration ≥
   * generation).
   */
  readonly rollout: { readonly paused: boolean; readonly pausedByUs: boolean; readonly observed: boolean };
  readonly replicaSets: readonly ReplicaSetFacts[];
  readonly pods: readonly DeploymentPodFacts[];
}

export interface ReplicaSetsDecision {
  /** ReplicaSets whose template gets the hooks. */
  readonly patchReplicaSets: readonly string[];
  /** After those patches: unpause the Deployment and drop our annotation. */
  readonly resume: boolean;
  /** Pending pods without hooks whose ReplicaSet now recreates them with the hooks. */
  readonly deletePods: readonly { readonly name: string; readonly uid: string }[];
  readonly skippedPods: readonly { readonly name: string; readonly reason: PodSkipReason }[];
  /** Progress waits on another controller: re-check soon. */
  readonly waitingFor?: 'DeploymentController' | 'ReplicaSetController';
}

const nothing: ReplicaSetsDecision = { patchReplicaSets: [], resume: false, deletePods: [], skippedPods: [] };

/**
 * Whether the template patch that brings the hooks also pauses the Deployment: when one of its ReplicaSets of the
 * restore will join the new template, the Deployment controller must not create a ReplicaSet of its own for it in
 * between (a paused Deployment creates none). A Deployment its user paused stays as it is.
 */
export function pausesForInjection(
  d: Pick<DeploymentFacts, 'rollout' | 'replicaSets' | 'rollsOutAllAtOnce'>,
): boolean {
  return (
    !d.rollout.paused &&
    !d.rollsOutAllAtOnce &&
    d.replicaSets.some((rs) => rs.ofRestore && rs.joinsDeployment && rs.templateHooks === 'missing')
  );
}

/**
 * Whether a Deployment's strategy removes every pod of the old template at once: Recreate, or a RollingUpdate whose
 * maxUnavailable (a number, or a percentage of the replicas rounded down, default 25%) covers all replicas.
 */
export function rollsOutAllAtOnce(
  strategy: { type?: string; rollingUpdate?: { maxUnavailable?: number | string } } | undefined,
  replicas: number,
): boolean {
  if (strategy?.type === 'Recreate') return true;
  const value = strategy?.rollingUpdate?.maxUnavailable ?? '25%';
  const percent = typeof value === 'string' ? /^(\d+)%$/.exec(value) : null;
  const maxUnavailable =
    typeof value === 'number'
      ? value
      : percent
        ? Math.floor((Number(percent[1]) * replicas) / 100)
        : Number.parseInt(value, 10) || 0;
  return maxUnavailable >= replicas;
}

export function decideReplicaSets(d: DeploymentFacts): ReplicaSetsDecision {
  const hooksInPlace =
    d.templateHooks === 'present' && d.restoreActive && !d.cleanedUp && !d.rollsOutAllAtOnce;
  if (!hooksInPlace) return d.rollout.pausedByUs ? { ...nothing, resume: true } : nothing;
  // Until the Deployment controller has seen the pause, it may still act on the template before it.
  if (d.rollout.pausedByUs && !d.rollout.observed) return { ...nothing, waitingFor: 'DeploymentController' };

  const patch = d.replicaSets.filter(
    (rs) => rs.ofRestore && rs.templateHooks === 'missing' && (rs.replicas > 0 || rs.joinsDeployment),
  );
  const byName = new Map(d.replicaSets.map((rs) => [rs.name, rs]));
  const deletePods: Array<ReplicaSetsDecision['deletePods'][number]> = [];
  const skippedPods: Array<ReplicaSetsDecision['skippedPods'][number]> = [];
  let waiting = false;
  for (const pod of d.pods) {
    if (pod.hasHooks || !pod.createdDuringRestore || pod.deletedBeforeStart) continue;
    const rs = pod.replicaSet === undefined ? undefined : byName.get(pod.replicaSet);
    if (!rs?.ofRestore) continue;
    if (!pod.stillPending) {
      // A rollout replaces the pods of an old ReplicaSet; those of the current one stay as they are.
      if (rs.joinsDeployment) skippedPods.push({ name: pod.name, reason: 'AppContainersStarted' });
      continue;
    }
    if (pod.restoreWait) skippedPods.push({ name: pod.name, reason: 'RestoreWait' });
    else if (rs.templateHooks === 'present' && rs.observed) deletePods.push({ name: pod.name, uid: pod.uid });
    else if (rs.templateHooks === 'present' || rs.templateHooks === 'missing') waiting = true;
  }
  return {
    patchReplicaSets: patch.map((rs) => rs.name),
    resume: d.rollout.pausedByUs,
    deletePods,
    skippedPods,
    ...(waiting ? { waitingFor: 'ReplicaSetController' as const } : {}),
  };
}
