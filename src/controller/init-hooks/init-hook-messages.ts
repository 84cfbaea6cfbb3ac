import { PAUSED_FOR_HOOKS_ANNOTATION } from '../marks.ts';
import type { WorkloadKind } from '../workload-kinds.ts';
import { MAX_ESCAPE_ROUNDS } from './workload-decision.ts';
import type { AdmissionBypass, PodSkipReason } from './workload-decision.ts';

/** The notes of the init-hook reconcilers' Events: what happened, and what a person can do about it. */

const SKIP_NOTES: Record<PodSkipReason, string> = {
  AppContainersStarted:
    'its application containers already started, so init containers can no longer be added',
  RestoreWait:
    "it has Velero's restore-wait init container (a file-system restore is in progress), so it is never deleted",
  BelowPartition: 'its ordinal is below the StatefulSet rollout partition, so it stays at the old template',
  RolloutWouldLoseRestoredData:
    "the rollout that would bring the hooks would also replace a pod holding data Velero's file-system restore put into an emptyDir volume, which lives only in that pod; run the setup by hand, or move the data to a PersistentVolumeClaim",
};

export function workloadPodSkipped(pod: string, restore: string, reason: PodSkipReason): string {
  return `Pod ${pod} will not run the init hooks of Restore ${restore}: ${SKIP_NOTES[reason]}.`;
}

export function templateHooksInvalid(
  restore: string,
  kind: WorkloadKind,
  skip: { reason: string; problems: readonly string[] },
): string {
  return `The init hooks of Restore ${restore} are not added to this ${kind}'s pod template (${skip.reason}): ${skip.problems.join('; ')}. Fix the annotations on the pod template; nothing else is changed.`;
}

export function templatePatchRejected(restore: string, kind: WorkloadKind, why: string): string {
  return `The init hooks of Restore ${restore} could not be added to this ${kind}'s pod template: the API server refused the patch (${why}). It is not retried until the ${kind} changes.`;
}

export function templateInjected(
  hooks: readonly string[],
  restore: string,
  kind: WorkloadKind,
  paused: boolean,
): string {
  return paused
    ? `Added init hooks ${hooks.join(', ')} of Restore ${restore} to the pod template, and paused the Deployment until its current ReplicaSet has them too (restore-hooks resumes it within seconds), so that it keeps its running pods and recreates its pending ones with the hooks instead of rolling out. If it stays paused with the annotation ${PAUSED_FOR_HOOKS_ANNOTATION}, check that restore-hooks is running, or resume it with kubectl rollout resume.`
    : `Added init hooks ${hooks.join(', ')} of Restore ${restore} to the pod template; the ${kind} rolls out pods that run them.`;
}

export function replicaSetInjected(
  hooks: readonly string[],
  restore: string,
  replicaSet: string,
  deployment: string,
): string {
  return `Added init hooks ${hooks.join(', ')} of Restore ${restore} to the pod template of ReplicaSet ${replicaSet} of Deployment ${deployment}, so that the pods it recreates run them; its pending pods without the hooks are replaced. Nothing to do.`;
}

export function templateCleaned(
  removed: readonly string[],
  kept: readonly string[],
  restore: string,
): string {
  return (
    `Removed init hooks ${removed.join(', ') || '(none left)'} of Restore ${restore} from the pod template now that the restore is over (templateCleanup: RemoveAfterRestore).` +
    (kept.length > 0 ? ` Left in place because they changed: ${kept.join(', ')}.` : '')
  );
}

export function templateHookConflict(containers: readonly string[], restore: string): string {
  return `The pod template already has init container(s) ${containers.join(', ')} that differ from the hooks of the same name in Restore ${restore}; rename the hook or remove the container.`;
}

/** `replicaSet`: for a Deployment's pod, the ReplicaSet that created it. */
export function pendingPodDeleted(
  pod: string,
  kind: WorkloadKind,
  restore: string,
  replicaSet: string,
): string {
  return kind === 'Deployment'
    ? `Deleted pending pod ${pod}, which ReplicaSet ${replicaSet} created before its template had the init hooks of Restore ${restore}; the ReplicaSet recreates it with them. Nothing to do.`
    : `Deleted pending pod ${pod}, which its ${kind} would not replace by itself, so that it comes back with the init hooks of Restore ${restore}.`;
}

