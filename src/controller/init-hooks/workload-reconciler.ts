import { APPLIED_INIT_HOOKS_ANNOTATION, parseAppliedInitHooks } from '../../hooks/applied-record.ts';
import { mayHaveExecHooks, planHooks } from '../../hooks/plan.ts';
import type { HookPlan } from '../../hooks/plan.ts';
import type { HookPolicy } from '../../hooks/policy.ts';
import { hasErrors } from '../../hooks/problems.ts';
import type { RestoreHooks } from '../../hooks/validate.ts';
import { labelSelectorString } from '../../kube/label-selector-string.ts';
import { controllerOf } from '../../kube/owners.ts';
import type { Pod, Workload } from '../../kube/types.ts';
import { RESTORE_NAME_LABEL } from '../../kube/velero-labels.ts';
import type { Cluster } from '../cluster.ts';
import type { OwnerChain } from '../owner-chain.ts';
import type { EventRecorder } from '../events.ts';
import { objectReference, podReference, restoreReference } from '../events.ts';
import type { HookMetrics, SkipReason } from '../../telemetry/metrics.ts';
import type { ReconcileContext, ReconcileResult } from '../machinery/controller.ts';
import {
  CLEANED_UP_ANNOTATION,
  EXEC_HOOKS_ANNOTATION,
  PAUSED_FOR_HOOKS_ANNOTATION,
  RESTORE_LABEL,
  ADMISSION_BYPASSED_ANNOTATION,
  ESCAPED_PODS_DELETED_ANNOTATION,
} from '../marks.ts';
import { createdDuringRestore, restoreMembership } from '../membership.ts';
import { msUntilWindowCloses, restoreActivity, restoreFinished } from '../restore-activity.ts';
import type { RestoreDirectory, RestoreObject } from '../restore-directory.ts';
import { restoreKey } from '../restore-key.ts';
import { podsFromPendingCache } from './cached-pods.ts';
import { podFacts } from './pod-facts.ts';
import { OwnWrites } from '../own-writes.ts';
import { SeenOnce } from '../seen-once.ts';
import { initHooksSkip, initHooksState } from './template-hooks.ts';
import {
  cleanupPatch,
  escapeRoundPatch,
  injectionPatch,
  resumePatch,
  withoutInjectedHooks,
} from './template-patch.ts';
import type { MergePatch } from './template-patch.ts';
import { apiErrorCode, describeApiError, isConflict } from '../machinery/api-errors.ts';
import { retryOnConflict } from '../machinery/retry.ts';
import type { RestoreIdentity } from './template-patch.ts';
import {
  MAX_ESCAPE_ROUNDS,
  admissionBypass,
  awaitsReplacements,
  decideWorkload,
  parseAdmissionBypass,
  parseEscapeRounds,
  podsAffectDecision,
} from './workload-decision.ts';
import type { AdmissionBypass, PodSkipReason, WorkloadDecision, WorkloadFacts } from './workload-decision.ts';
import type { WorkloadKind } from '../workload-kinds.ts';
import { isWorkloadKind } from '../workload-kinds.ts';
import { decideReplicaSets, pausesForInjection, rollsOutAllAtOnce } from './replicaset-decision.ts';
import type { DeploymentFacts, ReplicaSetFacts, ReplicaSetsDecision } from './replicaset-decision.ts';
import { POD_TEMPLATE_HASH_LABEL as POD_TEMPLATE_HASH, equalIgnoringHash } from './replicaset-template.ts';
import type { AppliedInitHooks } from '../../hooks/applied-record.ts';

/** While another controller has to catch up (a pause seen, a ReplicaSet template observed), re-check this often. */
const OTHER_CONTROLLER_RECHECK_MS = 500;
/** Passes of one reconcile over a Deployment whose controllers catch up at once: pause, ReplicaSets and resume, pods. */
const MAX_PASSES = 3;
const MAX_REJECTED = 10_000;
/** A pod leaving Pending drops out of the pod informer, so a wait for a file-system restore is polled. */
const FILE_SYSTEM_RESTORE_RECHECK_MS = 5000;
const OWN_WRITE_RECHECK_MS = 1000;
/** After deleting pending pods, re-check this often until their replacements are there (awaitsReplacements)… */
const REPLACEMENTS_RECHECK_MS = 2000;
/** …for at most this long (a webhook call may take its timeoutSeconds, up to 30 s, before it fails open). */
const REPLACEMENTS_WATCH_MS = 60_000;

