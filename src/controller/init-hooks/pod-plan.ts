/**
 * What the pod reconciler does about one pending restored pod, decided from what it observed (pure): a bare pod is
 * replaced by a copy with the hooks (`decidePod`), or said to be skipped; a pod of a Job, or one whose own hook
 * annotations never reach its workload's template, is reported.
 */
import { APPLIED_INIT_HOOKS_ANNOTATION, formatAppliedInitHooks } from '../../hooks/applied-record.ts';
import { INIT_COMMAND, INIT_CONTAINER_IMAGE, INIT_CONTAINER_NAME } from '../../hooks/annotations.ts';
import { addedHookContainers } from '../../hooks/plan.ts';
import type { HookPlan } from '../../hooks/plan.ts';
import type { HookPolicy } from '../../hooks/policy.ts';
import { hasErrors } from '../../hooks/problems.ts';
import type { Pod, Workload } from '../../kube/types.ts';
import { RESTORE_NAME_LABEL } from '../../kube/velero-labels.ts';
import { objectReference, podReference } from '../events.ts';
import type { EventSpec } from '../events.ts';
import type { SkipReason } from '../../telemetry/metrics.ts';
import { RESTORE_LABEL } from '../marks.ts';
import { isRestoreMember } from '../membership.ts';
import { hasRestoreWait, isStillPending } from '../pod-progress.ts';
import { restoreActivity } from '../restore-activity.ts';
import type { RestoreLookup, RestoreObject } from '../restore-directory.ts';
import { restoreKey } from '../restore-key.ts';
import type { WorkloadKind } from '../workload-kinds.ts';
import type { Effect } from './effects.ts';
import * as messages from './init-hook-messages.ts';
import { decidePod } from './pod-decision.ts';
import { podHookPlan } from './pod-hook-plan.ts';
import type { PodDecision } from './pod-decision.ts';
import { replacementPod } from './replacement.ts';
import { initHooksState } from './template-hooks.ts';

export const ADOPTION_RECHECK_MS = 2000;

/** Labels only workload controllers put on pods: a restored pod carrying one belongs to an owner yet to adopt it. */
const OWNED_POD_LABELS = [
  'pod-template-hash',
  'controller-revision-hash',
  'statefulset.kubernetes.io/pod-name',
];

export function awaitsAdoption(pod: Pod): boolean {
  return OWNED_POD_LABELS.some((label) => pod.metadata.labels?.[label] !== undefined);
}

const SKIP_METRIC: Partial<Record<string, SkipReason>> = {
  RestoreWait: 'file-system-restore',
  AppContainersStarted: 'already-running',
  HookConflict: 'hook-conflict',
};

/** What the pod plans start from. */
export interface PodObservation {
  readonly pod: Pod;
  /** The Restore the pod's (or its Job's) restore label names; undefined without the label. */
  readonly lookup: RestoreLookup | undefined;
  readonly nowMs: number;
  readonly settings: { readonly hookWindowMs: number; readonly policy: HookPolicy };
}

export interface PodPlan {
  readonly effects: readonly Effect[];
  /** `namespace/name` of the Restore, and of the pod that will not run its init hooks: for the Restore's status. */
  readonly skippedPod?: { readonly restore: string; readonly pod: string };
  readonly requeueAfterMs?: number;
  /** The copy of the pod with the hooks, and the hooks it adds: only ever written from the API's copy of the pod. */
  readonly replace?: { readonly replacement: Pod; readonly hooks: readonly string[] };
}

const nothing: PodPlan = { effects: [] };

/** A pod of `restore` that will not run its init hooks, counted once per pod and `why` (`hook_skipped_total`). */
function countSkipOnce(
  pod: Pod,
  restore: RestoreObject,
  why: string,
  labels: { readonly kind: string; readonly reason: SkipReason },
): Effect {
  const namespace = pod.metadata.namespace ?? '';
  return {
    once: `${pod.metadata.uid ?? `${namespace}/${pod.metadata.name ?? ''}`}/${why}`,
    effects: [
      { metric: 'hookSkipped', labels: { restore: restore.metadata.name ?? '', namespace, ...labels } },
    ],
  };
}

/** The Warning on a pod whose init hooks will not run. */
function skipEvent(
  pod: Pod,
  note: string,
  about: Partial<Pick<EventSpec, 'reason' | 'related'>> = {},
): Effect {
  const { reason = 'HookSkipped', related } = about;
  return {
    event: {
      regarding: podReference(pod.metadata),
      ...(related ? { related } : {}),
      type: 'Warning',
      reason,
      action: 'Skip',
      note,
    },
  };
}

/** For the Restore's status: the Restore and the pod that will not run its init hooks. */
const skippedPod = (restore: RestoreObject, pod: Pod): PodPlan['skippedPod'] => ({
  restore: restoreKey(restore),
  pod: `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`,
});

const isActive = (restore: RestoreObject, obs: PodObservation): boolean =>
  restoreActivity(restore.status, obs.nowMs, obs.settings.hookWindowMs).active;

/** The plan and decision for a bare restored pod. */
export function decideBarePod(obs: PodObservation & { lookup: RestoreLookup & { found: true } }): {
  plan: HookPlan;
  decision: PodDecision;
} {
  const { pod } = obs;
  const { restore, hooks } = obs.lookup;
  const plan = podHookPlan(pod, pod.metadata.annotations, hooks, obs.settings.policy);
  const decision = decidePod({
    topOwnerKind: 'Pod',
    restoreActive: isActive(restore, obs),
    createdDuringRestore: isRestoreMember(pod.metadata, restore, hooks),
    hooks: initHooksState(plan, hasErrors(hooks.problems)),
    stillPending: isStillPending(pod),
    restoreWait: hasRestoreWait(pod),
  });
  return { plan, decision };
}

