/**
 * The facts the workload plan decides from, derived from what `WorkloadReconciler` observed (pure). A new fact of a
 * workload goes into `workloadBasis` (read from the cached object) or `workloadFacts` (from its pods).
 */
import { APPLIED_INIT_HOOKS_ANNOTATION, parseAppliedInitHooks } from '../../hooks/applied-record.ts';
import type { AppliedInitHooks } from '../../hooks/applied-record.ts';
import { planHooks } from '../../hooks/plan.ts';
import type { HookPlan } from '../../hooks/plan.ts';
import type { HookPolicy } from '../../hooks/policy.ts';
import { hasErrors } from '../../hooks/problems.ts';
import type { RestoreHooks } from '../../hooks/validate.ts';
import { controllerOf } from '../../kube/owners.ts';
import type { Pod, Workload } from '../../kube/types.ts';
import {
  CLEANED_UP_ANNOTATION,
  ESCAPED_PODS_DELETED_ANNOTATION,
  PAUSED_FOR_HOOKS_ANNOTATION,
  RESTORE_LABEL,
} from '../marks.ts';
import { createdDuringRestore } from '../membership.ts';
import { ObjectMemo } from '../object-memo.ts';
import { restoreActivity, restoreFinished } from '../restore-activity.ts';
import type { RestoreActivity } from '../restore-activity.ts';
import type { RestoreObject } from '../restore-directory.ts';
import { restoreKey } from '../restore-key.ts';
import type { WorkloadKind } from '../workload-kinds.ts';
import { podFacts } from './pod-facts.ts';
import { rollsOutAllAtOnce } from './replicaset-decision.ts';
import type { DeploymentFacts, ReplicaSetFacts } from './replicaset-decision.ts';
import { equalIgnoringHash } from './replicaset-template.ts';
import { initHooksState } from './template-hooks.ts';
import { withoutInjectedHooks } from './template-patch.ts';
import type { RestoreIdentity } from './template-patch.ts';
import { parseEscapeRecord, podsAffectDecision } from './workload-decision.ts';
import type { TemplateHooks, WorkloadFacts } from './workload-decision.ts';

/** What the workload plan needs of a restored workload and its Restore before any live read. */
export interface WorkloadBasis {
  readonly kind: WorkloadKind;
  readonly workload: Workload;
  readonly restore: RestoreObject;
  readonly hooks: RestoreHooks;
  readonly identity: RestoreIdentity;
  readonly activity: RestoreActivity;
  readonly policy: HookPolicy;
  /** The hooks of the workload's own pod template. */
  readonly plan: HookPlan;
  readonly templateHooks: TemplateHooks;
  readonly record: AppliedInitHooks | undefined;
  readonly pausedByUs: boolean;
  /** A Deployment whose roll-out cannot replace its pending pods at once acts on them through its ReplicaSets. */
  readonly racesItsRollout: boolean;
  readonly facts: Omit<WorkloadFacts, 'pods'>;
}

export function restoreIdentity(restore: RestoreObject, labelValue: string): RestoreIdentity {
  return { key: restoreKey(restore), uid: restore.metadata.uid ?? '', labelValue };
}

/** Plans made of a cached workload's template, by object: a reconcile, its live-read check and the Restore's status plan the same one. */
const templatePlans = new ObjectMemo(
  (workload: Workload, hooks: RestoreHooks, policy: HookPolicy, annotationsFrom: Workload): HookPlan =>
    planHooks(
      hooks,
      {
        namespace: workload.metadata.namespace ?? '',
        labels: workload.spec.template.metadata?.labels ?? {},
        annotations: annotationsFrom.spec.template.metadata?.annotations ?? {},
        podSpec: workload.spec.template.spec,
        specPath: 'spec.template.spec',
        metadataPath: 'spec.template.metadata',
      },
      { policy },
    ),
);

/**
 * The hooks for a workload's pod template. `annotationsFrom` is the workload of the restore whose template
 * annotations declare hooks: the workload itself, or for a Deployment's ReplicaSet, the Deployment. Remembered per
 * workload object with the hooks, policy and annotations it was planned from.
 */