/** How admission was bypassed: through the template path, and escaped pods deleted or started so far. */
export interface BypassHow {
  /** The hooks reach the workload through its pod template (else: escaped pods come back through admission). */
  readonly template: boolean;
  /** Rounds of escaped pods deleted for this restore (of at most `MAX_ESCAPE_ROUNDS`). */
  readonly escapeRounds: number;
  /** Pods that escaped admission had started before restore-hooks saw them. */
  readonly escapedPodsStarted: boolean;
}

const CHECK_WEBHOOK =
  "Check that the restore-hooks webhook is served and trusted (controller_runtime_webhook_requests_total, restore_hooks_admission_total, the MutatingWebhookConfiguration's caBundle).";

export function admissionBypassed(
  kind: WorkloadKind,
  restore: string,
  bypass: AdmissionBypass,
  how: BypassHow,
): string {
  if (!how.template) {
    const recreated =
      how.escapeRounds > 0
        ? ` restore-hooks deleted the pending ones so that the ${kind} recreates them through admission, with their hooks (${how.escapeRounds} of at most ${MAX_ESCAPE_ROUNDS} times; nothing is rolled); if they keep escaping, the hooks go into the pod template, which rolls the ${kind} out.`
        : '';
    const started = how.escapedPodsStarted
      ? ' Some had started before restore-hooks saw them, and run without their hooks (HookSkipped names each).'
      : '';
    return `Pods of this ${kind} were created without the hooks of Restore ${restore} because the pod webhook did not answer (failurePolicy is Ignore).${recreated}${started} ${CHECK_WEBHOOK}`;
  }
  const why =
    bypass === 'PodsEscaped'
      ? `some of its pods were created without them (the pod webhook did not answer and failurePolicy is Ignore)${how.escapeRounds > 0 ? `, and came back without them after ${how.escapeRounds} deletions meant to recreate them through admission` : ''}`
      : 'it was created without the admission mark (the workload webhook did not answer and failurePolicy is Ignore, it was restored before restore-hooks was installed, or not by a trusted Velero identity)';
  return `The hooks of Restore ${restore} reach this ${kind} through its pod template because ${why}. The template path rolls the ${kind} out (and again to remove the hooks after the restore), and pods that started before the patch ran without their hooks. ${CHECK_WEBHOOK}`;
}

export function escapedPodDeleted(pod: string, kind: WorkloadKind, restore: string): string {
  return `Deleted pending pod ${pod}, created without the init hooks of Restore ${restore} because the pod webhook did not answer (failurePolicy Ignore), so that its ${kind} recreates it through admission, with them.`;
}

/** Why a bare pod (no owner) will not get its hooks. */
export function barePodSkipped(
  pod: string,
  restore: string,
  reason: 'RestoreWait' | 'AppContainersStarted' | 'HookConflict',
): string {
  switch (reason) {
    case 'RestoreWait':
      return `Pod ${pod} will not get the init hooks of Restore ${restore}: it has Velero's restore-wait init container (a file-system restore is in progress), so it is never replaced.`;
    case 'AppContainersStarted':
      return `Pod ${pod} will not get the init hooks of Restore ${restore}: its application containers already started.`;
    case 'HookConflict':
      return `Pod ${pod} already has an init container with the name of a hook of Restore ${restore} but different content; it is left as it is.`;
  }
}

export function barePodReplaced(pod: string): string {
  return `Replaced pending pod ${pod} with a copy that runs the restore's init hooks; everything else in its metadata and spec is unchanged.`;
}

export function jobPodSkipped(pod: string, job: string, restore: string): string {
  return `Pod ${pod} of Job ${job} will not run the init hooks of Restore ${restore}: a Job's pod template is immutable. Add the init containers to the Job in the backup, or run the setup another way.`;
}

export function podHooksNotInTemplate(
  pod: string,
  hooks: readonly string[],
  restore: string,
  kind: WorkloadKind,
  workload: string,
): string {
  return `Pod ${pod} will not run its annotation init hook ${hooks.join(', ')} of Restore ${restore}: the annotations are on the pod only, not on the pod template of ${kind} ${workload}, and a pod's own annotations never change its workload. Put them on the template in the backup, or declare the hook in the Restore's spec.hooks.`;
}