/** A pod without an owner: replaced by a copy that runs the hooks (see `PodReconciler`), or said to be skipped. */
export function planBarePod(obs: PodObservation): PodPlan {
  const { pod, lookup } = obs;
  const labelValue = pod.metadata.labels?.[RESTORE_NAME_LABEL];
  if (!labelValue) return nothing;
  // Velero strips ownerReferences; the restored owner adopts the pod. It is not a bare pod.
  if (awaitsAdoption(pod))
    return {
      effects: [{ log: 'debug', message: 'restored pod awaits adoption by its owner' }],
      requeueAfterMs: ADOPTION_RECHECK_MS,
    };
  if (!lookup?.found) return nothing;
  const { restore } = lookup;
  const { plan, decision } = decideBarePod({ ...obs, lookup });
  const log: Effect = { log: 'debug', message: 'pod decision', fields: { decision } };
  if (decision.action === 'none') {
    const skip = skipBarePod(pod, restore, decision.reason);
    return { ...skip, effects: [log, ...skip.effects] };
  }
  if (decision.action !== 'replace') return { effects: [log] };
  const added = addedHookContainers(plan);
  const replacement = replacementPod(pod, plan.initContainers, {
    labels: { [RESTORE_LABEL]: labelValue },
    annotations: {
      [APPLIED_INIT_HOOKS_ANNOTATION]: formatAppliedInitHooks({
        restore: restoreKey(restore),
        restoreUID: restore.metadata.uid ?? '',
        containers: added,
      }),
    },
  });
  return { effects: [log], replace: { replacement, hooks: added.map((c) => c.name) } };
}

/** Why a bare pod gets no hooks: counted once, said on the pod, and for some reasons shown in the Restore's status. */
function skipBarePod(pod: Pod, restore: RestoreObject, reason: string): Omit<PodPlan, 'replace'> {
  const effects: Effect[] = [];
  const metric = SKIP_METRIC[reason];
  if (metric) effects.push(countSkipOnce(pod, restore, reason, { kind: 'Pod', reason: metric }));
  if (reason !== 'RestoreWait' && reason !== 'AppContainersStarted' && reason !== 'HookConflict')
    return { effects };
  const note = messages.barePodSkipped(pod.metadata.name ?? '', restoreKey(restore), reason);
  if (reason === 'HookConflict')
    return { effects: [...effects, skipEvent(pod, note, { reason: 'HookConflict' })] };
  return { effects: [...effects, skipEvent(pod, note)], skippedPod: skippedPod(restore, pod) };
}

/** Job templates are immutable: a restored Job's pod whose hooks apply can only be reported. */
export function planJobPod(obs: PodObservation & { job: Workload }): PodPlan {
  const { pod, job, lookup } = obs;
  const labelled = [pod, job].find((o) => o.metadata.labels?.[RESTORE_NAME_LABEL]);
  if (!labelled || !lookup?.found) return nothing;
  const { restore, hooks } = lookup;
  if (!isRestoreMember(labelled.metadata, restore, hooks) || !isActive(restore, obs)) return nothing;
  const annotations = job.spec.template.metadata?.annotations;
  const plan = podHookPlan(pod, annotations, hooks, obs.settings.policy);
  if (initHooksState(plan, hasErrors(hooks.problems)) !== 'missing') return nothing;
  const jobName = job.metadata.name ?? '';
  const related = objectReference('batch/v1', 'Job', job.metadata);
  return {
    skippedPod: skippedPod(restore, pod),
    effects: [
      countSkipOnce(pod, restore, 'JobTemplateImmutable', { kind: 'Job', reason: 'job-owned' }),
      skipEvent(pod, messages.jobPodSkipped(pod.metadata.name ?? '', jobName, restoreKey(restore)), {
        related,
      }),
    ],
  };
}

/** The pod carries its own init hook annotations, but its workload's template does not: worth a look. */
export function ownHooksMayMissTemplate(pod: Pod, workload?: Workload): boolean {
  const own = pod.metadata.annotations ?? {};
  if (!own[INIT_CONTAINER_IMAGE]) return false;
  if (!workload) return true;
  const inTemplate = workload.spec.template.metadata?.annotations ?? {};
  return ![INIT_CONTAINER_IMAGE, INIT_CONTAINER_NAME, INIT_COMMAND].every((k) => own[k] === inTemplate[k]);
}

/**
 * A restored pod's own init hook annotations never reach its owner's template (a user who can create pods must not
 * change a workload they cannot edit). When the template lacks them, the hook will not run: say so, once.
 */
export function planHooksNotInTemplate(
  obs: PodObservation & { kind: WorkloadKind; workload: Workload },
): PodPlan {
  const { pod, kind, workload, lookup } = obs;
  if (!ownHooksMayMissTemplate(pod, workload) || !lookup?.found) return nothing;
  const { restore, hooks } = lookup;
  if (!isRestoreMember(pod.metadata, restore, hooks) || !isActive(restore, obs)) return nothing;
  const plan = podHookPlan(pod, pod.metadata.annotations, hooks, obs.settings.policy);
  const missing = plan.initHooks.filter((h) => h.origin.source === 'annotation' && h.state === 'insert');
  if (missing.length === 0) return nothing;
  const note = messages.podHooksNotInTemplate(
    pod.metadata.name ?? '',
    missing.map((h) => h.container.name),
    restoreKey(restore),
    kind,
    workload.metadata.name ?? '',
  );
  return {
    skippedPod: skippedPod(restore, pod),
    effects: [
      countSkipOnce(pod, restore, 'NotInTemplate', { kind, reason: 'not-in-template' }),
      skipEvent(pod, note, { related: objectReference('apps/v1', kind, workload.metadata) }),
    ],
  };
}