export function workloadKey(kind: WorkloadKind, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

export function parseWorkloadKey(
  key: string,
): { kind: WorkloadKind; namespace: string; name: string } | undefined {
  const [kind, namespace, name, ...rest] = key.split('/');
  if (rest.length > 0 || !kind || !namespace || !name || !isWorkloadKind(kind)) return undefined;
  return { kind, namespace, name };
}

export interface InitHookSettings {
  readonly hookWindowMs: number;
  readonly cleanupPolicy: 'RemoveAfterRestore' | 'Retain';
  readonly policy: HookPolicy;
  /** How often a finished restore's hooked workloads are re-checked for cleanup. */
  readonly cleanupPollMs: number;
  /**
   * The admission webhooks are on and configured: a workload that needs the template path missed them (a Warning
   * says so).
   */
  readonly admission?: () => boolean;
}

/** What one workload reconcile concluded, for the Restore's status and conditions. */
/** A ReplicaSet of a Deployment (adopted, or restored and about to be) is changed only through its Deployment. */
export function changedThroughItsDeployment(kind: WorkloadKind, workload: Workload): boolean {
  return (
    kind === 'ReplicaSet' &&
    (controllerOf(workload.metadata) !== undefined ||
      workload.metadata.labels?.[POD_TEMPLATE_HASH] !== undefined)
  );
}

export interface WorkloadOutcome {
  readonly restore: string;
  readonly workload: string;
  readonly decision: WorkloadDecision['reason'];
  /** `namespace/name` of the pods that will not run their init hooks. */
  readonly skippedPods: readonly string[];
  /** For InvalidHooks on a valid Restore: why this workload's own hooks (its annotations) are not applied. */
  readonly invalidHooks?: string;
}

export interface WorkloadReconcilerDeps {
  readonly getWorkload: (kind: WorkloadKind, namespace: string, name: string) => Workload | undefined;
  /** The pending pods of a namespace, from the pending-pod cache. */
  readonly pendingPodsIn: (namespace: string) => readonly Pod[];
  /** Finds the Deployment of a pod's ReplicaSet (shared with the pod and exec reconcilers). */
  readonly owners: OwnerChain;
  readonly restores: RestoreDirectory;
  readonly cluster: Cluster;
  readonly events: EventRecorder;
  readonly settings: InitHookSettings;
  readonly now: () => number;
  readonly onOutcome?: (outcome: WorkloadOutcome) => void;
  /**
   * Pods of a restored workload that may still need their exec hooks claimed (created during the restore, no exec
   * record, not ended), found by `sweepExecCandidates`; handed to the exec controller.
   */
  readonly onExecCandidates?: (pods: readonly Pod[]) => void;
  readonly metrics?: HookMetrics;
}

/** Skip reasons of the decision, as the restore_hooks_hooks_skipped_total reason label spells them. */
export const SKIP_METRIC_REASONS: Readonly<Record<PodSkipReason, SkipReason>> = {
  AppContainersStarted: 'already-running',
  RestoreWait: 'file-system-restore',
  BelowPartition: 'below-partition',
  RolloutWouldLoseRestoredData: 'would-lose-restored-data',
};

function restoreIdentity(restore: RestoreObject, labelValue: string): RestoreIdentity {
  return {
    key: restoreKey(restore),
    uid: restore.metadata.uid ?? '',
    labelValue,
  };
}

/**
 * The hooks for a workload's pod template. `annotationsFrom` is the workload of the restore whose template
 * annotations declare hooks: the workload itself, or for a Deployment's ReplicaSet, the Deployment.
 */
function templatePlan(
  workload: Workload,
  hooks: RestoreHooks,
  policy: HookPolicy,
  annotationsFrom: Workload = workload,
): HookPlan {
  return planHooks(
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
  );
}

function updateStrategy(kind: WorkloadKind, workload: Workload): WorkloadFacts['updateStrategy'] {
  const spec = workload.spec as Record<string, { type?: string } | undefined>;
  const type = kind === 'Deployment' ? spec.strategy?.type : spec.updateStrategy?.type;
  return type === 'OnDelete' || type === 'Recreate' ? type : 'RollingUpdate';
}

const observedCurrentSpec = (object: Workload): boolean =>
  Number((object.status as { observedGeneration?: unknown } | undefined)?.observedGeneration ?? 0) >=
  (object.metadata.generation ?? 0);

/** The facts `decideReplicaSets` needs about a Deployment, its ReplicaSets and its pods. */
function deploymentFacts(
  deployment: Workload,
  replicaSets: readonly Workload[],
  pods: readonly Pod[],
  facts: WorkloadFacts,
  context: {
    templateHooks: WorkloadFacts['templateHooks'];
    record: AppliedInitHooks | undefined;
    hooks: RestoreHooks;
    policy: HookPolicy;
    restoreStart: string | undefined;
    restoreActive: boolean;
    cleanedUp: boolean;
  },
): DeploymentFacts {
  const before = withoutInjectedHooks(deployment.spec.template, context.record);
  const rsFacts: ReplicaSetFacts[] = replicaSets.map((rs) => ({
    name: rs.metadata.name ?? '',
    uid: rs.metadata.uid ?? '',
    ofRestore: createdDuringRestore(rs.metadata, context.restoreStart),
    templateHooks: initHooksState(
      templatePlan(rs, context.hooks, context.policy, deployment),
      hasErrors(context.hooks.problems),
    ),
    replicas: rs.spec.replicas ?? 1,
    joinsDeployment: equalIgnoringHash(withoutInjectedHooks(rs.spec.template, context.record), before),
    observed: observedCurrentSpec(rs),
  }));
  const replicaSetByUID = new Map(replicaSets.map((rs) => [rs.metadata.uid, rs.metadata.name ?? '']));
  const spec = deployment.spec as {
    replicas?: number;
    strategy?: Parameters<typeof rollsOutAllAtOnce>[0];
  };
  return {
    templateHooks: context.templateHooks,
    rollsOutAllAtOnce: rollsOutAllAtOnce(spec.strategy, spec.replicas ?? 1),
    restoreActive: context.restoreActive,
    cleanedUp: context.cleanedUp,
    paused: deployment.spec.paused === true,
    pausedByUs: deployment.metadata.annotations?.[PAUSED_FOR_HOOKS_ANNOTATION] !== undefined,
    observed: observedCurrentSpec(deployment),
    replicaSets: rsFacts,
    pods: facts.pods.map((f, i) => {
      const owner = controllerOf(pods[i]!.metadata);
      const replicaSet = owner ? replicaSetByUID.get(owner.uid) : undefined;
      return replicaSet === undefined ? f : { ...f, replicaSet };
    }),
  };
}

/** How many pods the workload's owner keeps. */
function desiredPods(kind: WorkloadKind, workload: Workload): number {
  if (kind === 'DaemonSet')
    return (workload.status as { desiredNumberScheduled?: number } | undefined)?.desiredNumberScheduled ?? 0;
  return (workload.spec as { replicas?: number }).replicas ?? 1;
}

/** Whether the ReplicaSets of a Deployment still have something to do before its pods all have their hooks. */
function replicaSetWorkLeft(d: ReplicaSetsDecision): boolean {
  return d.patchReplicaSets.length > 0 || d.resume || d.deletePods.length > 0 || d.waitingFor !== undefined;
}

interface ReplicaSetContext {
  readonly workload: Workload;
  readonly replicaSets: readonly Workload[];
  readonly hooks: RestoreHooks;
  readonly identity: RestoreIdentity;
  readonly restoreRef: ReturnType<typeof restoreReference>;
  readonly logger: ReconcileContext['logger'];
}

const SKIP_NOTES: Record<PodSkipReason, string> = {
  AppContainersStarted:
    'its application containers already started, so init containers can no longer be added',
  RestoreWait:
    "it has Velero's restore-wait init container (a file-system restore is in progress), so it is never deleted",
  BelowPartition: 'its ordinal is below the StatefulSet rollout partition, so it stays at the old template',
  RolloutWouldLoseRestoredData:
    "the rollout that would bring the hooks would also replace a pod holding data Velero's file-system restore put into an emptyDir volume, which lives only in that pod; run the setup by hand, or move the data to a PersistentVolumeClaim",
};

/**
 * Reconciles one restored workload's pod template with the init hooks of its Restore, and the pending pods its
 * owner will not replace by itself. Level-triggered: every call starts from the cached workload and the live
 * pod list, and a second call on the same state changes nothing.
 */
export class WorkloadReconciler {
  readonly #deps: WorkloadReconcilerDeps;
  readonly #skips = new SeenOnce();
  /** When this process last deleted pending pods of a workload, by workload key, while it waits for their replacements. */
  readonly #replacing = new Map<string, number>();
  /** Bypasses logged by this process (the Event recorder dedupes the Events itself). */
  readonly #bypassesLogged = new SeenOnce();
  readonly #ownWrites = new OwnWrites();
  readonly #execSwept = new SeenOnce();
  /** Template patches the API server refused as invalid (422), by workload key, until the workload changes. */
  readonly #rejected = new Map<
    string,
    { uid: string | undefined; generation: number | undefined; summary: string }
  >();

  constructor(deps: WorkloadReconcilerDeps) {
    this.#deps = deps;
  }

  async reconcile(key: string, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    const parsed = parseWorkloadKey(key);
    if (!parsed) {
      ctx.logger.error('dropping malformed workload key', { key });
      return;
    }
    const { kind, namespace, name } = parsed;
    const workload = this.#deps.getWorkload(kind, namespace, name);
    if (!workload) {
      this.#replacing.delete(key);
      return;
    }
    return this.#reconcileWorkload(kind, workload, ctx, 0);
  }

  /**
   * One pass over a workload as read (from the cache, or fresh from the API). A Deployment's ReplicaSet steps
   * (pause, hook the ReplicaSets, resume, replace pods) each wait for another controller; when it has already caught
   * up by the time the step is written, the next step follows in the same reconcile, from a fresh read
   * (`#continueFresh`), at most MAX_PASSES times.
   */
  async #reconcileWorkload(
    kind: WorkloadKind,
    workload: Workload,
    ctx: ReconcileContext,
    pass: number,
  ): Promise<ReconcileResult | void> {
    const namespace = workload.metadata.namespace ?? '';
    const name = workload.metadata.name ?? '';
    const key = workloadKey(kind, namespace, name);
    const labelValue = workload.metadata.labels?.[RESTORE_NAME_LABEL];
    if (!labelValue) return;
    if (changedThroughItsDeployment(kind, workload)) return;
    const lookup = this.#deps.restores.byLabelValue(labelValue);
    if (!lookup.found) {
      if (lookup.reason === 'Ambiguous') {
        ctx.logger.warn('restore label matches Restores in several Velero namespaces; no hooks applied', {
          namespace,
          name,
          restore: labelValue,
        });
      }
      // The Restore is gone: nothing more to bring to the ReplicaSets, but a Deployment we paused must roll again.
      if (kind === 'Deployment' && workload.metadata.annotations?.[PAUSED_FOR_HOOKS_ANNOTATION] !== undefined)
        await this.#resume(workload, ctx.logger.child({ namespace, name }));
      return;
    }
    const { restore, hooks } = lookup;
    const logger = ctx.logger.child({
      restore: restoreKey(restore),
      namespace,
      name,
    });
    const membership = restoreMembership(workload.metadata, restore, hooks);
    if (membership !== 'Member') {
      logger.debug('not a member of the restore its label names; left alone', { why: membership });
      return;
    }
    if (this.#ownWrites.cacheLags(key, workload.metadata)) {
      // Its update event enqueues the workload again; the delay is only a fallback.
      logger.debug('the cache does not show our own template write yet');
      return { requeueAfterMs: OWN_WRITE_RECHECK_MS };
    }

    const { settings } = this.#deps;
    const now = this.#deps.now();
    const identity = restoreIdentity(restore, labelValue);
    const activity = restoreActivity(restore.status, now, settings.hookWindowMs);
    // Off the init-hook path: a failed list must never hold up a template patch.
    if (activity.active && !hasErrors(hooks.problems))
      void this.#sweepExecCandidates(workload, restore, hooks, logger);
    const plan = templatePlan(workload, hooks, settings.policy);
    const templateHooks = initHooksState(plan, hasErrors(hooks.problems));
    const record = parseAppliedInitHooks(
      workload.spec.template.metadata?.annotations?.[APPLIED_INIT_HOOKS_ANNOTATION],
    );
    const injectedByUs = record?.restore === identity.key;
    const admitted = !injectedByUs && workload.spec.template.metadata?.labels?.[RESTORE_LABEL] === labelValue;
    const cleanedUp = workload.metadata.annotations?.[CLEANED_UP_ANNOTATION] === identity.key;
    const escapeRounds = parseEscapeRounds(
      workload.metadata.annotations?.[ESCAPED_PODS_DELETED_ANNOTATION],
      identity.key,
    );
    const finished = restoreFinished(restore.status?.phase);

    if (kind === 'Deployment' && activity.active && !cleanedUp) {
      // Velero restores a Deployment after its ReplicaSets, which the Deployment controller adopts on its next sync.
      // Until then their pods do not lead to the Deployment: it would seem to have no pods and no ReplicaSet of the
      // restore, and a template patch without the pause would roll it out.
      const orphans = this.#deps.owners.replicaSetsAwaitingAdoption(workload);
      if (orphans.length > 0) {
        logger.debug('waiting for the Deployment controller to adopt the restored ReplicaSets', {
          replicaSets: orphans.map((rs) => rs.metadata.name),
        });
        return { requeueAfterMs: OTHER_CONTROLLER_RECHECK_MS };
      }
    }
    const pausedByUs =
      kind === 'Deployment' && workload.metadata.annotations?.[PAUSED_FOR_HOOKS_ANNOTATION] !== undefined;
    const deploymentSpec = workload.spec as {
      replicas?: number;
      strategy?: Parameters<typeof rollsOutAllAtOnce>[0];
    };
    // A Deployment whose roll-out cannot replace its pending pods at once acts on them through its ReplicaSets.
    const racesItsRollout =
      kind === 'Deployment' && !rollsOutAllAtOnce(deploymentSpec.strategy, deploymentSpec.replicas ?? 1);
    const spec = workload.spec as Record<string, unknown>;
    const workloadFacts: Omit<WorkloadFacts, 'pods'> = {
      kind,
      updateStrategy: updateStrategy(kind, workload),
      ...(spec.podManagementPolicy === 'Parallel'
        ? { podManagementPolicy: 'Parallel' as const }
        : { podManagementPolicy: 'OrderedReady' as const }),
      ...(typeof workload.spec.updateStrategy?.rollingUpdate?.partition === 'number'
        ? { partition: workload.spec.updateStrategy.rollingUpdate.partition }
        : {}),
      templateHooks,
      injectedByUs,
      cleanedUp,
      ...(admitted ? { admitted } : {}),
      ...(escapeRounds > 0 ? { escapeRounds } : {}),
      restore: { active: activity.active, finished },
      cleanupPolicy: settings.cleanupPolicy,
    };
    // The decision must see the running pods before it patches a template (the rollout would replace them) or
    // removes the hooks after the restore. Only pending pods are cached: the pods come from the cache when the
    // owner's own count proves it holds all of them, and from a live list otherwise.
    const needsPods =
      pausedByUs ||
      podsAffectDecision(workloadFacts) ||
      (racesItsRollout && templateHooks === 'present' && activity.active && !cleanedUp);
    const pods = needsPods ? await this.#podsOf(kind, workload) : [];
    const facts: WorkloadFacts = {
      ...workloadFacts,
      pods: pods.map((p) => {
        const f = podFacts(p, workload.spec.template, hooks, settings.policy, restore.status?.startTimestamp);
        const updateRevision = (workload.status as { updateRevision?: string } | undefined)?.updateRevision;
        const atCurrentRevision =
          kind === 'StatefulSet' &&
          !!updateRevision &&
          p.metadata.labels?.['controller-revision-hash'] === updateRevision;
        return atCurrentRevision ? { ...f, atCurrentRevision } : f;
      }),
    };
    const ref = objectReference('apps/v1', kind, workload.metadata);
    const restoreRef = restoreReference(restore.metadata);
    // A Deployment's ReplicaSets are read only when they may have to act: a pod of the restore lacks the hooks and
    // the roll-out cannot replace it in time, or we paused the Deployment (one more list per reconcile otherwise).
    const replicaSets =
      kind === 'Deployment' &&
      !cleanedUp &&
      (pausedByUs ||
        (racesItsRollout &&
          facts.pods.some((p) => !p.hasHooks && p.createdDuringRestore && !p.deletedBeforeStart)))
        ? await this.#replicaSetsOf(workload)
        : [];
    const deployment =
      kind === 'Deployment'
        ? deploymentFacts(workload, replicaSets, pods, facts, {
            templateHooks,
            record,
            hooks,
            policy: settings.policy,
            restoreStart: restore.status?.startTimestamp,
            restoreActive: activity.active,
            cleanedUp,
          })
        : undefined;
    const replicaSetContext = {
      workload,
      replicaSets,
      hooks,
      identity,
      restoreRef,
      logger,
    };

    if (deployment && pausedByUs) {
      // Finish what the paused template patch started before anything else: hook the ReplicaSets, resume.
      const rsDecision = decideReplicaSets(deployment);
      logger.debug('replicaset decision', {
        patch: rsDecision.patchReplicaSets,
        resume: rsDecision.resume,
        waitingFor: rsDecision.waitingFor,
      });
      // Pods whose ReplicaSet already has the hooks go first: a failed resume must not hold them up.
      await this.#deletePendingPods(rsDecision.deletePods, pods, { kind, ref, identity, logger });
      await this.#actOnReplicaSets(rsDecision, replicaSetContext);
      this.#deps.onOutcome?.({
        restore: identity.key,
        workload: `${kind}/${namespace}/${name}`,
        decision: 'InjectHooks',
        skippedPods: [],
      });
      if (rsDecision.waitingFor === 'DeploymentController')
        return { requeueAfterMs: OTHER_CONTROLLER_RECHECK_MS };
      // Resumed: the ReplicaSets' pods come next, whatever the Deployment controller has seen since.
      return this.#continueFresh(kind, workload, ctx, pass, { untilObserved: false });
    }

    const decision = decideWorkload(facts);
    logger.debug('workload decision', {
      decision: decision.reason,
      template: decision.template,
      pods: facts.pods.length,
    });
    const bypassFacts = {
      admissionServed: settings.admission?.() ?? false,
      restoreActive: activity.active,
      admitted,
      recorded: parseAdmissionBypass(
        workload.metadata.annotations?.[ADMISSION_BYPASSED_ANNOTATION],
        identity.key,
      ),
      escapeRounds,
      escapedPodsStarted: decision.escapedPodsStarted === true,
    };
    // A template patched by the fallback earlier, or escaped pods deleted (maybe by a replica killed before it
    // reported it): report it again.
    const bypassedBefore =
      decision.template === 'inject' ? undefined : admissionBypass({ ...bypassFacts, patching: false });
    if (bypassedBefore)
      this.#admissionBypassed(kind, identity, bypassedBefore, ref, restoreRef, logger, {
        template: bypassFacts.recorded !== undefined,
        escapeRounds,
        escapedPodsStarted: bypassFacts.escapedPodsStarted,
      });

    let rsDecision: ReplicaSetsDecision | undefined;
    let invalidHooks: string | undefined;
    const rejected = this.#rejected.get(key);
    if (
      decision.template === 'inject' &&
      rejected !== undefined &&
      rejected.uid === workload.metadata.uid &&
      rejected.generation === workload.metadata.generation
    ) {
      // The API server refused this very patch for this version of the workload: it stays refused.
      invalidHooks = rejected.summary;
    } else if (decision.template === 'inject') {
      const pause = deployment !== undefined && pausesForInjection(deployment);
      const bypassed = admissionBypass({ ...bypassFacts, patching: true });
      let written: boolean;
      try {
        written = await this.#patchFresh(key, kind, workload, (current) => {
          const currentPlan = current === workload ? plan : templatePlan(current, hooks, settings.policy);
          if (!currentPlan.initContainersChanged) return undefined;
          return injectionPatch(current, currentPlan, identity, {
            pause: pause && current.spec.paused !== true,
            ...(bypassed ? { bypassed } : {}),
          });
        });
      } catch (error) {
        if (apiErrorCode(error) !== 422) throw error;
        invalidHooks = this.#reportRejected(error, { kind, workload, ref, restoreRef, identity, logger });
        written = false;
      }
      if (!written && invalidHooks === undefined) return;
    }
    if (decision.template === 'inject' && invalidHooks === undefined) {
      const pause = deployment !== undefined && pausesForInjection(deployment);
      const inserted = plan.initHooks.filter((h) => h.state === 'insert');
      const names = inserted.map((h) => h.container.name);
      const bypassed = admissionBypass({ ...bypassFacts, patching: true });
      if (bypassed)
        this.#admissionBypassed(kind, identity, bypassed, ref, restoreRef, logger, {
          template: true,
          escapeRounds,
          escapedPodsStarted: false,
        });
      const labels = { restore: restore.metadata.name ?? '', namespace, kind };
      this.#deps.metrics?.templatePatched(labels);
      for (const h of inserted) this.#deps.metrics?.hookInjected({ ...labels, source: h.origin.source });
      logger.info('injected init hooks into pod template', { hooks: names, paused: pause });
      void this.#deps.events.record({
        regarding: ref,
        related: restoreRef,
        type: 'Normal',
        reason: 'HookInjected',
        action: 'PatchTemplate',
        note: pause
          ? `Added init hooks ${names.join(', ')} of Restore ${identity.key} to the pod template, and paused the Deployment until its current ReplicaSet has them too (restore-hooks resumes it within seconds), so that it keeps its running pods and recreates its pending ones with the hooks instead of rolling out. If it stays paused with the annotation ${PAUSED_FOR_HOOKS_ANNOTATION}, check that restore-hooks is running, or resume it with kubectl rollout resume.`
          : `Added init hooks ${names.join(', ')} of Restore ${identity.key} to the pod template; the ${kind} rolls out pods that run them.`,
      });
      if (pause) {
        this.#deps.onOutcome?.({
          restore: identity.key,
          workload: `${kind}/${namespace}/${name}`,
          decision: decision.reason,
          skippedPods: [],
        });
        return this.#continueFresh(kind, workload, ctx, pass, { untilObserved: true });
      }
    } else if (decision.template === 'remove' && record) {
      const cleanup = cleanupPatch(workload, record);
      const written = await this.#patchFresh(key, kind, workload, (current) => {
        const currentRecord = parseAppliedInitHooks(
          current.spec.template.metadata?.annotations?.[APPLIED_INIT_HOOKS_ANNOTATION],
        );
        return currentRecord?.restore === identity.key
          ? cleanupPatch(current, currentRecord).patch
          : undefined;
      });
      if (!written) return;
      this.#deps.metrics?.templateCleaned({ restore: restore.metadata.name ?? '', namespace, kind });
      logger.info('removed init hooks from pod template after the restore', {
        removed: cleanup.removed,
        kept: cleanup.kept,
      });
      void this.#deps.events.record({
        regarding: ref,
        related: restoreRef,
        type: 'Normal',
        reason: 'HookRemoved',
        action: 'PatchTemplate',
        note:
          `Removed init hooks ${cleanup.removed.join(', ') || '(none left)'} of Restore ${identity.key} from the pod template now that the restore is over (templateCleanup: RemoveAfterRestore).` +
          (cleanup.kept.length > 0
            ? ` Left in place because they changed: ${cleanup.kept.map((k) => k.name).join(', ')}.`
            : ''),
      });
    } else if (deployment && decision.template === 'keep' && templateHooks === 'present') {
      rsDecision = decideReplicaSets(deployment);
      logger.debug('replicaset decision', {
        patch: rsDecision.patchReplicaSets,
        deletePods: rsDecision.deletePods.map((p) => p.name),
        waitingFor: rsDecision.waitingFor,
      });
      await this.#actOnReplicaSets(rsDecision, replicaSetContext);
    } else if (decision.reason === 'InvalidHooks' && !hasErrors(hooks.problems) && activity.active) {
      invalidHooks = this.#reportInvalidHooks(plan, { kind, workload, ref, restoreRef, identity, logger });
    } else if (decision.reason === 'HookConflict') {
      const conflicts = plan.initHooks.filter((h) => h.state === 'conflict').map((h) => h.container.name);
      void this.#deps.events.record({
        regarding: ref,
        related: restoreRef,
        type: 'Warning',
        reason: 'HookConflict',
        action: 'Skip',
        note: `The pod template already has init container(s) ${conflicts.join(', ')} that differ from the hooks of the same name in Restore ${identity.key}; rename the hook or remove the container.`,
      });
    }

    let deletePods = [...decision.deletePods, ...(rsDecision?.deletePods ?? [])];
    // The round is recorded before its deletions, so the bound holds whichever replica is killed in between.
    const escapeDeferred =
      decision.escapeRound !== undefined &&
      !(await this.#recordEscapeRound(decision.escapeRound, {
        kind,
        workload,
        key,
        identity,
        ref,
        restoreRef,
        logger,
        escapedPodsStarted: decision.escapedPodsStarted === true,
      }));
    if (escapeDeferred) deletePods = deletePods.filter((p) => !('escaped' in p && p.escaped));
    const skippedPods = [...decision.skippedPods, ...(rsDecision?.skippedPods ?? [])];
    await this.#deletePendingPods(deletePods, pods, { kind, ref, identity, logger });
    for (const skipped of skippedPods) {
      if (this.#skips.first(`${identity.uid}/${namespace}/${skipped.name}/${skipped.reason}`)) {
        this.#deps.metrics?.hookSkipped({
          restore: restore.metadata.name ?? '',
          namespace,
          kind,
          reason: SKIP_METRIC_REASONS[skipped.reason],
        });
      }
      void this.#deps.events.record({
        regarding: podReference({ namespace, name: skipped.name }),
        related: restoreRef,
        type: 'Warning',
        reason: 'HookSkipped',
        action: 'Skip',
        note: `Pod ${skipped.name} will not run the init hooks of Restore ${identity.key}: ${SKIP_NOTES[skipped.reason]}.`,
      });
    }
    this.#deps.onOutcome?.({
      restore: identity.key,
      workload: `${kind}/${namespace}/${name}`,
      // Pods still to be replaced through their ReplicaSets keep the workload in progress.
      decision:
        rsDecision && replicaSetWorkLeft(rsDecision) && decision.reason === 'HooksInPlace'
          ? 'InjectHooks'
          : decision.reason,
      skippedPods: skippedPods.map((p) => `${namespace}/${p.name}`),
      ...(invalidHooks ? { invalidHooks } : {}),
    });

    if (deletePods.length > 0 || escapeDeferred) return { requeueAfterMs: 1000 };
    if (rsDecision && replicaSetWorkLeft(rsDecision)) return { requeueAfterMs: OTHER_CONTROLLER_RECHECK_MS };
    if (
      awaitsReplacements({
        deletedAtMs: this.#replacing.get(key),
        nowMs: now,
        watchMs: REPLACEMENTS_WATCH_MS,
        pods: needsPods ? facts.pods : undefined,
        desired: desiredPods(kind, workload),
      })
    )
      return { requeueAfterMs: REPLACEMENTS_RECHECK_MS };
    this.#replacing.delete(key);
    if (decision.reason === 'WaitingForFileSystemRestore')
      return { requeueAfterMs: FILE_SYSTEM_RESTORE_RECHECK_MS };
    if (
      injectedByUs &&
      finished &&
      settings.cleanupPolicy === 'RemoveAfterRestore' &&
      decision.template !== 'remove'
    ) {
      const closes = msUntilWindowCloses(restore.status, now, settings.hookWindowMs);
      return { requeueAfterMs: Math.min(settings.cleanupPollMs, (closes ?? 0) + 1000) };
    }
    if (decision.template === 'inject' && activity.reason === 'FinishedWithinWindow') {
      return {
        requeueAfterMs: (msUntilWindowCloses(restore.status, now, settings.hookWindowMs) ?? 0) + 1000,
      };
    }
  }

  /**
   * The workload's own init hooks (its template's annotations) are invalid or refused by policy: nothing is written,
   * and it is said once per workload, Restore and set of problems, on the workload, in the metric and in the log.
   * Returns the summary the Restore's InitHooksApplied condition shows.
   */
  #reportInvalidHooks(
    plan: HookPlan,
    c: {
      kind: WorkloadKind;
      workload: Workload;
      ref: ReturnType<typeof objectReference>;
      restoreRef: ReturnType<typeof restoreReference>;
      identity: RestoreIdentity;
      logger: ReconcileContext['logger'];
    },
  ): string | undefined {
    const skip = initHooksSkip(plan);
    if (!skip) return undefined;
    const namespace = c.workload.metadata.namespace ?? '';
    const name = c.workload.metadata.name ?? '';
    const summary = `${c.kind} ${namespace}/${name} (${skip.reason}): ${skip.problems.join('; ')}`;
    if (!this.#skips.first(`${c.identity.uid}/${c.workload.metadata.uid ?? name}/${summary}`)) return summary;
    this.#deps.metrics?.hookSkipped({
      restore: c.identity.key.split('/')[1] ?? '',
      namespace,
      kind: c.kind,
      reason: skip.reason,
    });
    c.logger.warn('init hooks of the pod template not applied', {
      reason: skip.reason,
      problems: skip.problems,
    });
    void this.#deps.events.record({
      regarding: c.ref,
      related: c.restoreRef,
      type: 'Warning',
      reason: 'HookSkipped',
      action: 'Skip',
      note: `The init hooks of Restore ${c.identity.key} are not added to this ${c.kind}'s pod template (${skip.reason}): ${skip.problems.join('; ')}. Fix the annotations on the pod template; nothing else is changed.`,
    });
    return summary;
  }

  /**
   * Pods that left Pending before the exec controller saw them (its informers were syncing, the leader changed, the
   * Restore was invalid meanwhile) are in no cache of ours: once per workload, Restore and process (counting from the Restore being valid), one
   * list of the workload's pods (its label selector) hands those created during the restore without an exec record,
   * whatever their phase, to the exec controller, which claims them like any pending pod.
   */
  async #sweepExecCandidates(
    workload: Workload,
    restore: RestoreObject,
    hooks: RestoreHooks,
    logger: ReconcileContext['logger'],
  ): Promise<void> {
    if (!this.#deps.onExecCandidates) return;
    if (!mayHaveExecHooks(hooks, workload.spec.template.metadata?.annotations ?? {})) return;
    // Never while the Restore is invalid, so the first pass after a fix sweeps. Not per generation: without a status
    // subresource every status write bumps the Restore's generation.
    const sweep = `${restore.metadata.uid ?? ''}/${workload.metadata.uid ?? ''}`;
    if (!this.#execSwept.first(sweep)) return;
    const namespace = workload.metadata.namespace ?? '';
    let pods: Pod[];
    try {
      pods = await this.#deps.cluster.listPods(namespace, labelSelectorString(workload.spec.selector));
    } catch (error) {
      // The workload's next reconcile tries again.
      this.#execSwept.forget(sweep);
      logger.debug('could not list the pods of the workload for exec hooks', {
        error: describeApiError(error),
      });
      return;
    }
    const start = restore.status?.startTimestamp;
    const candidates = pods.filter(
      (p) =>
        p.metadata.labels?.[RESTORE_LABEL] === undefined &&
        p.metadata.annotations?.[EXEC_HOOKS_ANNOTATION] === undefined &&
        p.status?.phase !== 'Succeeded' &&
        p.status?.phase !== 'Failed' &&
        p.metadata.deletionTimestamp === undefined &&
        createdDuringRestore(p.metadata, start),
    );
    if (candidates.length > 0) this.#deps.onExecCandidates(candidates);
  }

  /**
   * The API server refused the template patch as invalid (422, e.g. an annotation too long): never retried for this
   * version of the workload (a new generation tries again), said once on the workload, in the metric and the log.
   */
  #reportRejected(
    error: unknown,
    c: {
      kind: WorkloadKind;
      workload: Workload;
      ref: ReturnType<typeof objectReference>;
      restoreRef: ReturnType<typeof restoreReference>;
      identity: RestoreIdentity;
      logger: ReconcileContext['logger'];
    },
  ): string {
    const namespace = c.workload.metadata.namespace ?? '';
    const name = c.workload.metadata.name ?? '';
    const why = describeApiError(error);
    const summary = `${c.kind} ${namespace}/${name} (rejected-by-api-server): ${why}`;
    if (this.#rejected.size >= MAX_REJECTED) this.#rejected.clear();
    this.#rejected.set(workloadKey(c.kind, namespace, name), {
      uid: c.workload.metadata.uid,
      generation: c.workload.metadata.generation,
      summary,
    });
    this.#deps.metrics?.hookSkipped({
      restore: c.identity.key.split('/')[1] ?? '',
      namespace,
      kind: c.kind,
      reason: 'rejected-by-api-server',
    });
    c.logger.warn('the API server refused the pod template patch; not retried for this generation', {
      error: why,
    });
    void this.#deps.events.record({
      regarding: c.ref,
      related: c.restoreRef,
      type: 'Warning',
      reason: 'HookSkipped',
      action: 'PatchTemplate',
      note: `The init hooks of Restore ${c.identity.key} could not be added to this ${c.kind}'s pod template: the API server refused the patch (${why}). It is not retried until the ${c.kind} changes.`,
    });
    return summary;
  }

  /**
   * The next step of a Deployment's ReplicaSet protocol from a fresh read, in this reconcile (`untilObserved`: only
   * once the Deployment controller has seen the last write); otherwise a re-check soon (its status writes also
   * enqueue it).
   */
  async #continueFresh(
    kind: WorkloadKind,
    workload: Workload,
    ctx: ReconcileContext,
    pass: number,
    options: { untilObserved: boolean },
  ): Promise<ReconcileResult | void> {
    if (pass + 1 >= MAX_PASSES) return { requeueAfterMs: OTHER_CONTROLLER_RECHECK_MS };
    const fresh = await this.#deps.cluster.getWorkload(
      kind,
      workload.metadata.namespace ?? '',
      workload.metadata.name ?? '',
    );
    if (!fresh) return;
    if (options.untilObserved && !observedCurrentSpec(fresh))
      return { requeueAfterMs: OTHER_CONTROLLER_RECHECK_MS };
    return this.#reconcileWorkload(kind, fresh, ctx, pass + 1);
  }

  /**
   * Brings the hooks to the ReplicaSets the decision names (each patch guarded by resourceVersion and rebuilt from a
   * fresh read on conflict, so a hook is never added twice), then resumes the Deployment if we paused it. A failed
   * patch throws before the resume: the Deployment stays paused and the reconcile is retried.
   */
  async #actOnReplicaSets(decision: ReplicaSetsDecision, c: ReplicaSetContext): Promise<void> {
    const { workload, identity, logger } = c;
    const namespace = workload.metadata.namespace ?? '';
    const { policy } = this.#deps.settings;
    const restoreName = identity.key.split('/')[1] ?? '';
    for (const name of decision.patchReplicaSets) {
      const rs = c.replicaSets.find((r) => r.metadata.name === name);
      if (!rs) continue;
      let inserted: string[] = [];
      const written = await this.#patchFresh(undefined, 'ReplicaSet', rs, (current) => {
        if (controllerOf(current.metadata)?.uid !== workload.metadata.uid) return undefined;
        const plan = templatePlan(current, c.hooks, policy, workload);
        if (initHooksState(plan, hasErrors(c.hooks.problems)) !== 'missing') return undefined;
        inserted = plan.initHooks.filter((h) => h.state === 'insert').map((h) => h.container.name);
        return injectionPatch(current, plan, identity);
      });
      if (!written) continue;
      // `kind` is the workload the hooks reach the pods through: the Deployment.
      this.#deps.metrics?.templatePatched({ restore: restoreName, namespace, kind: 'Deployment' });
      logger.info('injected init hooks into the pod template of a ReplicaSet of the Deployment', {
        replicaSet: name,
        hooks: inserted,
      });
      void this.#deps.events.record({
        regarding: objectReference('apps/v1', 'ReplicaSet', rs.metadata),
        related: c.restoreRef,
        type: 'Normal',
        reason: 'HookInjected',
        action: 'PatchTemplate',
        note: `Added init hooks ${inserted.join(', ')} of Restore ${identity.key} to the pod template of ReplicaSet ${name} of Deployment ${workload.metadata.name ?? ''}, so that the pods it recreates run them; its pending pods without the hooks are replaced. Nothing to do.`,
      });
    }
    if (decision.resume) await this.#resume(workload, logger);
  }

  /** Deletes pending pods without hooks (uid + resourceVersion preconditions) so that their owner recreates them hooked. */
  async #deletePendingPods(
    victims: readonly { readonly name: string; readonly uid: string; readonly escaped?: true }[],
    pods: readonly Pod[],
    c: {
      kind: WorkloadKind;
      ref: ReturnType<typeof objectReference>;
      identity: RestoreIdentity;
      logger: ReconcileContext['logger'];
    },
  ): Promise<void> {
    const { kind, identity } = c;
    for (const victim of victims) {
      const pod = pods.find((p) => p.metadata.uid === victim.uid);
      const namespace = pod?.metadata.namespace ?? c.ref.namespace ?? '';
      const result = await this.#deps.cluster.deletePod(namespace, victim.name, {
        uid: victim.uid,
        ...(pod?.metadata.resourceVersion ? { resourceVersion: pod.metadata.resourceVersion } : {}),
      });
      c.logger.info('deleted pending pod so that its owner recreates it with the hooks', {
        pod: victim.name,
        result,
      });
      if (result !== 'deleted') continue;
      this.#replacing.set(workloadKey(kind, namespace, c.ref.name), this.#deps.now());
      this.#deps.metrics?.podReplaced({ restore: identity.key.split('/')[1] ?? '', namespace, kind });
      void this.#deps.events.record({
        regarding: podReference({ namespace, name: victim.name, uid: victim.uid }),
        related: c.ref,
        type: 'Normal',
        reason: 'PodReplaced',
        action: 'DeletePod',
        note: victim.escaped
          ? `Deleted pending pod ${victim.name}, created without the init hooks of Restore ${identity.key} because the pod webhook did not answer (failurePolicy Ignore), so that its ${kind} recreates it through admission, with them.`
          : kind === 'Deployment'
            ? `Deleted pending pod ${victim.name}, which ReplicaSet ${pod ? (controllerOf(pod.metadata)?.name ?? '') : ''} created before its template had the init hooks of Restore ${identity.key}; the ReplicaSet recreates it with them. Nothing to do.`
            : `Deleted pending pod ${victim.name}, which its ${kind} would not replace by itself, so that it comes back with the init hooks of Restore ${identity.key}.`,
      });
    }
  }

  /**
   * Records escape round `round` on the workload (guarded, rebuilt from a fresh read on conflict) and reports it.
   * False when the workload already records that round or a later one (the cache lags another writer): its escaped
   * pods wait for the next reconcile.
   */
  async #recordEscapeRound(
    round: number,
    c: {
      kind: WorkloadKind;
      workload: Workload;
      key: string;
      identity: RestoreIdentity;
      ref: ReturnType<typeof objectReference>;
      restoreRef: ReturnType<typeof restoreReference>;
      logger: ReconcileContext['logger'];
      escapedPodsStarted: boolean;
    },
  ): Promise<boolean> {
    const written = await this.#patchFresh(c.key, c.kind, c.workload, (current) =>
      parseEscapeRounds(current.metadata.annotations?.[ESCAPED_PODS_DELETED_ANNOTATION], c.identity.key) >=
      round
        ? undefined
        : escapeRoundPatch(current, round, c.identity.key),
    );
    if (written)
      this.#admissionBypassed(c.kind, c.identity, 'PodsEscaped', c.ref, c.restoreRef, c.logger, {
        template: false,
        escapeRounds: round,
        escapedPodsStarted: c.escapedPodsStarted,
      });
    return written;
  }

  /**
   * The Warning that admission was bypassed although the webhooks are on: the workload took the template path, or
   * (`template` false) pods that escaped the pod webhook were deleted to come back through it.
   */
  #admissionBypassed(
    kind: WorkloadKind,
    identity: RestoreIdentity,
    bypass: AdmissionBypass,
    ref: ReturnType<typeof objectReference>,
    restoreRef: ReturnType<typeof restoreReference>,
    logger: ReconcileContext['logger'],
    how: { template: boolean; escapeRounds: number; escapedPodsStarted: boolean },
  ): void {
    const admitted = bypass === 'PodsEscaped';
    const check =
      "Check that the restore-hooks webhook is served and trusted (controller_runtime_webhook_requests_total, restore_hooks_admission_total, the MutatingWebhookConfiguration's caBundle).";
    const recreated =
      how.escapeRounds > 0
        ? ` restore-hooks deleted the pending ones so that the ${kind} recreates them through admission, with their hooks (${how.escapeRounds} of at most ${MAX_ESCAPE_ROUNDS} times; nothing is rolled); if they keep escaping, the hooks go into the pod template, which rolls the ${kind} out.`
        : '';
    const started = how.escapedPodsStarted
      ? ' Some had started before restore-hooks saw them, and run without their hooks (HookSkipped names each).'
      : '';
    const why = admitted
      ? `some of its pods were created without them (the pod webhook did not answer and failurePolicy is Ignore)${how.escapeRounds > 0 ? `, and came back without them after ${how.escapeRounds} deletions meant to recreate them through admission` : ''}`
      : 'it was created without the admission mark (the workload webhook did not answer and failurePolicy is Ignore, it was restored before restore-hooks was installed, or not by a trusted Velero identity)';
    const logged = `${ref.uid ?? ref.name}/${identity.key}/${bypass}/${how.template}/${how.escapeRounds}/${how.escapedPodsStarted}`;
    if (this.#bypassesLogged.first(logged))
      logger.warn(
        how.template
          ? 'admission was bypassed: hooks come through the pod template'
          : 'admission was bypassed: pods escaped the pod webhook',
        { kind, admitted, escapeRounds: how.escapeRounds, escapedPodsStarted: how.escapedPodsStarted },
      );
    void this.#deps.events.record({
      regarding: ref,
      related: restoreRef,
      type: 'Warning',
      reason: 'AdmissionBypassed',
      action: how.template ? 'PatchTemplate' : 'DeletePod',
      note: how.template
        ? `The hooks of Restore ${identity.key} reach this ${kind} through its pod template because ${why}. The template path rolls the ${kind} out (and again to remove the hooks after the restore), and pods that started before the patch ran without their hooks. ${check}`
        : `Pods of this ${kind} were created without the hooks of Restore ${identity.key} because the pod webhook did not answer (failurePolicy is Ignore).${recreated}${started} ${check}`,
    });
  }

  /** Unpauses a Deployment we paused (guarded; nothing is written if the fresh object carries no mark of ours). */
  async #resume(deployment: Workload, logger: ReconcileContext['logger']): Promise<void> {
    const resumed = await this.#patchFresh(
      workloadKey('Deployment', deployment.metadata.namespace ?? '', deployment.metadata.name ?? ''),
      'Deployment',
      deployment,
      (current) =>
        current.metadata.annotations?.[PAUSED_FOR_HOOKS_ANNOTATION] !== undefined
          ? resumePatch(current)
          : undefined,
    );
    if (resumed) logger.info('resumed the Deployment paused while its ReplicaSets got the hooks');
  }

  /**
   * Patches with a resourceVersion precondition, rebuilding the patch from a fresh read after each conflict
   * (workload status changes often, so the cached version is frequently stale). `build` returns undefined when the
   * fresh object no longer needs the change. Resolves false when nothing was written. A write under `ownWriteKey` is
   * remembered until the cache shows it (`OwnWrites`).
   */
  async #patchFresh(
    ownWriteKey: string | undefined,
    kind: WorkloadKind,
    cached: Workload,
    build: (current: Workload) => MergePatch | undefined,
  ): Promise<boolean> {
    const namespace = cached.metadata.namespace ?? '';
    const name = cached.metadata.name ?? '';
    let current: Workload | undefined = cached;
    return retryOnConflict(async () => {
      if (current === undefined) return false;
      const patch = build(current);
      if (!patch) return false;
      try {
        const written = await this.#deps.cluster.patchWorkload(kind, namespace, name, patch);
        if (ownWriteKey !== undefined) this.#ownWrites.record(ownWriteKey, written.metadata);
        return true;
      } catch (error) {
        if (isConflict(error)) current = await this.#deps.cluster.getWorkload(kind, namespace, name);
        throw error;
      }
    });
  }

  /** The workload's pods: those matching its selector whose controller chain leads to it, or that await adoption. */
  async #podsOf(kind: WorkloadKind, workload: Workload): Promise<Pod[]> {
    const namespace = workload.metadata.namespace ?? '';
    const cached = podsFromPendingCache(kind, workload, this.#deps.pendingPodsIn(namespace), (pod) =>
      this.#deps.owners.knownTopOwner(pod),
    );
    if (cached) return cached;
    const candidates = await this.#deps.cluster.listPods(
      namespace,
      labelSelectorString(workload.spec.selector),
    );
    const uid = workload.metadata.uid;
    const pods: Pod[] = [];
    for (const pod of candidates) {
      const owner = controllerOf(pod.metadata);
      if (!owner) {
        // Restored pods have no owner until adopted; one the selector matches will be this workload's.
        pods.push(pod);
        continue;
      }
      if (kind !== 'Deployment') {
        if (owner.uid === uid) pods.push(pod);
        continue;
      }
      if (owner.kind !== 'ReplicaSet') continue;
      const top = await this.#deps.owners.topOwner(pod);
      if (top?.kind === 'Deployment' && top.uid === uid) pods.push(pod);
    }
    return pods;
  }

  /** The ReplicaSets a Deployment controls, read from the API (most carry no label an informer could select). */
  async #replicaSetsOf(deployment: Workload): Promise<Workload[]> {
    const all = await this.#deps.cluster.listReplicaSets(
      deployment.metadata.namespace ?? '',
      labelSelectorString(deployment.spec.selector),
    );
    return all.filter((rs) => controllerOf(rs.metadata)?.uid === deployment.metadata.uid);
  }
}