export function templatePlan(
  workload: Workload,
  hooks: RestoreHooks,
  policy: HookPolicy,
  annotationsFrom: Workload = workload,
): HookPlan {
  return templatePlans.get(workload, hooks, policy, annotationsFrom);
}

export function appliedRecord(workload: Workload): AppliedInitHooks | undefined {
  return parseAppliedInitHooks(workload.spec.template.metadata?.annotations?.[APPLIED_INIT_HOOKS_ANNOTATION]);
}

function updateStrategy(kind: WorkloadKind, workload: Workload): WorkloadFacts['updateStrategy'] {
  const spec = workload.spec as Record<string, { type?: string } | undefined>;
  const type = kind === 'Deployment' ? spec.strategy?.type : spec.updateStrategy?.type;
  return type === 'OnDelete' || type === 'Recreate' ? type : 'RollingUpdate';
}

/** The owner's controller has seen the object's current spec. */
export const observedCurrentSpec = (object: Workload): boolean =>
  Number((object.status as { observedGeneration?: unknown } | undefined)?.observedGeneration ?? 0) >=
  (object.metadata.generation ?? 0);

function deploymentSpec(workload: Workload): {
  replicas?: number;
  strategy?: Parameters<typeof rollsOutAllAtOnce>[0];
} {
  return workload.spec as { replicas?: number; strategy?: Parameters<typeof rollsOutAllAtOnce>[0] };
}

export function workloadBasis(input: {
  kind: WorkloadKind;
  workload: Workload;
  restore: RestoreObject;
  hooks: RestoreHooks;
  labelValue: string;
  nowMs: number;
  settings: { hookWindowMs: number; cleanupPolicy: WorkloadFacts['cleanupPolicy']; policy: HookPolicy };
}): WorkloadBasis {
  const { kind, workload, restore, hooks, settings } = input;
  const identity = restoreIdentity(restore, input.labelValue);
  const activity = restoreActivity(restore.status, input.nowMs, settings.hookWindowMs);
  const plan = templatePlan(workload, hooks, settings.policy);
  const templateHooks = initHooksState(plan, hasErrors(hooks.problems));
  const record = appliedRecord(workload);
  const injectedByUs = record?.restore === identity.key;
  const admitted =
    !injectedByUs && workload.spec.template.metadata?.labels?.[RESTORE_LABEL] === input.labelValue;
  const cleanedUp = workload.metadata.annotations?.[CLEANED_UP_ANNOTATION] === identity.key;
  const escape = parseEscapeRecord(
    workload.metadata.annotations?.[ESCAPED_PODS_DELETED_ANNOTATION],
    identity.key,
  );
  const spec = workload.spec as Record<string, unknown>;
  const partition = workload.spec.updateStrategy?.rollingUpdate?.partition;
  const { strategy, replicas } = deploymentSpec(workload);
  return {
    kind,
    workload,
    restore,
    hooks,
    identity,
    activity,
    policy: settings.policy,
    plan,
    templateHooks,
    record,
    pausedByUs:
      kind === 'Deployment' && workload.metadata.annotations?.[PAUSED_FOR_HOOKS_ANNOTATION] !== undefined,
    racesItsRollout: kind === 'Deployment' && !rollsOutAllAtOnce(strategy, replicas ?? 1),
    facts: {
      kind,
      updateStrategy: updateStrategy(kind, workload),
      podManagementPolicy: spec.podManagementPolicy === 'Parallel' ? 'Parallel' : 'OrderedReady',
      ...(typeof partition === 'number' ? { partition } : {}),
      templateHooks,
      injectedByUs,
      cleanedUp,
      ...(admitted ? { admitted } : {}),
      ...(escape.rounds > 0 ? { escapeRounds: escape.rounds } : {}),
      ...(escape.pods.length > 0 ? { escapeRoundPods: escape.pods } : {}),
      restore: { active: activity.active, finished: restoreFinished(restore.status?.phase) },
      cleanupPolicy: settings.cleanupPolicy,
    },
  };
}

