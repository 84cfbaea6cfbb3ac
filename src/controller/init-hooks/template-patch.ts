import { APPLIED_INIT_HOOKS_ANNOTATION, formatAppliedInitHooks } from '../../hooks/applied-record.ts';
import type { AppliedInitHooks } from '../../hooks/applied-record.ts';
import { addedHookContainers } from '../../hooks/plan.ts';
import type { HookPlan } from '../../hooks/plan.ts';
import { removeHookContainers } from '../../hooks/init-containers.ts';
import type { PodTemplateSpec, Workload } from '../../kube/types.ts';
import {
  ADMISSION_BYPASSED_ANNOTATION,
  ESCAPED_PODS_DELETED_ANNOTATION,
  CLEANED_UP_ANNOTATION,
  PAUSED_FOR_HOOKS_ANNOTATION,
  RESTORE_LABEL,
} from '../marks.ts';
import { formatEscapeRecord } from './workload-decision.ts';
import type { AdmissionBypass, EscapeRecord } from './workload-decision.ts';

/**
 * JSON merge patches (RFC 7386) for workload pod templates. Each carries metadata.resourceVersion, which the
 * API server treats as a precondition: a concurrent change gives 409 Conflict instead of a lost update. A merge
 * patch replaces the initContainers list whole, which is what we want: the list is computed from the current one.
 */
export type MergePatch = Record<string, unknown>;

export interface RestoreIdentity {
  /** `namespace/name` of the Restore. */
  readonly key: string;
  readonly uid: string;
  /** Its `velero.io/restore-name` label value. */
  readonly labelValue: string;
}

/**
 * Inserts the plan's hook containers and records which restore added which containers. With `pause`, the same write
 * pauses a Deployment and marks it as paused by us (replicaset-decision.ts says why); `resumePatch` undoes that.
 * With `bypassed`, the same write records that the hooks come this way because admission was bypassed.
 */
export function injectionPatch(
  workload: Workload,
  plan: HookPlan,
  restore: RestoreIdentity,
  options: { pause?: boolean; bypassed?: AdmissionBypass } = {},
): MergePatch {
  const annotations = {
    ...(options.pause ? { [PAUSED_FOR_HOOKS_ANNOTATION]: restore.key } : {}),
    ...(options.bypassed ? { [ADMISSION_BYPASSED_ANNOTATION]: `${options.bypassed}/${restore.key}` } : {}),
  };
  const record: AppliedInitHooks = {
    restore: restore.key,
    restoreUID: restore.uid,
    containers: addedHookContainers(plan),
  };
  return {
    metadata: {
      resourceVersion: workload.metadata.resourceVersion,
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    spec: {
      ...(options.pause ? { paused: true } : {}),
      template: {
        metadata: {
          labels: { [RESTORE_LABEL]: restore.labelValue },
          annotations: { [APPLIED_INIT_HOOKS_ANNOTATION]: formatAppliedInitHooks(record) },
        },
        spec: { initContainers: plan.initContainers },
      },
    },
  };
}

export interface CleanupPatch {
  readonly patch: MergePatch;
  readonly removed: readonly string[];
  /** Recorded containers left in place because they changed since, or are gone. */
  readonly kept: readonly { readonly name: string; readonly reason: string }[];
}

/**
 * Records escape round `record.rounds` of a restore on the workload, with the uids of the pods it deletes
 * (ESCAPED_PODS_DELETED_ANNOTATION), guarded.
 */
export function escapeRoundPatch(workload: Workload, record: EscapeRecord, restoreKey: string): MergePatch {
  return {
    metadata: {
      resourceVersion: workload.metadata.resourceVersion,
      annotations: { [ESCAPED_PODS_DELETED_ANNOTATION]: formatEscapeRecord(restoreKey, record) },
    },
  };
}

/**
 * Removes exactly the containers the record says we added (unchanged since), our label, record and bypass and escape
 * records, and marks
 * the workload as cleaned up for this restore so that the rollout's new pods are not hooked again.
 */
export function cleanupPatch(workload: Workload, record: AppliedInitHooks): CleanupPatch {
  const current = workload.spec.template.spec.initContainers ?? [];
  const result = removeHookContainers(current, record.containers);
  return {
    removed: result.removed,
    kept: result.kept,
    patch: {
      metadata: {
        resourceVersion: workload.metadata.resourceVersion,
        annotations: {
          [CLEANED_UP_ANNOTATION]: record.restore,
          [ADMISSION_BYPASSED_ANNOTATION]: null,
          [ESCAPED_PODS_DELETED_ANNOTATION]: null,
        },
      },
      spec: {
        template: {
          metadata: {
            labels: { [RESTORE_LABEL]: null },
            annotations: { [APPLIED_INIT_HOOKS_ANNOTATION]: null },
          },
          spec: { initContainers: result.initContainers.length > 0 ? result.initContainers : null },
        },
      },
    },
  };
}

/** Unpauses a Deployment that `injectionPatch` paused, and drops the mark that says so. */
export function resumePatch(workload: Workload): MergePatch {
  return {
    metadata: {
      resourceVersion: workload.metadata.resourceVersion,
      annotations: { [PAUSED_FOR_HOOKS_ANNOTATION]: null },
    },
    spec: { paused: null },
  };
}

/**
 * The template without what an injection added (the recorded containers, unchanged since, our label and record),
 * for comparing a Deployment's template with its ReplicaSets' as they were before the hooks.
 */
export function withoutInjectedHooks(
  template: PodTemplateSpec,
  record: AppliedInitHooks | undefined,
): PodTemplateSpec {
  const labels = { ...template.metadata?.labels };
  delete labels[RESTORE_LABEL];
  const annotations = { ...template.metadata?.annotations };
  delete annotations[APPLIED_INIT_HOOKS_ANNOTATION];
  const { initContainers, ...spec } = template.spec;
  const remaining = removeHookContainers(initContainers ?? [], record?.containers ?? []).initContainers;
  return {
    ...template,
    metadata: { ...template.metadata, labels, annotations },
    spec: remaining.length > 0 ? { ...spec, initContainers: remaining } : spec,
  };
}