/**
 * The decision must see the running pods before it patches a template (the rollout would replace them) or removes
 * the hooks after the restore. Only pending pods are cached: the pods come from the cache when the owner's own
 * count proves it holds all of them, and from a live list otherwise.
 */
export function podsNeeded(b: WorkloadBasis): boolean {
  return (
    b.pausedByUs ||
    podsAffectDecision(b.facts) ||
    (b.racesItsRollout && b.templateHooks === 'present' && b.activity.active && !b.facts.cleanedUp)
  );
}

/**
 * A Deployment's ReplicaSets are read only when they may have to act: a pod of the restore lacks the hooks and the
 * roll-out cannot replace it in time, or we paused the Deployment (one more list per reconcile otherwise).
 */
export function replicaSetsNeeded(b: WorkloadBasis, facts: WorkloadFacts): boolean {
  return (
    b.kind === 'Deployment' &&
    !b.facts.cleanedUp &&
    (b.pausedByUs ||
      (b.racesItsRollout &&
        facts.pods.some((p) => !p.hasHooks && p.createdDuringRestore && !p.deletedBeforeStart)))
  );
}

export function workloadFacts(b: WorkloadBasis, pods: readonly Pod[]): WorkloadFacts {
  const { kind, workload, hooks, restore } = b;
  const updateRevision = (workload.status as { updateRevision?: string } | undefined)?.updateRevision;
  return {
    ...b.facts,
    pods: pods.map((p) => {
      const f = podFacts(p, workload.spec.template, hooks, b.policy, restore.status?.startTimestamp);
      const atCurrentRevision =
        kind === 'StatefulSet' &&
        !!updateRevision &&
        p.metadata.labels?.['controller-revision-hash'] === updateRevision;
      return atCurrentRevision ? { ...f, atCurrentRevision } : f;
    }),
  };
}

/** The facts `decideReplicaSets` needs about a Deployment, its ReplicaSets and its pods. */
export function deploymentFacts(
  b: WorkloadBasis,
  replicaSets: readonly Workload[],
  pods: readonly Pod[],
  facts: WorkloadFacts,
): DeploymentFacts {
  const deployment = b.workload;
  const before = withoutInjectedHooks(deployment.spec.template, b.record);
  const restoreStart = b.restore.status?.startTimestamp;
  const rsFacts: ReplicaSetFacts[] = replicaSets.map((rs) => ({
    name: rs.metadata.name ?? '',
    uid: rs.metadata.uid ?? '',
    ofRestore: createdDuringRestore(rs.metadata, restoreStart),
    templateHooks: initHooksState(
      templatePlan(rs, b.hooks, b.policy, deployment),
      hasErrors(b.hooks.problems),
    ),
    replicas: rs.spec.replicas ?? 1,
    joinsDeployment: equalIgnoringHash(withoutInjectedHooks(rs.spec.template, b.record), before),
    observed: observedCurrentSpec(rs),
  }));
  const replicaSetByUID = new Map(replicaSets.map((rs) => [rs.metadata.uid, rs.metadata.name ?? '']));
  const { strategy, replicas } = deploymentSpec(deployment);
  return {
    templateHooks: b.templateHooks,
    rollsOutAllAtOnce: rollsOutAllAtOnce(strategy, replicas ?? 1),
    restoreActive: b.activity.active,
    cleanedUp: b.facts.cleanedUp,
    rollout: {
      paused: deployment.spec.paused === true,
      pausedByUs: b.pausedByUs,
      observed: observedCurrentSpec(deployment),
    },
    replicaSets: rsFacts,
    pods: facts.pods.map((f, i) => {
      const owner = controllerOf(pods[i]!.metadata);
      const replicaSet = owner ? replicaSetByUID.get(owner.uid) : undefined;
      return replicaSet === undefined ? f : { ...f, replicaSet };
    }),
  };
}

/** How many pods the workload's owner keeps. */
export function desiredPods(kind: WorkloadKind, workload: Workload): number {
  if (kind === 'DaemonSet')
    return (workload.status as { desiredNumberScheduled?: number } | undefined)?.desiredNumberScheduled ?? 0;
  return (workload.spec as { replicas?: number }).replicas ?? 1;
}
